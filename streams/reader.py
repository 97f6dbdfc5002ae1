"""Public API for downstream consumers: read decoded records from any eventml topic.

Reads every partition by assignment (no consumer group, so nothing is committed and no
group join is waited for). Stops at the end of the topic unless ``follow`` is set; "the end"
is detected from fetch responses (partition EOF), which stay right on brokers whose
ListOffsets answer is not.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, OFFSET_END, KafkaError, TopicPartition

from schemas import AvroCodec, DecodeError
from streams.exceptions import InfrastructureError
from streams.kafka.clients import make_consumer
from streams.kafka.message import Headers
from streams.settings import KafkaSettings


@dataclass(frozen=True)
class ReadRecord:
    """One message read back: position, key, headers and the decoded value (or the error)."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    raw: bytes | None
    headers: Headers
    value: dict[str, Any] | None
    error: str | None


class TopicReader:
    """Iterates over the records of one topic.

    Args:
        kafka: Resolved connection settings.
        topic: Full topic name.
        codec: Decoder, or None to yield raw bytes only (dead-letter topics).
        from_beginning: Start at the oldest record, else at the end.
        follow: Keep waiting for new records instead of stopping at the end.
        idle_timeout_s: With ``follow`` off, give up after this long without data.
    """

    def __init__(
        self,
        kafka: KafkaSettings,
        topic: str,
        codec: AvroCodec | None,
        *,
        from_beginning: bool = True,
        follow: bool = False,
        idle_timeout_s: float = 5.0,
    ) -> None:
        self.topic = topic
        self.codec = codec
        self.follow = follow
        self.idle_timeout_s = idle_timeout_s
        self._consumer = make_consumer(
            kafka, f"eventml-reader-{uuid.uuid4().hex[:8]}", **{"enable.partition.eof": True}
        )
        metadata = self._consumer.list_topics(topic, timeout=10)
        info = metadata.topics.get(topic)
        if info is None or info.error is not None:
            self._consumer.close()
            raise InfrastructureError(f"topic {topic!r} does not exist")
        start = OFFSET_BEGINNING if from_beginning else OFFSET_END
        self._partitions = sorted(info.partitions)
        self._consumer.assign([TopicPartition(topic, p, start) for p in self._partitions])

    def __iter__(self) -> Iterator[ReadRecord]:
        at_end: set[int] = set()
        last_data = time.monotonic()
        try:
            while True:
                for msg in self._consumer.consume(500, 0.2):
                    error = msg.error()
                    if error is not None and error.code() == KafkaError._PARTITION_EOF:
                        at_end.add(msg.partition() or 0)
                        continue
                    if error is not None:
                        raise InfrastructureError(f"reading {self.topic}: {error}")
                    at_end.discard(msg.partition())
                    last_data = time.monotonic()
                    yield self._record(msg)
                if self.follow:
                    continue
                if len(at_end) == len(self._partitions):
                    return
                if time.monotonic() - last_data > self.idle_timeout_s:
                    return
        finally:
            self._consumer.close()

    def _record(self, msg: Any) -> ReadRecord:
        raw = msg.value()
        value: dict[str, Any] | None = None
        error: str | None = None
        if self.codec is not None and raw is not None:
            try:
                value = self.codec.decode(raw)
            except DecodeError as exc:
                error = f"{exc.reason}: {exc}"
        return ReadRecord(
            topic=msg.topic(),
            partition=msg.partition(),
            offset=msg.offset(),
            timestamp_ms=msg.timestamp()[1],
            key=msg.key(),
            raw=raw,
            headers=list(msg.headers() or []),
            value=value,
            error=error,
        )
