"""What a crash could replay, per partition: the messages polled since the last offset commit
the broker confirmed. The runner polls at most :meth:`ReplayWindow.room` messages at a time
and pauses a partition whose window is full, so a crash scores again at most ``limit``
messages of any partition, however many batches are in flight.

Pure: fed polled messages and confirmed commits, it answers which partitions are full.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from confluent_kafka import TopicPartition

Partition = tuple[str, int]


class ReplayWindow:
    """Per partition, the offsets from the last confirmed commit to the next one to poll.

    Args:
        limit: A partition with this many messages polled and not confirmed committed is full.

    Example:
        >>> w = ReplayWindow(limit=3)
        >>> w.polled_offsets("t", 0, [5, 6, 7]); w.full()
        [('t', 0)]
        >>> w.committed([TopicPartition("t", 0, 7)]); w.full(), w.replayable(("t", 0))
        ([], 1)
        >>> w.room(paused=())
        2
    """

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self._start: dict[Partition, int] = {}  # last confirmed commit (or first offset polled)
        self._end: dict[Partition, int] = {}  # next offset to poll

    def polled(self, messages: Iterable[Any]) -> None:
        """Record polled messages (confluent-kafka ``Message`` objects, in poll order)."""
        start, end = self._start, self._end
        for message in messages:
            key = (message.topic(), message.partition())
            offset = message.offset()
            if key not in start:
                # Where the partition was read from: its committed offset, or the reset point.
                start[key] = offset
            end[key] = offset + 1

    def polled_offsets(self, topic: str, partition: int, offsets: Iterable[int]) -> None:
        """:meth:`polled` for bare offsets of one partition."""
        key = (topic, partition)
        for offset in offsets:
            self._start.setdefault(key, offset)
            self._end[key] = offset + 1

    def committed(self, offsets: Iterable[TopicPartition]) -> None:
        """Commits the broker confirmed (``offset`` = next offset to read)."""
        for tp in offsets:
            key = (tp.topic, tp.partition)
            if tp.error is None and tp.offset >= 0 and key in self._start:
                self._start[key] = max(self._start[key], tp.offset)

    def replayable(self, partition: Partition) -> int:
        """Messages of ``partition`` a crash now would read again."""
        return max(0, self._end.get(partition, 0) - self._start.get(partition, 0))

    def room(self, paused: Collection[Partition]) -> int:
        """How many messages one poll may return without taking a partition that is not
        ``paused`` past the limit (a paused partition returns none)."""
        start, widest = self._start, 0
        for key, end in self._end.items():
            if key not in paused:
                widest = max(widest, end - start[key])
        return max(0, self.limit - widest)

    def full(self) -> list[Partition]:
        """Partitions at the limit: to pause until their commits are confirmed."""
        start = self._start
        return [key for key, end in self._end.items() if end - start[key] >= self.limit]

    def forget(self, partitions: Iterable[Partition]) -> None:
        """Partitions given up: a later owner reads them from the committed offsets."""
        for key in partitions:
            self._start.pop(key, None)
            self._end.pop(key, None)
