"""The replay window: per partition, messages polled since the last confirmed commit; and the
pauses that keep it within its limit, resumed as partitions are revoked."""

from __future__ import annotations

from types import SimpleNamespace

from confluent_kafka import KafkaError, TopicPartition
from prometheus_client import CollectorRegistry

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


def test_a_partition_is_full_once_limit_messages_wait_for_a_confirmed_commit() -> None:
    window = ReplayWindow(limit=4)
    window.polled([Message("t", 0, o) for o in (10, 11, 12)] + [Message("t", 1, 0)])
    assert window.full() == [] and window.replayable(("t", 0)) == 3
    window.polled([Message("t", 0, 13)])
    assert window.full() == [("t", 0)]
    window.committed([TopicPartition("t", 0, 12)])  # 10 and 11 are safe now
    assert window.full() == [] and window.replayable(("t", 0)) == 2
    window.committed([TopicPartition("t", 0, 11)])  # an older answer arriving late
    assert window.replayable(("t", 0)) == 2
    assert window.replayable(("t", 1)) == 1


def test_refused_and_unknown_commits_change_nothing() -> None:
    window = ReplayWindow(limit=2)
    window.polled_offsets("t", 0, [0, 1])
    refused = SimpleNamespace(
        topic="t", partition=0, offset=2, error=KafkaError(KafkaError.UNKNOWN_MEMBER_ID)
    )
    window.committed([refused, TopicPartition("t", 5, 9), TopicPartition("t", 0, -1001)])  # type: ignore[list-item]
    assert window.full() == [("t", 0)]


def test_forgotten_partitions_start_again_from_what_is_polled_next() -> None:
    window = ReplayWindow(limit=2)
    window.polled_offsets("t", 0, [0, 1])
    window.forget([("t", 0)])
    assert window.full() == [] and window.replayable(("t", 0)) == 0
    window.polled_offsets("t", 0, [1])  # read again from the committed offset
    assert window.replayable(("t", 0)) == 1


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


def test_full_partitions_alone_are_paused_and_all_under_backpressure() -> None:
    consumer = PausingConsumer([("t", 0), ("t", 1), ("t", 2)])
    pauses, metrics = _pauses(consumer)
    pauses.apply(False, [("t", 1), ("t", 9)])  # ("t", 9) is not assigned here
    assert consumer.paused == {("t", 1)} and metrics.paused._value.get() == 1
    pauses.apply(True, [])
    assert consumer.paused == {("t", 0), ("t", 1), ("t", 2)}
    pauses.apply(False, [])
    assert consumer.paused == set() and metrics.paused._value.get() == 0
    calls = len(consumer.calls)
    pauses.apply(False, [])
    assert len(consumer.calls) == calls  # nothing to change: the consumer is not asked


def test_revoked_partitions_are_resumed_before_they_go() -> None:
    # librdkafka would keep them paused when a later assignment gives them back.
    consumer = PausingConsumer([("t", 0), ("t", 1)])
    pauses, _ = _pauses(consumer)
    pauses.apply(True, [])
    pauses.revoked([("t", 0), ("t", 1)])
    assert consumer.paused == set() and pauses.paused == frozenset()
