"""What a crash could deliver twice, per partition, and how far ahead the runner may work.

A batch's predictions are *sent* before its offsets are committed, so a crash delivers again
the predictions of every message sent since the last commit the broker confirmed. The window
keeps that to at most ``limit`` messages of any partition: a scored batch is sent only when
it fits (:meth:`ReplayWindow.may_send`), else it waits for the commit of the one before it.

Messages *taken* into batches may run ``ahead`` further: while one batch of a partition waits
for its commit, the next is decoded, given its features and scored, so the partition does not
sit idle for the acknowledgement and commit round trips. A crash reads those again too, but
their predictions were never sent: no duplicates.

Pure: fed the messages taken and sent and the confirmed commits, it answers what may go.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterable, Mapping
from typing import Any, NamedTuple, cast

from confluent_kafka import TopicPartition

Partition = tuple[str, int]


class Span(NamedTuple):
    """A batch's messages of one partition: how many, the offset after the last, and the
    first offset."""

    messages: int
    end: int
    first: int


Spans = Mapping[Partition, Span]


def spans(messages: Iterable[Any]) -> dict[Partition, Span]:
    """Per partition, the messages of a batch (confluent-kafka ``Message`` objects, in order
    within each partition)."""
    counts: dict[Partition, int] = {}
    firsts: dict[Partition, int] = {}
    lasts: dict[Partition, int] = {}
    for message in messages:
        key = (message.topic(), message.partition())
        offset = message.offset()
        if key in counts:
            counts[key] += 1
        else:
            counts[key], firsts[key] = 1, offset
        lasts[key] = offset
    return {key: Span(count, lasts[key] + 1, firsts[key]) for key, count in counts.items()}


def offsets_after(batch: Spans) -> list[TopicPartition]:
    """The offsets to commit once a batch with these spans is delivered.

    Example:
        >>> offsets_after({("t", 3): Span(messages=2, end=10, first=7)})
        [TopicPartition{topic=t,partition=3,offset=10,leader_epoch=None,error=None}]
    """
    return [
        TopicPartition(topic, partition, span.end) for (topic, partition), span in batch.items()
    ]


class ReplayWindow:
    """Per partition: messages sent and not confirmed committed, and messages taken.

    Args:
        limit: Messages of one partition whose predictions may be sent and not confirmed
            committed (what a crash delivers twice).
        ahead: Messages of one partition that may be taken beyond that (default ``limit``:
            one full batch is prepared while the one before waits for its commit).

    Example:
        >>> w = ReplayWindow(limit=2, ahead=1)
        >>> class Message:
        ...     def __init__(self, offset): self.o = offset
        ...     def topic(self): return "t"
        ...     def partition(self): return 0
        ...     def offset(self): return self.o
        >>> first, second = [Message(5), Message(6)], [Message(7)]
        >>> taken = w.taken(first + second); w.room(("t", 0)), taken[("t", 0)].messages
        (0, 3)
        >>> w.may_send(spans(first)), w.sent(spans(first)), w.may_send(spans(second))
        (True, None, False)
        >>> w.committed([TopicPartition("t", 0, 7)]); w.may_send(spans(second)), w.room(("t", 0))
        (True, 2)
    """

    def __init__(self, limit: int, ahead: int | None = None) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.ahead = limit if ahead is None else ahead
        self._start: dict[Partition, int] = {}  # last confirmed commit (or first offset taken)
        self._end: dict[Partition, int] = {}  # next offset to take
        self._sent: dict[Partition, deque[Span]] = {}  # sent, not confirmed committed
        self._waiting = False  # a scored batch waits for a commit to be sent

    def taken(self, messages: Iterable[Any]) -> dict[Partition, Span]:
        """Record messages taken into a batch (in order within each partition); returns the
        batch's :func:`spans`."""
        batch = spans(messages)
        start, end = self._start, self._end
        for key, span in batch.items():
            if key not in start:
                # Where the partition was read from: its committed offset, or the reset point.
                start[key] = span.first
            end[key] = span.end
        return batch

    def may_send(self, batch: Spans) -> bool:
        """Whether a batch with these :func:`spans` may be sent now. (A partition with
        nothing unconfirmed always may: a batch never holds more than ``limit`` of one.)"""
        fits = all(
            not self._sent.get(key) or self.replayable(key) + span.messages <= self.limit
            for key, span in batch.items()
        )
        self._waiting = not fits
        return fits

    def sent(self, batch: Spans) -> None:
        """A batch with these :func:`spans` was sent."""
        for key, span in batch.items():
            self._sent.setdefault(key, deque()).append(span)

    def committed(self, offsets: Iterable[TopicPartition]) -> None:
        """Commits the broker confirmed (``offset`` = next offset to read)."""
        for tp in offsets:
            key = (tp.topic, tp.partition)
            if tp.error is not None or tp.offset < 0:
                continue
            if key in self._start:
                self._start[key] = max(self._start[key], tp.offset)
            sent = self._sent.get(key)
            while sent and sent[0].end <= tp.offset:
                sent.popleft()

    def replayable(self, partition: Partition) -> int:
        """Messages of ``partition`` whose predictions a crash now would deliver again."""
        return sum(span.messages for span in self._sent.get(partition, ()))

    def room(self, partition: Hashable) -> int:
        """How many more messages of ``partition`` may be taken now (the batcher's groups
        are partitions)."""
        key = cast(Partition, partition)
        taken = self._end.get(key, 0) - self._start.get(key, 0)
        return max(0, self.limit + self.ahead - taken)

    def filling(self) -> bool:
        """Whether a batch waits for a commit to be sent, or some partition has sent half its
        limit: commits should then not be held back to group them."""
        return self._waiting or any(self.replayable(key) >= self.limit / 2 for key in self._sent)

    def forget(self, partitions: Iterable[Partition]) -> None:
        """Partitions given up: a later owner reads them from the committed offsets."""
        for key in partitions:
            self._start.pop(key, None)
            self._end.pop(key, None)
            self._sent.pop(key, None)
