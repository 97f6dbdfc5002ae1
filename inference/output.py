"""Delivering a scored batch: predictions and dead letters queued, acknowledgements counted."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from confluent_kafka import Producer

from inference.metrics import InferenceMetrics
from inference.predictions import build_predictions
from inference.routing import VariantScores
from inference.stages import PreparedBatch
from schemas import PredictionEncoder
from streams.exceptions import InfrastructureError
from streams.histograms import observe_all
from streams.kafka.dead_letter import DeadLetterPublisher
from streams.kafka.topics import TopicCatalogue
from streams.producer import codec_for
from streams.settings import KafkaSettings


@dataclass
class PendingBatch:
    """A batch whose records are queued; ``remaining`` counts unacknowledged ones.

    ``acked_at`` is an upper bound of when the broker acknowledged the last of them (wall
    time): ``queued_at`` (after the last record was queued) plus the longest latency
    librdkafka gives a record. That latency ends when the record's delivery report reaches
    Python, which is when the loop next polls the producer, so a loop held up elsewhere (a
    slow feature read) shows here as a slow acknowledgement.
    """

    batch: PreparedBatch
    sent_at: float
    remaining: int = 0
    error: str | None = None
    started_at: float = 0.0
    queued_at: float = 0.0
    ack_latency_s: float = 0.0

    def acknowledged(self, error: Any, message: Any) -> None:
        """Delivery-report callback of each record of the batch."""
        if error is not None:
            self.error = str(error)
        latency = message.latency() if message is not None else None
        if latency is not None and latency > self.ack_latency_s:
            self.ack_latency_s = latency
        self.remaining -= 1

    @property
    def acked_at(self) -> float:
        """Wall time by which the broker had acknowledged every record (see class doc)."""
        return self.queued_at + self.ack_latency_s


class PredictionSink:
    """Encodes predictions (served ones keyed by entity to predictions, shadow ones to
    predictions-shadow), publishes dead letters, and waits for the broker's acknowledgement.

    Args:
        producer: An idempotent, acks=all producer.
        kafka: Connection settings (for the codecs' framing).
        topics: Topic names.
        metrics: Where to report.
    """

    def __init__(
        self,
        producer: Producer,
        kafka: KafkaSettings,
        topics: TopicCatalogue,
        metrics: InferenceMetrics,
    ) -> None:
        self._producer = producer
        served, shadow = topics.predictions, topics.predictions_shadow
        self._served = (served, PredictionEncoder(codec_for(kafka, served, "prediction")))
        self._shadow = (shadow, PredictionEncoder(codec_for(kafka, shadow, "prediction")))
        self.dead_letters = DeadLetterPublisher(producer)
        self._metrics = metrics

    def send(self, batch: PreparedBatch, scored: Sequence[VariantScores]) -> PendingBatch:
        """Queue everything for ``batch`` without waiting; the broker's acknowledgements
        arrive through :meth:`poll` and are counted on the returned :class:`PendingBatch`."""
        pending = PendingBatch(batch, time.perf_counter(), started_at=time.time())
        now_ms = int(pending.started_at * 1000)
        metrics = self._metrics
        if batch.table is not None:
            queued = []
            for outgoing in build_predictions(
                batch.events, batch.table, scored, batch.polled_at_ms, now_ms
            ):
                topic, encoder = self._served if outgoing.served else self._shadow
                queued.append((topic, encoder.encode_part(outgoing.columns), outgoing.keys))
            pending.remaining += sum(len(values) for _, values, _ in queued)
            for topic, values, keys in queued:
                for value, key in zip(values, keys, strict=True):
                    self._produce(topic, value, key, pending.acknowledged)
            for part in scored:  # one record per row of each part
                metrics.predictions.labels(part.variant.value).inc(len(part.rows))
            metrics.features_missing.inc(int(batch.table.missing.sum()))
        for letter in batch.dead:
            pending.remaining += 1
            self.dead_letters.publish(letter, pending.acknowledged)
            metrics.errors.labels(letter.reason).inc()
        pending.queued_at = time.time()
        return pending

    def poll(self, timeout_s: float = 0.0) -> None:
        """Serve delivery reports (acknowledgements)."""
        self._producer.poll(timeout_s)

    def flush(self, timeout_s: float) -> None:
        """Wait for every queued record's acknowledgement.

        Raises:
            InfrastructureError: Some were not acknowledged in time.
        """
        left = self._producer.flush(timeout_s)
        if left:
            self._metrics.errors.labels("produce_timeout").inc()
            raise InfrastructureError(f"{left} records not acknowledged within {timeout_s} s")

    def complete(self, pending: PendingBatch) -> None:
        """Account for a fully acknowledged batch (raises if any record failed)."""
        if pending.error is not None:
            self._metrics.errors.labels("produce_failed").inc()
            raise InfrastructureError(f"a prediction was not delivered: {pending.error}")
        done_s = min(pending.acked_at, time.time())
        metrics, batch = self._metrics, pending.batch
        produce_s = max(0.0, done_s - pending.started_at)
        metrics.stage_seconds.labels("produce").observe(produce_s)
        metrics.batch_size.observe(len(batch.messages))
        metrics.events.inc(len(batch.events))
        n = len(batch.events)
        event_ms = np.fromiter((e["event_time"] for e in batch.events), np.float64, count=n)
        polled_ms = np.asarray(batch.polled_at_ms, dtype=np.float64)
        end_to_end = np.maximum(done_s - event_ms / 1000.0, 0.0)
        consumer = np.maximum(done_s - polled_ms / 1000.0, 0.0)
        observe_all(metrics.end_to_end_seconds, end_to_end)
        observe_all(metrics.consumer_seconds, consumer)
        if metrics.samples is not None:
            metrics.samples["end_to_end"].extend(end_to_end.tolist())
            metrics.samples["consumer"].extend(consumer.tolist())
            metrics.samples["produce"].extend([produce_s] * n)  # per event, as the others

    def _produce(
        self, topic: str, value: bytes, key: bytes, on_delivery: Callable[[Any, Any], None]
    ) -> None:
        while True:
            try:
                self._producer.produce(topic, value=value, key=key, on_delivery=on_delivery)
                return
            except BufferError:
                self._producer.poll(0.05)
