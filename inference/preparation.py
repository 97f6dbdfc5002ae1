"""Preparing a polled batch on the loop thread: decode it, fetch its features (held, never
scored on missing data, while the feature source is down) and dead-letter non-finite rows."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from inference.features import FeatureBuilder, FeatureTable
from inference.metrics import InferenceMetrics
from inference.stages import PreparedBatch, drop_non_finite
from schemas import TransactionDecoder
from streams.exceptions import InfrastructureError
from streams.kafka.decoding import decode_batch

log = logging.getLogger(__name__)

STAGE = "inference"


class BatchPreparer:
    """Turns polled messages into a :class:`PreparedBatch`.

    Args:
        events_codec: Decodes the events topic's records.
        builder: Builds the events' features from the online feature source.
        metrics: Where to report.
        retry_initial_s: Wait after the first failure of the feature source (then doubled).
        retry_max_s: Longest wait between attempts.
    """

    def __init__(
        self,
        events_codec: TransactionDecoder,
        builder: FeatureBuilder,
        metrics: InferenceMetrics,
        retry_initial_s: float,
        retry_max_s: float,
    ) -> None:
        self._events_codec, self._builder, self._metrics = events_codec, builder, metrics
        self._retry_initial_s, self._retry_max_s = retry_initial_s, retry_max_s

    def prepare(self, items: list[tuple[Any, int]], wait: Callable[[float], None]) -> PreparedBatch:
        """Decode ``items`` (message, wall time polled in ms) and build their features.

        ``wait(seconds)`` is called between attempts while the feature source fails; it may
        raise to give the batch up.
        """
        started = time.perf_counter()
        messages = [m for m, _ in items]
        polled_at = {id(m): t for m, t in items}
        decoded = decode_batch(messages, self._events_codec, STAGE)
        self._metrics.stage_seconds.labels("decode").observe(time.perf_counter() - started)
        records, dead, table = decoded.records, decoded.dead, None
        if records:
            table = self._fetch_features([r for _, r in records], wait)
            records, table, invalid = drop_non_finite(records, table, STAGE)
            dead = dead + invalid
        events = [record for _, record in records]
        polled_ms = [polled_at[id(m)] for m, _ in records]
        return PreparedBatch(messages, events, table if events else None, dead, polled_ms)

    def _fetch_features(
        self, events: list[dict[str, Any]], wait: Callable[[float], None]
    ) -> FeatureTable:
        delay = self._retry_initial_s
        while True:
            started = time.perf_counter()
            try:
                table = self._builder.build(events)
            except InfrastructureError as exc:
                # Never score on silently missing data: hold the batch, pause, retry.
                self._metrics.errors.labels("feature_source").inc()
                log.warning("feature source failed (%s); retrying in %.2f s", exc, delay)
                wait(delay)
                delay = min(delay * 2, self._retry_max_s)
                continue
            fetch_s = time.perf_counter() - started
            self._metrics.stage_seconds.labels("feature_fetch").observe(fetch_s)
            if self._metrics.samples is not None:
                self._metrics.samples["feature_fetch"].extend([fetch_s] * len(events))
            return table
