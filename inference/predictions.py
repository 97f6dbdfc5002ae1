"""Turning scored variants into ``prediction.v1`` records (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from inference.features import FeatureTable
from inference.routing import VariantScores


class OutgoingPrediction(NamedTuple):
    """A prediction ready to encode: served ones go to predictions, shadow ones to shadow.

    (A named tuple: one is built per event and variant, and a frozen dataclass cost ~4x as
    much to build.)

    Attributes:
        served: Destination is the served predictions topic (else the shadow topic).
        key: Message key: the entity, so an entity's predictions stay in order.
        record: The ``prediction.v1`` record.
    """

    served: bool
    key: bytes
    record: dict[str, Any]


def build_predictions(
    events: Sequence[Mapping[str, Any]],
    table: FeatureTable,
    scored: Sequence[VariantScores],
    polled_at_ms: Sequence[int],
    now_ms: int,
) -> list[OutgoingPrediction]:
    """One record per (event, variant) scored.

    Args:
        events: Decoded events of the batch.
        table: Their features.
        scored: What :meth:`Router.score` returned for the batch.
        polled_at_ms: Per event, wall time it was polled (for ``latency_ms``).
        now_ms: Wall time now (``scored_at``).
    """
    out: list[OutgoingPrediction] = []
    missing = table.missing.tolist()
    freshness = table.freshness_ms.tolist()
    for part in scored:
        threshold, served = part.model.threshold, part.served
        # Whole-part conversions: one numpy call each instead of one per row. Each record's
        # features stay a float64 row of the part's matrix, which the encoder writes whole.
        features = np.ascontiguousarray(part.features, dtype=np.float64)
        scores = part.scores.astype(float).tolist()
        for j, i in enumerate(part.rows.tolist()):
            event = events[i]
            score = scores[j]
            record = {
                "event_id": event["event_id"],
                "entity": event["card_id"],
                "score": score,
                "decision": score >= threshold,
                "threshold": threshold,
                "model_name": part.model.name,
                "model_version": part.model.version,
                "variant": part.variant.value,
                "features_missing": missing[i],
                "feature_freshness_ms": None if missing[i] else freshness[i],
                "latency_ms": float(max(0, now_ms - polled_at_ms[i])),
                "event_time": int(event["event_time"]),
                "scored_at": now_ms,
                "features": features[j],
            }
            out.append(OutgoingPrediction(served, str(event["card_id"]).encode(), record))
    return out
