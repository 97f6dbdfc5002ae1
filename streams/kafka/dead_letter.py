"""One dead-letter path for every consumer: original bytes + headers naming what went wrong."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import Producer
from prometheus_client import Counter

from streams.kafka.message import Headers, KafkaMessage, WireHeaders
from streams.kafka.topics import TopicCatalogue

HEADER_PREFIX = "eventml."
H_ERROR_TYPE = "eventml.error.type"
H_ERROR_MESSAGE = "eventml.error.message"
H_REASON = "eventml.error.reason"
H_STAGE = "eventml.error.stage"
H_TIME = "eventml.error.time"
H_SOURCE_TOPIC = "eventml.source.topic"
H_SOURCE_PARTITION = "eventml.source.partition"
H_SOURCE_OFFSET = "eventml.source.offset"
MAX_MESSAGE_CHARS = 1000

DEAD_LETTERS = Counter(
    "eventml_dead_letters_total",
    "Records sent to a dead-letter topic, by source topic, reason and stage.",
    ["topic", "reason", "stage"],
)


@dataclass(frozen=True)
class DeadLetter:
    """A record that could not be processed, with everything needed to replay it."""

    source_topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Headers
    reason: str
    error_type: str
    error_message: str
    stage: str
    time_ms: int = field(default_factory=lambda: int(time.time() * 1000))

    @classmethod
    def of(cls, msg: KafkaMessage, error: Exception, reason: str, stage: str) -> DeadLetter:
        """Wrap a message and the error it caused."""
        return cls(
            source_topic=msg.topic() or "",
            partition=msg.partition() or 0,
            offset=msg.offset() or 0,
            key=msg.key(),
            value=msg.value(),
            headers=[h for h in (msg.headers() or []) if not h[0].startswith(HEADER_PREFIX)],
            reason=reason,
            error_type=type(error).__name__,
            error_message=str(error)[:MAX_MESSAGE_CHARS],
            stage=stage,
        )

    def wire_headers(self) -> WireHeaders:
        """Original headers followed by eventml's error headers."""
        extra = {
            H_ERROR_TYPE: self.error_type,
            H_ERROR_MESSAGE: self.error_message,
            H_REASON: self.reason,
            H_STAGE: self.stage,
            H_TIME: str(self.time_ms),
            H_SOURCE_TOPIC: self.source_topic,
            H_SOURCE_PARTITION: str(self.partition),
            H_SOURCE_OFFSET: str(self.offset),
        }
        return [*self.headers, *((k, v.encode()) for k, v in extra.items())]

    @classmethod
    def from_wire(
        cls, key: bytes | None, value: bytes | None, raw: Sequence[tuple[str, Any]]
    ) -> DeadLetter:
        """Rebuild a dead letter from a message read back from a dead-letter topic."""
        ours = {k: v.decode("utf-8", "replace") for k, v in raw if k.startswith(HEADER_PREFIX)}
        return cls(
            source_topic=ours.get(H_SOURCE_TOPIC, ""),
            partition=int(ours.get(H_SOURCE_PARTITION, "0")),
            offset=int(ours.get(H_SOURCE_OFFSET, "0")),
            key=key,
            value=value,
            headers=[h for h in raw if not h[0].startswith(HEADER_PREFIX)],
            reason=ours.get(H_REASON, ""),
            error_type=ours.get(H_ERROR_TYPE, ""),
            error_message=ours.get(H_ERROR_MESSAGE, ""),
            stage=ours.get(H_STAGE, ""),
            time_ms=int(ours.get(H_TIME, "0")),
        )


class DeadLetterPublisher:
    """Produces dead letters to ``<source topic>-dlq`` and counts each one.

    The caller flushes the producer before committing source offsets, so a dead letter is
    acknowledged before the record it replaces is considered consumed.
    """

    def __init__(self, producer: Producer) -> None:
        self._producer = producer

    def publish(
        self, letter: DeadLetter, on_delivery: Callable[[Any, Any], None] | None = None
    ) -> None:
        """Queue one dead letter for delivery (``on_delivery`` hears the broker's answer)."""
        self._producer.produce(
            TopicCatalogue.dead_letter_of(letter.source_topic),
            value=letter.value,
            key=letter.key,
            headers=letter.wire_headers(),
            on_delivery=on_delivery,
        )
        DEAD_LETTERS.labels(letter.source_topic, letter.reason, letter.stage).inc()
