"""Point-in-time training datasets from the event log, the labels and a label cut-off.

A row is one event. Its features are the historical features strictly before the event
(from a :class:`~training.feature_source.FeatureSource`) followed by the event's own
request-time features. Its label is the newest label for the event whose ``label_time`` is
at or before the cut-off: a label that arrived later did not exist when the model would have
been trained, so using it would leak the future. Events without such a label are dropped and
counted. The split is by time: the most recent events are the validation set.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from training.exceptions import EmptyWindowError, SchemaMismatchError, SingleClassError
from training.feature_source import FeatureSource
from training.request_features import RequestFeatures

FloatMatrix = npt.NDArray[np.float32]
IntVector = npt.NDArray[np.int64]
Record = Mapping[str, Any]


@dataclass(frozen=True)
class DatasetSpec:
    """How to cut a dataset out of the log.

    Attributes:
        label_cutoff_ms: Labels with ``label_time`` after this instant are ignored.
        window_start_ms: First event time included (inclusive); ``None`` for no bound.
        window_end_ms: Event times must be before this (exclusive); ``None`` for no bound.
        validation_fraction: Share of the most recent labelled events held out.
        expected_feature_names: Names the model must take, in order; ``None`` to accept
            whatever the sources provide.
    """

    label_cutoff_ms: int
    window_start_ms: int | None = None
    window_end_ms: int | None = None
    validation_fraction: float = 0.25
    expected_feature_names: tuple[str, ...] | None = None


@dataclass(frozen=True)
class DatasetStats:
    """Counts that explain where the rows went (logged with the run).

    Attributes:
        events_in_window: Events whose time is inside the window.
        labelled: Events with a label known by the cut-off (the rows).
        unlabelled: Events excluded for want of such a label.
        labels_after_cutoff: Of the excluded, those whose only labels came after the cut-off.
        train_rows: Rows in the training split.
        validation_rows: Rows in the validation split.
        train_positive_rate: Share of positives in the training split.
        validation_start_ms: Event time of the first validation row.
    """

    events_in_window: int
    labelled: int
    unlabelled: int
    labels_after_cutoff: int
    train_rows: int
    validation_rows: int
    train_positive_rate: float
    validation_start_ms: int


@dataclass(frozen=True)
class Dataset:
    """A time-split, labelled feature matrix ready for training."""

    feature_names: tuple[str, ...]
    x_train: FloatMatrix
    y_train: IntVector
    x_valid: FloatMatrix
    y_valid: IntVector
    stats: DatasetStats


def feature_names_for(source: FeatureSource, request: RequestFeatures) -> tuple[str, ...]:
    """The model's input names: historical features first, then request-time features."""
    return (*source.feature_names, *request.names)


def check_feature_names(actual: Sequence[str], expected: Sequence[str]) -> None:
    """Raises :class:`SchemaMismatchError` naming the differences if the lists differ."""
    if tuple(actual) == tuple(expected):
        return
    missing = [n for n in expected if n not in actual]
    extra = [n for n in actual if n not in expected]
    detail = f"missing {missing}, unexpected {extra}" if missing or extra else "order differs"
    raise SchemaMismatchError(f"feature names do not match the model's inputs: {detail}")


def build_dataset(
    events: Sequence[Record],
    labels: Sequence[Record],
    source: FeatureSource,
    spec: DatasetSpec,
    request: RequestFeatures | None = None,
) -> Dataset:
    """Builds the point-in-time dataset.

    Args:
        events: Decoded transactions, in any order (they are sorted by event time).
        labels: Decoded ``label.v1`` records.
        source: Historical features strictly before each event.
        spec: Window, label cut-off, split and expected feature names.
        request: The request-time feature spec (default: the current one).

    Returns:
        The dataset with its counts.

    Raises:
        EmptyWindowError: No labelled events, or a split would be empty.
        SingleClassError: The train or validation split has a single class.
        SchemaMismatchError: Feature names or the source's output shape are wrong.
    """
    request = request or RequestFeatures()
    names = feature_names_for(source, request)
    if spec.expected_feature_names is not None:
        check_feature_names(names, spec.expected_feature_names)
    window = sorted(_in_window(events, spec), key=lambda e: int(e["event_time"]))
    known, late = _labels_known_by(labels, spec.label_cutoff_ms)
    rows = [e for e in window if str(e["event_id"]) in known]
    if not rows:
        raise EmptyWindowError(
            f"no labelled events in the window: {len(window)} events, "
            f"none with a label known by {spec.label_cutoff_ms}"
        )
    n_valid = round(len(rows) * spec.validation_fraction)
    n_train = len(rows) - n_valid
    if n_valid == 0 or n_train == 0:
        raise EmptyWindowError(f"{len(rows)} labelled events cannot be split into train/valid")
    y = np.array([known[str(e["event_id"])] for e in rows], dtype=np.int64)
    _require_two_classes(y[:n_train], "train")
    _require_two_classes(y[n_train:], "validation")
    x = _feature_matrix(rows, source, request, len(names))
    stats = DatasetStats(
        events_in_window=len(window),
        labelled=len(rows),
        unlabelled=len(window) - len(rows),
        labels_after_cutoff=sum(1 for e in window if str(e["event_id"]) in late),
        train_rows=n_train,
        validation_rows=n_valid,
        train_positive_rate=float(y[:n_train].mean()),
        validation_start_ms=int(rows[n_train]["event_time"]),
    )
    return Dataset(names, x[:n_train], y[:n_train], x[n_train:], y[n_train:], stats)


def _in_window(events: Sequence[Record], spec: DatasetSpec) -> list[Record]:
    start, end = spec.window_start_ms, spec.window_end_ms
    return [
        e
        for e in events
        if (start is None or int(e["event_time"]) >= start)
        and (end is None or int(e["event_time"]) < end)
    ]


def _labels_known_by(labels: Sequence[Record], cutoff_ms: int) -> tuple[dict[str, int], set[str]]:
    """The newest label per event known by the cut-off, and the ids labelled only later.

    A later label for the same event (a correction, e.g. a reversed chargeback) replaces an
    earlier one, but only if it too was known by the cut-off.
    """
    newest: dict[str, tuple[int, int]] = {}
    late: set[str] = set()
    for label in labels:
        event_id = str(label["event_id"])
        label_time = int(label["label_time"])
        if label_time > cutoff_ms:
            late.add(event_id)
        elif event_id not in newest or label_time >= newest[event_id][0]:
            newest[event_id] = (label_time, int(bool(label["is_fraud"])))
    known = {event_id: value for event_id, (_, value) in newest.items()}
    return known, late - known.keys()


def _feature_matrix(
    rows: Sequence[Record], source: FeatureSource, request: RequestFeatures, width: int
) -> FloatMatrix:
    historical = np.asarray(source.features_for(rows), dtype=np.float32)
    expected = (len(rows), len(source.feature_names))
    if historical.shape != expected:
        raise SchemaMismatchError(
            f"feature source returned shape {historical.shape}, expected {expected}"
        )
    x = np.hstack([historical, request.transform(rows)])
    if x.shape[1] != width or not np.isfinite(x).all():
        raise SchemaMismatchError("feature matrix has the wrong width or non-finite values")
    return x


def _require_two_classes(y: IntVector, split: str) -> None:
    classes = np.unique(y)
    if classes.size < 2:
        raise SingleClassError(
            f"the {split} split has only class {int(classes[0])} in {y.size} rows; "
            "widen the window or move the label cut-off"
        )
