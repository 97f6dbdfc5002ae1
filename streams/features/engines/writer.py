"""What every engine does with an aggregation result: rows to Redis, late events to their
topic, rejected events to the dead-letter topic, and the metrics of it all.

Redis failures are retried with backoff for a bounded time (the engine pauses, nothing is
dropped), then raised so the process exits non-zero and is restarted from its last commit.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from confluent_kafka import Producer

from schemas import AvroCodec
from streams.features.aggregator import AggregationResult, SourceEvent
from streams.features.definitions import FeatureView
from streams.features.exceptions import OnlineStoreError
from streams.features.metrics import FeatureMetrics
from streams.features.online_store import RedisOnlineStore, WriteResult
from streams.kafka.dead_letter import DeadLetter, DeadLetterPublisher
from streams.kafka.message import RawRecord

log = logging.getLogger(__name__)
STAGE = "aggregator"


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


class FeatureWriter:
    """Delivers aggregation results.

    Args:
        store: The online store.
        producer: For late events and dead letters.
        late_topic: The late-events topic.
        codec: Re-encodes late or rejected records (the engine keeps only decoded records).
        metrics: Engine metrics.
        retry_s: How long Redis may be unreachable before giving up.
    """

    def __init__(
        self,
        store: RedisOnlineStore,
        producer: Producer,
        late_topic: str,
        codec: AvroCodec,
        metrics: FeatureMetrics,
        retry_s: float = 60.0,
        clock: Callable[[], int] = wall_ms,
    ) -> None:
        self._store = store
        self._producer = producer
        self._dead = DeadLetterPublisher(producer)
        self._late_topic = late_topic
        self._codec = codec
        self._metrics = metrics
        self._retry_s = retry_s
        self._clock = clock

    def deliver(
        self, view: FeatureView, result: AggregationResult, arrival_ms: Sequence[int] = ()
    ) -> None:
        """Write rows (retrying Redis), publish late and rejected events, record metrics.

        Args:
            view: The view the result belongs to.
            result: One batch's result.
            arrival_ms: When the batch's events entered Kafka: freshness is measured from
                there to readable in Redis (event time can be simulated).
        """
        self._metrics.record_batch(view.name, result)
        if result.rows:
            started = time.perf_counter()
            outcome = self._write(view, result)
            self._metrics.record_write(
                view.name, time.perf_counter() - started, outcome, arrival_ms, self._clock()
            )
        for event in result.late:
            self._producer.produce(
                self._late_topic,
                self._codec.encode(event.record),
                key=str(event.record.get(view.key_field, "")).encode(),
            )
        for rejected in result.rejected:
            self._dead.publish(
                _dead_letter(rejected.event, self._codec, rejected.error, rejected.error.reason)
            )

    def flush(self) -> None:
        """Wait for late events and dead letters to be acknowledged."""
        if self._producer.flush(30) > 0:
            raise OnlineStoreError("late events or dead letters not acknowledged in 30 s")

    def _write(self, view: FeatureView, result: AggregationResult) -> WriteResult:
        deadline = time.monotonic() + self._retry_s
        delay = 0.1
        while True:
            try:
                return self._store.write(view, result.rows)
            except OnlineStoreError as exc:
                if time.monotonic() + delay > deadline:
                    raise
                log.warning("redis write failed, retrying in %.1f s: %s", delay, exc)
                time.sleep(delay)
                delay = min(delay * 2, 5.0)


def _dead_letter(event: SourceEvent, codec: AvroCodec, error: Exception, reason: str) -> DeadLetter:
    raw = RawRecord(event.topic, event.partition, event.offset, codec.encode(event.record))
    return DeadLetter.of(raw, error, reason, STAGE)
