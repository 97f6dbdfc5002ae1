"""A Bytewax source over the events topic that emits each poll of a partition as one item.

Bytewax's own Kafka connector wraps every message in a dataclass, routes each one through an
ok/error branch, and moves each as an item between steps: a few microseconds per message
before any of our work, at 20,000 events/s a tenth of the budget. Here a poll becomes one item
(the list of ``confluent_kafka.Message`` objects, which already speak
:class:`streams.kafka.message.KafkaMessage`), so Bytewax's per-item costs are paid per poll.

Partitions are Bytewax's fixed partitions, one consumer each, positioned from the recovery
store: the snapshot is the next offset to read, as in Bytewax's connector. Consumer errors are
never items: end-of-partition is ignored, a fatal error stops the flow, any other is handed
to ``on_error`` (log and count) and consuming goes on, as librdkafka recovers on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from bytewax.inputs import FixedPartitionedSource, StatefulSourcePartition
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Message, TopicPartition
from confluent_kafka.admin import AdminClient

Batch = list[Message]
ErrorHook = Callable[[KafkaError], None]


class SourceError(RuntimeError):
    """A fatal consumer error or an unusable topic: the flow cannot go on."""


def split_polled(messages: Sequence[Any]) -> tuple[Batch, list[KafkaError]]:
    """A poll's records and its errors, end-of-partition markers left out (pure)."""
    records: Batch = []
    errors: list[KafkaError] = []
    for msg in messages:
        error = msg.error()
        if error is None:
            records.append(msg)
        elif error.code() != KafkaError._PARTITION_EOF:
            errors.append(error)
    return records, errors


def part_name(topic: str, partition: int) -> str:
    """Bytewax's key of a partition (the same as its Kafka connector's, so recovery stores
    written by either agree)."""
    return f"{partition}-{topic}"


class PartitionBatches(FixedPartitionedSource[Batch, int]):
    """Each partition of ``topic`` as a Bytewax partition emitting whole polls.

    Args:
        brokers: Bootstrap servers.
        topic: The topic read.
        config: Extra librdkafka settings (security, ``fetch.wait.max.ms``...).
        batch_size: The most messages one poll returns.
        on_error: Told of each non-fatal consumer error.
    """

    def __init__(
        self,
        brokers: Sequence[str],
        topic: str,
        config: dict[str, str],
        batch_size: int,
        on_error: ErrorHook,
    ) -> None:
        self._config: dict[str, str | int | float | bool] = {
            "bootstrap.servers": ",".join(brokers),
            **config,
        }
        self._topic = topic
        self._batch_size = batch_size
        self._on_error = on_error

    def list_parts(self) -> list[str]:
        metadata = AdminClient(dict(self._config)).list_topics(self._topic, timeout=30)
        topic = metadata.topics.get(self._topic)
        if topic is None or topic.error is not None or not topic.partitions:
            raise SourceError(
                f"cannot list the partitions of {self._topic!r}: {topic and topic.error}"
            )
        return [part_name(self._topic, p) for p in sorted(topic.partitions)]

    def build_part(self, step_id: str, for_part: str, resume_state: int | None) -> _PartitionReader:
        index, topic = for_part.split("-", 1)
        if topic != self._topic:
            raise SourceError(f"recovery state is for topic {topic!r}, not {self._topic!r}")
        consumer = Consumer(
            {
                # Positions live in Bytewax's recovery store, not in a consumer group.
                "group.id": "eventml-bytewax-unused",
                "enable.auto.commit": "false",
                "enable.partition.eof": "false",
                **self._config,
            }
        )
        start = OFFSET_BEGINNING if resume_state is None else resume_state
        consumer.assign([TopicPartition(topic, int(index), start)])
        return _PartitionReader(consumer, self._batch_size, self._on_error, resume_state)


class _PartitionReader(StatefulSourcePartition[Batch, int]):
    def __init__(
        self, consumer: Consumer, batch_size: int, on_error: ErrorHook, resume: int | None
    ) -> None:
        self._consumer = consumer
        self._batch_size = batch_size
        self._on_error = on_error
        self._next = OFFSET_BEGINNING if resume is None else resume

    def next_batch(self) -> list[Batch]:
        records, errors = split_polled(self._consumer.consume(self._batch_size, 0.001))
        for error in errors:
            if error.fatal():
                raise SourceError(f"fatal consumer error: {error.str()}")
            self._on_error(error)
        if not records:
            return []
        self._next = (records[-1].offset() or 0) + 1
        return [records]

    def snapshot(self) -> int:
        return self._next

    def close(self) -> None:
        self._consumer.close()
