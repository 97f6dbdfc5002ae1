"""Offset commits are grouped: a batch's worth or 100 ms, everything at a drain."""

from __future__ import annotations

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


def _committer(batch_size: int = 10) -> tuple[OffsetCommitter, RecordingConsumer]:
    consumer = RecordingConsumer()
    metrics = InferenceMetrics(CollectorRegistry())
    return OffsetCommitter(lambda: consumer, batch_size, metrics), consumer  # type: ignore[arg-type, return-value]


def test_small_batches_gather_until_a_batch_worth(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(commits, "COMMIT_INTERVAL_S", 3600.0)
    committer, consumer = _committer(batch_size=10)
    committer.delivered([TopicPartition("t", 0, 5)], 4)
    committer.delivered([TopicPartition("t", 0, 5)], 0)  # the first call committed (time)
    consumer.commits.clear()
    committer.delivered([TopicPartition("t", 0, 9)], 4)
    committer.delivered([TopicPartition("t", 1, 3)], 4)
    assert consumer.commits == []  # 8 < 10 and the interval has not passed
    committer.delivered([TopicPartition("t", 0, 12)], 3)
    assert consumer.commits == [({("t", 0): 12, ("t", 1): 3}, True)]


def test_commit_all_is_synchronous_and_covers_everything_delivered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(commits, "COMMIT_INTERVAL_S", 3600.0)
    committer, consumer = _committer(batch_size=10)
    committer.delivered([TopicPartition("t", 0, 5)], 20)  # committed asynchronously
    committer.delivered([TopicPartition("t", 1, 7)], 1)  # gathering
    committer.commit_all()
    assert consumer.commits[-1] == ({("t", 0): 5, ("t", 1): 7}, False)
    committer.commit_all()  # nothing new delivered: no commit
    assert len(consumer.commits) == 2


def test_a_failed_commit_is_counted_not_raised() -> None:
    committer, consumer = _committer()
    consumer.failing = True
    committer.delivered([TopicPartition("t", 0, 5)], 20)
    assert committer.failures == 1
