"""Offset commits are grouped: a batch's worth or 100 ms, everything at a drain; the commits
the broker confirms are passed on, failed ones counted."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException, TopicPartition
from prometheus_client import CollectorRegistry

from inference import commits
from inference.commits import OffsetCommitter
from inference.metrics import InferenceMetrics


class RecordingConsumer:
    """Records commits; raises while ``failing``."""

    def __init__(self) -> None:
        self.commits: list[tuple[dict[tuple[str, int], int], bool]] = []
        self.failing = False

    def commit(self, *, offsets: list[TopicPartition], asynchronous: bool) -> Any:
        if self.failing:
            raise KafkaException(KafkaError(KafkaError._NO_OFFSET))
        self.commits.append(({(o.topic, o.partition): o.offset for o in offsets}, asynchronous))
        return None if asynchronous else offsets


Confirmed = list[dict[tuple[str, int], int]]


def _committer(
    batch_size: int = 10, urgent: Any = lambda: False
) -> tuple[OffsetCommitter, RecordingConsumer, Confirmed]:
    consumer = RecordingConsumer()
    metrics = InferenceMetrics(CollectorRegistry())
    confirmed: Confirmed = []

    def on_confirmed(offsets: list[TopicPartition]) -> None:
        confirmed.append({(o.topic, o.partition): o.offset for o in offsets})

    committer = OffsetCommitter(lambda: consumer, batch_size, metrics, on_confirmed, urgent)  # type: ignore[arg-type, return-value]
    return committer, consumer, confirmed


def test_small_batches_gather_until_a_batch_worth(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(commits, "COMMIT_INTERVAL_S", 3600.0)
    committer, consumer, _ = _committer(batch_size=10)
    committer.delivered([TopicPartition("t", 0, 5)], 4)
    committer.delivered([TopicPartition("t", 0, 5)], 0)  # the first call committed (time)
    consumer.commits.clear()
    committer.delivered([TopicPartition("t", 0, 9)], 4)
    committer.delivered([TopicPartition("t", 1, 3)], 4)
    assert consumer.commits == []  # 8 < 10 and the interval has not passed
    committer.delivered([TopicPartition("t", 0, 12)], 3)
    assert consumer.commits == [({("t", 0): 12, ("t", 1): 3}, True)]


def test_an_urgent_commit_is_not_held_back_to_gather(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(commits, "COMMIT_INTERVAL_S", 3600.0)
    waiting = [False]
    committer, consumer, _ = _committer(batch_size=10, urgent=lambda: waiting[0])
    committer.delivered([TopicPartition("t", 0, 5)], 4)  # the first call commits (time)
    consumer.commits.clear()
    committer.delivered([TopicPartition("t", 0, 9)], 4)
    assert consumer.commits == []
    waiting[0] = True  # the replay window fills up: a partition waits for this commit
    committer.flush()
    assert consumer.commits == [({("t", 0): 9}, True)]
    committer.flush()  # nothing new delivered: nothing to commit
    assert len(consumer.commits) == 1


def test_commit_all_is_synchronous_and_covers_everything_delivered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(commits, "COMMIT_INTERVAL_S", 3600.0)
    committer, consumer, _ = _committer(batch_size=10)
    committer.delivered([TopicPartition("t", 0, 5)], 20)  # committed asynchronously
    committer.delivered([TopicPartition("t", 1, 7)], 1)  # gathering
    committer.commit_all()
    assert consumer.commits[-1] == ({("t", 0): 5, ("t", 1): 7}, False)
    committer.commit_all()  # nothing new delivered: no commit
    assert len(consumer.commits) == 2


def test_a_failed_commit_is_counted_not_raised() -> None:
    committer, consumer, confirmed = _committer()
    consumer.failing = True
    committer.delivered([TopicPartition("t", 0, 5)], 20)
    assert committer.failures == 1
    assert confirmed == []


def test_a_synchronous_commit_is_confirmed_at_once() -> None:
    committer, _, confirmed = _committer()
    committer.delivered([TopicPartition("t", 0, 5)], 1)
    committer.commit_all()
    assert confirmed == [{("t", 0): 5}]


def test_the_brokers_answers_to_asynchronous_commits_are_passed_on_or_counted() -> None:
    committer, _, confirmed = _committer()
    committer.confirmed(None, [TopicPartition("t", 0, 5), TopicPartition("t", 1, 9)])
    assert confirmed == [{("t", 0): 5, ("t", 1): 9}]
    committer.confirmed(KafkaError(KafkaError.REQUEST_TIMED_OUT), [TopicPartition("t", 0, 8)])
    assert committer.failures == 1 and len(confirmed) == 1
    # As librdkafka reports a partition it refused (``TopicPartition.error`` is read-only).
    refused = SimpleNamespace(
        topic="t", partition=1, offset=12, error=KafkaError(KafkaError.UNKNOWN_MEMBER_ID)
    )
    committer.confirmed(None, [TopicPartition("t", 0, 8), refused])  # type: ignore[list-item]
    assert committer.failures == 2
    assert confirmed[-1] == {("t", 0): 8}


def test_refused_offsets_are_committed_again_with_the_next_commit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(commits, "COMMIT_INTERVAL_S", 0.0)
    committer, consumer, confirmed = _committer()
    committer.delivered([TopicPartition("t", 0, 5), TopicPartition("t", 1, 3)], 20)
    assert consumer.commits[-1] == ({("t", 0): 5, ("t", 1): 3}, True)
    refused = SimpleNamespace(
        topic="t", partition=1, offset=3, error=KafkaError(KafkaError.REBALANCE_IN_PROGRESS)
    )
    committer.confirmed(None, [TopicPartition("t", 0, 5), refused])  # type: ignore[list-item]
    assert confirmed == [{("t", 0): 5}]
    committer.flush()
    assert consumer.commits[-1] == ({("t", 1): 3}, True)  # only the refused one, again
    committer.delivered([TopicPartition("t", 1, 8)], 1)
    assert consumer.commits[-1] == ({("t", 1): 8}, True)
    # The answer to the commit of 3 comes after 8 was sent: 8 is committed again, never 3.
    sent = len(consumer.commits)
    committer.confirmed(KafkaError(KafkaError.REQUEST_TIMED_OUT), [TopicPartition("t", 1, 3)])
    committer.flush()
    assert consumer.commits[sent:] == [({("t", 1): 8}, True)]
    committer.commit_all()  # the partitions are given up
    committer.confirmed(KafkaError(KafkaError.REQUEST_TIMED_OUT), [TopicPartition("t", 1, 8)])
    committer.flush()
    assert consumer.commits[-1][1] is False  # nothing committed again after giving up
    assert committer.failures == 3


def test_a_commit_the_client_refuses_at_once_is_tried_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(commits, "COMMIT_INTERVAL_S", 0.0)
    committer, consumer, _ = _committer()
    consumer.failing = True
    committer.delivered([TopicPartition("t", 0, 5)], 20)
    consumer.failing = False
    committer.flush()
    assert consumer.commits == [({("t", 0): 5}, True)]
