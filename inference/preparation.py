"""Preparing a polled batch on the loop thread: decode it, fetch its features (held, never
scored on missing data, while the feature source is down) and dead-letter non-finite rows."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from inference.features import FeatureBuilder, FeatureTable
from inference.metrics import InferenceMetrics
from inference.stages import Decoded, PreparedBatch, drop_non_finite
from schemas import TransactionDecoder
from streams.exceptions import InfrastructureError
from streams.kafka.dead_letter import DeadLetter
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
        return self.finish(self.start(items), wait)

    def start(self, items: list[tuple[Any, int]]) -> StartedBatch:
        """:meth:`prepare`'s first step: decode and send the feature read. The caller's
        work until :meth:`finish` overlaps the feature source's."""
        started = time.perf_counter()
        messages = [m for m, _ in items]
        decoded = decode_batch(messages, self._events_codec, STAGE)
        requested = time.perf_counter()
        self._metrics.stage_seconds.labels("decode").observe(requested - started)
        events = [r for _, r in decoded.records]
        features: Callable[[], FeatureTable] | InfrastructureError | None = None
        if events:
            try:
                features = self._builder.start(events)
            except InfrastructureError as exc:
                features = exc  # finish waits and retries
        fetch_s = time.perf_counter() - requested
        return StartedBatch(
            items, messages, decoded.records, events, decoded.dead, features, fetch_s
        )

    def finish(self, batch: StartedBatch, wait: Callable[[float], None]) -> PreparedBatch:
        """:meth:`prepare`'s second step: wait for the features (retrying while the source
        fails, see :meth:`prepare`) and build the batch."""
        records, dead, table = batch.records, batch.dead, None
        if records:
            table = self._fetch_features(batch, wait)
            records, table, invalid = drop_non_finite(records, table, STAGE)
            dead = [*dead, *invalid]
        # The decoded events, unless non-finite features dead-lettered some of them.
        events = batch.events if records is batch.records else [r for _, r in records]
        messages = batch.messages
        if len(records) == len(messages):  # records keep the messages' order
            polled_ms = [t for _, t in batch.items]
        else:
            polled_at = {id(m): t for m, t in batch.items}
            polled_ms = [polled_at[id(m)] for m, _ in records]
        return PreparedBatch(messages, events, table if events else None, dead, polled_ms)

    def _fetch_features(self, batch: StartedBatch, wait: Callable[[float], None]) -> FeatureTable:
        events, attempt, fetch_s = batch.events, batch.features, batch.fetch_s
        delay = self._retry_initial_s
        while True:
            started = time.perf_counter()
            try:
                if isinstance(attempt, InfrastructureError):
                    raise attempt
                table = attempt() if attempt is not None else self._builder.build(events)
            except InfrastructureError as exc:
                # Never score on silently missing data: hold the batch, pause, retry.
                self._metrics.errors.labels("feature_source").inc()
                log.warning("feature source failed (%s); retrying in %.2f s", exc, delay)
                wait(delay)
                delay = min(delay * 2, self._retry_max_s)
                attempt, fetch_s = None, 0.0
                continue
            # The loop's own time: not the work done between sending the read and this.
            fetch_s += time.perf_counter() - started
            self._metrics.stage_seconds.labels("feature_fetch").observe(fetch_s)
            if self._metrics.samples is not None:
                self._metrics.samples["feature_fetch"].extend([fetch_s] * len(events))
            return table


@dataclass(frozen=True)
class StartedBatch:
    """A batch decoded, its features requested.

    Attributes:
        items: Polled messages and the wall time each was polled (ms).
        messages: The polled messages alone.
        records: Decoded messages.
        events: The decoded records alone.
        dead: Messages that could not be decoded.
        features: Finishes the feature read; the error if sending it failed; None if
            nothing was decoded.
        fetch_s: Loop time spent on the feature read so far.
    """

    items: list[tuple[Any, int]]
    messages: list[Any]
    records: Decoded
    events: list[dict[str, Any]]
    dead: list[DeadLetter]
    features: Callable[[], FeatureTable] | InfrastructureError | None
    fetch_s: float
