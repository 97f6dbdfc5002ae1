"""What ``eventml status`` reports: consumer-group lag, service liveness, dead-letter counts.

Lag comes from high watermarks reported in *fetch* responses (librdkafka's cached
watermarks after a fetch), which are right on Apache Kafka and on the embedded broker alike;
the embedded broker's ListOffsets answer is not, so it is never used.
"""

from __future__ import annotations

import urllib.request
import uuid
from dataclasses import dataclass

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition

from streams.kafka.clients import make_consumer
from streams.settings import KafkaSettings


@dataclass(frozen=True)
class PartitionLag:
    """One partition of one group."""

    topic: str
    partition: int
    committed: int | None
    high_watermark: int

    @property
    def lag(self) -> int:
        return self.high_watermark - (self.committed or 0)


def _watermarks(consumer: Consumer, partitions: list[TopicPartition]) -> dict[int, tuple[int, int]]:
    """(low, high) watermark per partition, from fetch responses."""
    consumer.assign(partitions)
    pending = {tp.partition for tp in partitions}
    for _ in range(50):
        for msg in consumer.consume(500, 0.1):
            error = msg.error()
            if error is None or error.code() == KafkaError._PARTITION_EOF:
                pending.discard(msg.partition() or 0)
        if not pending:
            break
    out = {}
    for tp in partitions:
        low, high = consumer.get_watermark_offsets(tp, cached=True)
        out[tp.partition] = (max(low, 0), max(high, 0))
    consumer.unassign()
    return out


def group_lag(kafka: KafkaSettings, topic: str, group_id: str) -> list[PartitionLag]:
    """Committed offset, high watermark and lag of ``group_id`` on each partition."""
    consumer = make_consumer(kafka, group_id, **{"enable.partition.eof": True})
    try:
        meta = consumer.list_topics(topic, timeout=10).topics.get(topic)
        if meta is None or meta.error is not None:
            return []
        partitions = [TopicPartition(topic, p) for p in sorted(meta.partitions)]
        committed = {tp.partition: tp.offset for tp in consumer.committed(partitions, 10)}
        start = [
            TopicPartition(topic, p, committed[p] if committed[p] >= 0 else OFFSET_BEGINNING)
            for p in committed
        ]
        high = _watermarks(consumer, start)
    finally:
        consumer.close()
    return [
        PartitionLag(topic, p, committed[p] if committed[p] >= 0 else None, high[p][1])
        for p in sorted(committed)
    ]


def topic_size(kafka: KafkaSettings, topic: str) -> int:
    """Records in a topic (high minus low watermark, from fetch responses)."""
    consumer = make_consumer(
        kafka, f"eventml-status-{uuid.uuid4().hex[:6]}", **{"enable.partition.eof": True}
    )
    try:
        meta = consumer.list_topics(topic, timeout=10).topics.get(topic)
        if meta is None or meta.error is not None:
            return 0
        partitions = [TopicPartition(topic, p, OFFSET_BEGINNING) for p in meta.partitions]
        return sum(high - low for low, high in _watermarks(consumer, partitions).values())
    finally:
        consumer.close()


def service_alive(host: str, port: int) -> bool:
    """True when a service answers on its /metrics endpoint."""
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False
