"""The replay window: per partition, messages sent and not confirmed committed (what a crash
delivers twice, kept within the limit) and messages taken ahead of them; and pauses, resumed
as partitions are revoked."""

from __future__ import annotations

from types import SimpleNamespace

from confluent_kafka import KafkaError, TopicPartition
from prometheus_client import CollectorRegistry

from inference.batcher import MicroBatcher
from inference.metrics import InferenceMetrics
from inference.pauses import PartitionPauses
from inference.replay_window import ReplayWindow, Span, spans


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


def _batch(partition: int, offsets: range) -> list[Message]:
    return [Message("t", partition, o) for o in offsets]


def test_a_partition_is_taken_up_to_limit_plus_ahead_messages_past_its_confirmed_commit() -> None:
    window = ReplayWindow(limit=4, ahead=2)
    window.taken(_batch(0, range(10, 13)) + _batch(1, range(1)))
    assert window.room(("t", 0)) == 3 and window.room(("t", 1)) == 5
    window.taken(_batch(0, range(13, 16)))
    assert window.room(("t", 0)) == 0
    window.committed([TopicPartition("t", 0, 12)])  # 10 and 11 are safe now
    assert window.room(("t", 0)) == 2
    window.committed([TopicPartition("t", 0, 11)])  # an older answer arriving late
    assert window.room(("t", 0)) == 2 and window.room(("t", 7)) == 6
    assert ReplayWindow(limit=3).room(("t", 0)) == 6  # by default one batch ahead


def test_a_batch_is_sent_only_while_its_partitions_stay_within_the_limit() -> None:
    window = ReplayWindow(limit=4)
    first, second, other = _batch(0, range(0, 3)), _batch(0, range(3, 5)), _batch(1, range(2))
    window.taken(first + second + other)
    assert window.may_send(spans(first))
    window.sent(spans(first))
    assert window.replayable(("t", 0)) == 3
    assert not window.may_send(spans(second))  # 3 + 2 > 4: a crash would replay 5
    assert not window.may_send(spans(second + other))  # one partition over is enough
    assert window.may_send(spans(other))
    window.committed([TopicPartition("t", 0, 2)])  # part of the first batch confirmed
    assert window.replayable(("t", 0)) == 3  # ... its batch still counts whole
    window.committed([TopicPartition("t", 0, 3)])
    assert window.replayable(("t", 0)) == 0 and window.may_send(spans(second))


def test_a_partition_with_nothing_unconfirmed_may_always_send() -> None:
    # Offsets may skip (transaction markers, compaction): the count, not the offset span,
    # is what a crash replays, and a batch never waits for a commit that nothing needs.
    window = ReplayWindow(limit=2)
    batch = [Message("t", 0, 0), Message("t", 0, 5)]
    window.taken(batch)
    assert spans(batch) == {("t", 0): Span(messages=2, end=6, first=0)}
    assert window.may_send(spans(batch))
    assert ReplayWindow(limit=1).may_send(spans(batch))  # over the limit alone: never stuck


def test_the_window_is_filling_once_a_batch_waits_or_a_partition_sent_half_its_limit() -> None:
    window = ReplayWindow(limit=4)
    assert not window.filling()
    window.sent(spans(_batch(0, range(1))))
    assert not window.filling()
    window.sent(spans(_batch(1, range(2))))
    assert window.filling()  # partition 1: 2 of 4
    window.committed([TopicPartition("t", 1, 2)])
    assert not window.filling()
    assert not window.may_send(spans(_batch(0, range(1, 5))))
    assert window.filling()  # a batch waits for partition 0's commit, however small
    window.committed([TopicPartition("t", 0, 1)])
    assert window.may_send(spans(_batch(0, range(1, 5)))) and not window.filling()


def test_refused_and_unknown_commits_change_nothing() -> None:
    window = ReplayWindow(limit=2)
    batch = _batch(0, range(2))
    window.taken(batch)
    window.sent(spans(batch))
    refused = SimpleNamespace(
        topic="t", partition=0, offset=2, error=KafkaError(KafkaError.UNKNOWN_MEMBER_ID)
    )
    window.committed([refused, TopicPartition("t", 5, 9), TopicPartition("t", 0, -1001)])  # type: ignore[list-item]
    assert window.room(("t", 0)) == 2 and window.replayable(("t", 0)) == 2


def test_forgotten_partitions_start_again_from_what_is_taken_next() -> None:
    window = ReplayWindow(limit=2)
    batch = _batch(0, range(2))
    window.taken(batch)
    window.sent(spans(batch))
    window.forget([("t", 0)])
    assert window.room(("t", 0)) == 4 and window.replayable(("t", 0)) == 0
    window.taken(_batch(0, range(1, 2)))  # read again from the committed offset
    assert window.room(("t", 0)) == 3


def test_batches_take_no_partition_past_its_room_and_the_rest_waits_in_order() -> None:
    window = ReplayWindow(limit=2, ahead=1)
    batcher = MicroBatcher[Message](
        max_size=4, max_wait_ms=0, key=lambda m: (m.topic(), m.partition())
    )
    batcher.add(_batch(0, range(5)) + _batch(1, range(1)))
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
