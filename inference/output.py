"""Delivering a scored batch: predictions and dead letters produced, then acknowledged."""

from __future__ import annotations

import time
from collections.abc import Sequence

from confluent_kafka import Producer, TopicPartition

from inference.metrics import InferenceMetrics
from inference.predictions import build_predictions
from inference.routing import VariantScores
from inference.stages import PreparedBatch
from streams.exceptions import InfrastructureError
from streams.kafka.consume_loop import next_offsets
from streams.kafka.dead_letter import DeadLetterPublisher
from streams.kafka.topics import TopicCatalogue
from streams.producer import codec_for
from streams.settings import KafkaSettings


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
        self._served = (topics.predictions, codec_for(kafka, topics.predictions, "prediction"))
        shadow_topic = topics.predictions_shadow
        self._shadow = (shadow_topic, codec_for(kafka, shadow_topic, "prediction"))
        self.dead_letters = DeadLetterPublisher(producer)
        self._metrics = metrics

    def deliver(
        self, batch: PreparedBatch, scored: Sequence[VariantScores], timeout_s: float
    ) -> None:
        """Produce everything for ``batch`` and return once the broker acknowledged it.

        Raises:
            InfrastructureError: Not acknowledged within ``timeout_s``; offsets must not be
                committed (the batch is replayed after a restart).
        """
        started = time.perf_counter()
        now_ms = int(time.time() * 1000)
        metrics = self._metrics
        if batch.table is not None:
            outgoing = build_predictions(
                batch.events, batch.table, scored, batch.polled_at_ms, now_ms
            )
            for prediction in outgoing:
                topic, codec = self._served if prediction.served else self._shadow
                self._produce(topic, codec.encode(prediction.record, trusted=True), prediction.key)
                metrics.predictions.labels(prediction.record["variant"]).inc()
            metrics.features_missing.inc(int(batch.table.missing.sum()))
        for letter in batch.dead:
            self.dead_letters.publish(letter)
            metrics.errors.labels(letter.reason).inc()
        left = self._producer.flush(timeout_s)
        if left:
            metrics.errors.labels("produce_timeout").inc()
            raise InfrastructureError(f"{left} records not acknowledged within {timeout_s} s")
        done_s = time.time()
        metrics.stage_seconds.labels("produce").observe(time.perf_counter() - started)
        metrics.batch_size.observe(len(batch.messages))
        metrics.events.inc(len(batch.events))
        samples = metrics.samples
        for event, polled_ms in zip(batch.events, batch.polled_at_ms, strict=True):
            end_to_end = max(0.0, done_s - event["event_time"] / 1000.0)
            consumer = max(0.0, done_s - polled_ms / 1000.0)
            metrics.end_to_end_seconds.observe(end_to_end)
            metrics.consumer_seconds.observe(consumer)
            if samples is not None:
                samples["end_to_end"].append(end_to_end)
                samples["consumer"].append(consumer)

    def offsets(self, batch: PreparedBatch) -> list[TopicPartition]:
        """What to commit once :meth:`deliver` returned."""
        return next_offsets(list(batch.messages))

    def _produce(self, topic: str, value: bytes, key: bytes) -> None:
        while True:
            try:
                self._producer.produce(topic, value=value, key=key)
                return
            except BufferError:
                self._producer.poll(0.05)
