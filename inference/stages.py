"""The work one batch goes through, as values: prepared on the loop thread, scored on the
scoring thread, finished (produced and committed) back on the loop thread."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import numpy as np
from confluent_kafka import KafkaError

from inference.exceptions import InvalidFeatureError
from inference.features import FeatureTable
from inference.metrics import InferenceMetrics
from inference.replay_window import Spans
from inference.routing import Router, VariantScores
from streams.kafka.dead_letter import DeadLetter
from streams.kafka.message import KafkaMessage

log = logging.getLogger(__name__)

Decoded = list[tuple[KafkaMessage, dict[str, Any]]]


@dataclass(frozen=True)
class PreparedBatch:
    """A batch decoded and with its features, ready to score.

    Attributes:
        messages: Every polled message of the batch (their offsets are committed together).
        events: Decoded events, in order.
        table: Their features (None when every message was a dead letter).
        dead: Messages that could not be decoded.
        polled_at_ms: Per event, wall time it was polled.
    """

    messages: Sequence[Any]
    events: Sequence[dict[str, Any]]
    table: FeatureTable | None
    dead: Sequence[DeadLetter]
    polled_at_ms: Sequence[int]


@dataclass(frozen=True)
class InFlight:
    """A prepared batch, the future of its scores, and its messages per partition."""

    batch: PreparedBatch
    scores: Future[list[VariantScores]]
    spans: Spans


def score_batch(
    router: Router, batch: PreparedBatch, submitted_at: float, metrics: InferenceMetrics
) -> list[VariantScores]:
    """Runs on the scoring thread: ONNX Runtime releases the GIL inside ``session.run``."""
    started = time.perf_counter()
    metrics.stage_seconds.labels("queue").observe(started - submitted_at)
    if batch.table is None:
        return []
    entity_ids = [str(e["card_id"]) for e in batch.events]
    scored = router.score(batch.table, entity_ids)
    metrics.stage_seconds.labels("inference").observe(time.perf_counter() - started)
    return scored


def drop_non_finite(
    records: Decoded, table: FeatureTable, stage: str
) -> tuple[Decoded, FeatureTable, list[DeadLetter]]:
    """Removes events whose feature row holds NaN or infinity, as dead letters."""
    finite = table.finite_rows()
    if finite.all():
        return records, table, []
    dead = [
        DeadLetter.of(
            msg,
            InvalidFeatureError(f"non-finite feature for {rec['event_id']}"),
            InvalidFeatureError.reason,
            stage,
        )
        for (msg, rec), ok in zip(records, finite.tolist(), strict=True)
        if not ok
    ]
    kept = [r for r, ok in zip(records, finite.tolist(), strict=True) if ok]
    return kept, table.take(np.flatnonzero(finite)), dead


def usable_messages(polled: Sequence[Any], metrics: InferenceMetrics) -> list[Any]:
    """The polled messages that carry records; errors other than a partition's end are
    logged and counted."""
    good = [m for m in polled if m.error() is None]
    if len(good) < len(polled):
        for msg in polled:
            error = msg.error()
            if error is not None and error.code() != KafkaError._PARTITION_EOF:
                metrics.errors.labels("consumer").inc()
                log.warning("consumer error: %s", error)
    return good
