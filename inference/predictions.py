"""Turning scored variants into ``prediction.v1`` records, a part at a time (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from inference.features import FeatureTable
from inference.routing import VariantScores
from schemas import PredictionColumns


class OutgoingPart(NamedTuple):
    """The predictions of one scored variant: served ones go to predictions, shadow ones
    to the shadow topic.

    Attributes:
        served: Destination is the served predictions topic (else the shadow topic).
        keys: Per record, its message key: the entity, so an entity's predictions stay in
            order.
        columns: The ``prediction.v1`` records, by column.
    """

    served: bool
    keys: list[bytes]
    columns: PredictionColumns


def build_predictions(
    events: Sequence[Mapping[str, Any]],
    table: FeatureTable,
    scored: Sequence[VariantScores],
    polled_at_ms: Sequence[int],
    now_ms: int,
) -> list[OutgoingPart]:
    """One record per (event, variant) scored, a part per variant.

    Args:
        events: Decoded events of the batch.
        table: Their features.
        scored: What :meth:`Router.score` returned for the batch.
        polled_at_ms: Per event, wall time it was polled (for ``latency_ms``).
        now_ms: Wall time now (``scored_at``).
    """
    polled = np.asarray(polled_at_ms, dtype=np.int64)
    out = []
    for part in scored:
        rows = part.rows
        chosen = [events[i] for i in rows.tolist()]
        entities = [event["card_id"] for event in chosen]
        columns = PredictionColumns(
            event_ids=[event["event_id"] for event in chosen],
            entities=entities,
            scores=part.scores.astype(np.float64),
            threshold=part.model.threshold,
            model_name=part.model.name,
            model_version=part.model.version,
            variant=part.variant.value,
            missing=table.missing[rows],
            freshness_ms=table.freshness_ms[rows].astype(np.int64),
            latency_ms=np.maximum(now_ms - polled[rows], 0).astype(np.float64),
            event_times=np.array([int(event["event_time"]) for event in chosen], np.int64),
            scored_at=now_ms,
            # Each record's features are a float64 row, which the encoder writes whole.
            features=np.ascontiguousarray(part.features, dtype=np.float64),
        )
        out.append(OutgoingPart(part.served, [str(e).encode() for e in entities], columns))
    return out
