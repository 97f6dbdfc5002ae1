"""Offset commits of the inference consumer: only for batches whose predictions the broker
acknowledged, grouped so that light load does not cost the broker a commit per batch, and at
once when the runner's replay window fills up (a partition then waits for the commit). The
commits the broker confirms are passed on (to the replay window)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from confluent_kafka import Consumer, KafkaException, TopicPartition

from inference.metrics import InferenceMetrics

log = logging.getLogger(__name__)

COMMIT_INTERVAL_S = 0.1


class OffsetCommitter:
    """Tracks delivered offsets and commits them.

    Args:
        consumer: Returns the group's consumer.
        batch_size: Commit once this many delivered messages have gathered.
        metrics: Where commit errors are counted.
        on_confirmed: Told the offsets of every commit the broker confirmed.
        urgent: True while a commit is waited for (the runner's replay window is filling up):
            what was delivered is then committed at once instead of grouped.
    """

    def __init__(
        self,
        consumer: Callable[[], Consumer],
        batch_size: int,
        metrics: InferenceMetrics,
        on_confirmed: Callable[[list[TopicPartition]], None],
        urgent: Callable[[], bool] = lambda: False,
    ) -> None:
        self._consumer, self._batch_size, self._metrics = consumer, batch_size, metrics
        self._on_confirmed, self._urgent = on_confirmed, urgent
        self.failures = 0  # delivered batches whose offsets could not be committed
        self._delivered: dict[tuple[str, int], int] = {}  # next offsets, not known committed
        self._to_commit: dict[tuple[str, int], int] = {}  # ... and not yet sent in a commit
        self._uncommitted = 0  # messages acknowledged since the last commit
        self._committed_at = 0.0

    def delivered(self, offsets: Sequence[TopicPartition], messages: int) -> None:
        """A batch of ``messages`` is acknowledged; ``offsets`` are its next offsets."""
        for tp in offsets:
            self._delivered[(tp.topic, tp.partition)] = tp.offset
            self._to_commit[(tp.topic, tp.partition)] = tp.offset
        self._uncommitted += messages
        self.flush()

    def flush(self) -> None:
        """Commit, asynchronously, once enough has gathered, enough time has passed, or a
        commit is waited for."""
        if not self._to_commit or (
            self._uncommitted < self._batch_size
            and time.monotonic() - self._committed_at < COMMIT_INTERVAL_S
            and not self._urgent()
        ):
            return
        offsets = [TopicPartition(t, p, o) for (t, p), o in self._to_commit.items()]
        self._to_commit.clear()
        self._uncommitted, self._committed_at = 0, time.monotonic()
        # Asynchronous: the poll loop waits for neither the acknowledgement nor the commit.
        # The predictions are acknowledged, so a lost commit only replays the batch (a
        # duplicate, which at-least-once delivery allows); drains commit synchronously.
        self._commit(offsets, asynchronous=True)

    def commit_all(self) -> None:
        """Synchronously commit everything delivered (before giving partitions up)."""
        if not self._delivered:
            return
        offsets = [TopicPartition(t, p, o) for (t, p), o in self._delivered.items()]
        self._commit(offsets, asynchronous=False)
        self._delivered.clear()
        self._to_commit.clear()
        self._uncommitted = 0

    def committed_in_transaction(self, offsets: list[TopicPartition]) -> None:
        """A batch's offsets were committed with its predictions, in one transaction."""
        self._on_confirmed(offsets)

    def confirmed(self, error: Any, offsets: list[TopicPartition]) -> None:
        """The consumer's ``on_commit`` callback: the broker's answer to a commit. Offsets it
        refused are committed again with the next commit."""
        if error is not None:
            self._failed(error, offsets)
            return
        failed = [tp for tp in offsets if tp.error is not None]
        if failed:
            self._failed(failed[0].error, failed)
        self._on_confirmed([tp for tp in offsets if tp.error is None])

    def _commit(self, offsets: list[TopicPartition], asynchronous: bool) -> None:
        try:
            if asynchronous:
                self._consumer().commit(offsets=offsets, asynchronous=True)
            else:
                done = self._consumer().commit(offsets=offsets, asynchronous=False)
                self._on_confirmed([tp for tp in done or [] if tp.error is None])
        except KafkaException as exc:
            self._failed(exc, offsets if asynchronous else [])

    def _failed(self, error: Any, retry: Sequence[TopicPartition]) -> None:
        self._metrics.errors.labels("commit").inc()
        self.failures += 1
        log.warning("offset commit failed, delivered batches may be replayed: %s", error)
        # Commit again later (the runner takes no more of a partition until its commit is
        # confirmed) unless the partition was given up: its latest delivered offset, never
        # the refused one, which a later commit may already have passed.
        for tp in retry:
            key = (tp.topic, tp.partition)
            if key in self._delivered:
                self._to_commit[key] = self._delivered[key]
