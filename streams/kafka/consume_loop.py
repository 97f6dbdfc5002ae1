"""The thin runner every consuming stage shares: poll, decode, handle, dead-letter, commit."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from prometheus_client import Counter

from schemas import AvroCodec
from streams.kafka.dead_letter import DeadLetter, DeadLetterPublisher
from streams.kafka.decoding import decode_batch
from streams.kafka.message import KafkaMessage

log = logging.getLogger(__name__)

RECORDS_CONSUMED = Counter(
    "eventml_records_consumed_total", "Records polled, by topic and stage.", ["topic", "stage"]
)

Decoded = list[tuple[KafkaMessage, dict[str, Any]]]
# A handler processes decoded records and returns the ones it rejected as dead letters.
BatchHandler = Callable[[Decoded], list[DeadLetter]]


@dataclass
class LoopStats:
    """Running totals of one loop."""

    polled: int = 0
    handled: int = 0
    dead_lettered: int = 0
    batches: int = 0


def next_offsets(messages: list[Any]) -> list[TopicPartition]:
    """The offsets to commit after ``messages``: last offset + 1 per partition."""
    last: dict[tuple[str, int], int] = {}
    for msg in messages:
        key = (msg.topic(), msg.partition())
        last[key] = max(last.get(key, -1), msg.offset())
    return [TopicPartition(t, p, o + 1) for (t, p), o in last.items()]


class ConsumeLoop:
    """Polls batches, decodes them, hands good records on and dead-letters the rest.

    Offsets are committed only after the handler returned and every dead letter was
    acknowledged by the broker: a crash replays the batch rather than losing it.

    Args:
        consumer: A subscribed or assigned consumer with auto-commit off.
        producer: Used for dead letters.
        codec: Decodes the consumed record type (or one codec per consumed topic).
        handler: Processes decoded records; returns the ones it rejects.
        stage: Names this stage in dead-letter headers and metrics.
    """

    def __init__(
        self,
        consumer: Consumer,
        producer: Producer,
        codec: AvroCodec | Mapping[str, AvroCodec],
        handler: BatchHandler,
        stage: str,
        batch_size: int = 500,
        poll_timeout_s: float = 0.2,
    ) -> None:
        self._consumer = consumer
        self._producer = producer
        self._dead_letters = DeadLetterPublisher(producer)
        self._codec = codec
        self._handler = handler
        self._stage = stage
        self._batch_size = batch_size
        self._poll_timeout_s = poll_timeout_s
        self.stats = LoopStats()

    def run_once(self) -> int:
        """Process at most one batch; returns how many records were polled."""
        polled = self._consumer.consume(self._batch_size, self._poll_timeout_s)
        messages: list[Any] = [m for m in polled if not self._is_error(m)]
        if not messages:
            return 0
        for msg in messages:
            RECORDS_CONSUMED.labels(msg.topic(), self._stage).inc()
        batch = decode_batch(messages, self._codec, self._stage)
        rejected = self._handler(batch.records) if batch.records else []
        dead = batch.dead + rejected
        for letter in dead:
            self._dead_letters.publish(letter)
        if dead and self._producer.flush(30) > 0:
            raise RuntimeError("dead letters not acknowledged within 30 s; not committing")
        self._consumer.commit(offsets=next_offsets(messages), asynchronous=False)
        self.stats.polled += len(messages)
        self.stats.handled += len(batch.records) - len(rejected)
        self.stats.dead_lettered += len(dead)
        self.stats.batches += 1
        return len(messages)

    def run(self, should_stop: Callable[[], bool]) -> LoopStats:
        """Loop until ``should_stop()`` is true."""
        while not should_stop():
            self.run_once()
        return self.stats

    @staticmethod
    def _is_error(msg: Any) -> bool:
        error = msg.error()
        if error is None:
            return False
        if error.code() == KafkaError._PARTITION_EOF:
            return True
        log.warning("consumer error: %s", error)
        return True
