"""Shared helpers of the training unit tests: a tiny feature source and small datasets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from training.dataset import Dataset, DatasetSpec, build_dataset
from training.synthetic import synthetic_events
from training.trainer import TrainerConfig

FAST = TrainerConfig(seed=3, max_iter=15, max_leaf_nodes=8, calibration_folds=2)


class PriorCount:
    """Per card, the number of log events strictly before the query event's time."""

    feature_names: tuple[str, ...] = ("card_prior_count",)

    def __init__(self, log: Sequence[Mapping[str, Any]]) -> None:
        self._log = list(log)

    def features_for(self, events: Sequence[Mapping[str, Any]]) -> npt.NDArray[np.float64]:
        return np.array(
            [
                [
                    sum(
                        1
                        for e in self._log
                        if e["card_id"] == q["card_id"] and e["event_time"] < q["event_time"]
                    )
                ]
                for q in events
            ],
            dtype=np.float64,
        )


def small_dataset(rows: int = 1500, seed: int = 11, shuffle_labels: bool = False) -> Dataset:
    from training.synthetic import CardHistoryFeatures

    events, labels = synthetic_events(rows, seed, cards=50)
    if shuffle_labels:
        flags = np.random.default_rng(0).permutation([bool(x["is_fraud"]) for x in labels])
        labels = [dict(x, is_fraud=bool(f)) for x, f in zip(labels, flags, strict=True)]
    cutoff = max(int(x["label_time"]) for x in labels)
    return build_dataset(events, labels, CardHistoryFeatures(events), DatasetSpec(cutoff))
