"""The replay window: per partition, messages taken into batches since the last confirmed
commit, and the batches it keeps within its limit; and pauses, resumed as partitions are
revoked."""

from __future__ import annotations

from types import SimpleNamespace

from confluent_kafka import KafkaError, TopicPartition
from prometheus_client import CollectorRegistry

from inference.batcher import MicroBatcher
from inference.metrics import InferenceMetrics
from inference.pauses import PartitionPauses
from inference.replay_window import ReplayWindow


class Message:
    """Just what the window reads of a confluent-kafka message."""

    def __init__(self, topic: str, partition: int, offset: int) -> None:
        self._where = (topic, partition, offset)

    def topic(self) -> str:
        return self._where[0]

    def partition(self) -> int:
        return self._where[1]

    def offset(self) -> int:
        return self._where[2]


def test_a_partition_has_no_room_once_limit_messages_wait_for_a_confirmed_commit() -> None:
    window = ReplayWindow(limit=4)
    window.taken([Message("t", 0, o) for o in (10, 11, 12)] + [Message("t", 1, 0)])
    assert window.room(("t", 0)) == 1 and window.replayable(("t", 0)) == 3
    window.taken([Message("t", 0, 13)])
    assert window.room(("t", 0)) == 0
    window.committed([TopicPartition("t", 0, 12)])  # 10 and 11 are safe now
    assert window.room(("t", 0)) == 2 and window.replayable(("t", 0)) == 2
    window.committed([TopicPartition("t", 0, 11)])  # an older answer arriving late
    assert window.replayable(("t", 0)) == 2
    assert window.room(("t", 1)) == 3 and window.room(("t", 7)) == 4


def test_the_window_is_filling_once_a_partition_used_half_its_limit() -> None:
    window = ReplayWindow(limit=4)
    assert not window.filling()
    window.taken([Message("t", 0, 10), Message("t", 1, 0)])
    assert not window.filling()
    window.taken([Message("t", 1, 1)])
    assert window.filling()  # partition 1: 2 of 4
    window.committed([TopicPartition("t", 1, 2)])
    assert not window.filling()


def test_refused_and_unknown_commits_change_nothing() -> None:
    window = ReplayWindow(limit=2)
    window.taken([Message("t", 0, 0), Message("t", 0, 1)])
    refused = SimpleNamespace(
        topic="t", partition=0, offset=2, error=KafkaError(KafkaError.UNKNOWN_MEMBER_ID)
    )
    window.committed([refused, TopicPartition("t", 5, 9), TopicPartition("t", 0, -1001)])  # type: ignore[list-item]
    assert window.room(("t", 0)) == 0


def test_forgotten_partitions_start_again_from_what_is_taken_next() -> None:
    window = ReplayWindow(limit=2)
    window.taken([Message("t", 0, 0), Message("t", 0, 1)])
    window.forget([("t", 0)])
    assert window.room(("t", 0)) == 2 and window.replayable(("t", 0)) == 0
    window.taken([Message("t", 0, 1)])  # read again from the committed offset
    assert window.replayable(("t", 0)) == 1


def test_batches_take_no_partition_past_its_room_and_the_rest_waits_in_order() -> None:
    window = ReplayWindow(limit=3)
    batcher = MicroBatcher[Message](
        max_size=4, max_wait_ms=0, key=lambda m: (m.topic(), m.partition())
    )
    batcher.add([Message("t", 0, o) for o in range(5)] + [Message("t", 1, 0)])
    first = batcher.take(window.room)
    window.taken(first)
    assert [(m.partition(), m.offset()) for m in first] == [(0, 0), (0, 1), (0, 2), (1, 0)]
    assert not batcher.ready(idle=True, room=window.room)  # partition 0 is at its limit
    assert batcher.take(window.room) == []
    window.committed([TopicPartition("t", 0, 2)])
    second = batcher.take(window.room)
    assert [(m.partition(), m.offset()) for m in second] == [(0, 3), (0, 4)]


class PausingConsumer:
    """Records pauses and resumes of its assignment."""

    def __init__(self, assigned: list[tuple[str, int]]) -> None:
        self.assigned = assigned
        self.paused: set[tuple[str, int]] = set()
        self.calls: list[tuple[str, list[tuple[str, int]]]] = []

    def assignment(self) -> list[TopicPartition]:
        return [TopicPartition(t, p) for t, p in self.assigned]

    def pause(self, partitions: list[TopicPartition]) -> None:
        keys = [(tp.topic, tp.partition) for tp in partitions]
        self.paused.update(keys)
        self.calls.append(("pause", keys))

    def resume(self, partitions: list[TopicPartition]) -> None:
        keys = [(tp.topic, tp.partition) for tp in partitions]
        self.paused.difference_update(keys)
        self.calls.append(("resume", keys))


def _pauses(consumer: PausingConsumer) -> tuple[PartitionPauses, InferenceMetrics]:
    metrics = InferenceMetrics(CollectorRegistry())
    return PartitionPauses(lambda: consumer, metrics), metrics  # type: ignore[arg-type, return-value]


def test_backpressure_pauses_every_assigned_partition_and_resumes_them() -> None:
    consumer = PausingConsumer([("t", 0), ("t", 1), ("t", 2)])
    pauses, metrics = _pauses(consumer)
    pauses.apply(True)
    assert consumer.paused == {("t", 0), ("t", 1), ("t", 2)} and metrics.paused._value.get() == 3
    calls = len(consumer.calls)
    pauses.apply(True)
    assert len(consumer.calls) == calls  # nothing to change: the consumer is not asked
    pauses.apply(False)
    assert consumer.paused == set() and metrics.paused._value.get() == 0


def test_revoked_partitions_are_resumed_before_they_go() -> None:
    # librdkafka would keep them paused when a later assignment gives them back.
    consumer = PausingConsumer([("t", 0), ("t", 1)])
    pauses, _ = _pauses(consumer)
    pauses.apply(True)
    pauses.revoked([("t", 0), ("t", 1)])
    assert consumer.paused == set() and pauses.paused == frozenset()
