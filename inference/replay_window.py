"""What a crash could replay, per partition: the messages taken into batches since the last
offset commit the broker confirmed. The runner takes no more than :meth:`ReplayWindow.room`
messages of a partition into batches (the rest wait in the batcher), so a crash scores again
at most ``limit`` messages of any partition, however many batches are in flight.

Pure: fed the messages taken and the confirmed commits, it answers how many more may go.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any, cast

from confluent_kafka import TopicPartition

Partition = tuple[str, int]


class ReplayWindow:
    """Per partition, the offsets from the last confirmed commit to the next one to take.

    Args:
        limit: Messages of one partition that may be taken and not confirmed committed.

    Example:
        >>> w = ReplayWindow(limit=3)
        >>> class Message:
        ...     def __init__(self, offset): self.o = offset
        ...     def topic(self): return "t"
        ...     def partition(self): return 0
        ...     def offset(self): return self.o
        >>> w.taken([Message(5), Message(6), Message(7)]); w.room(("t", 0)), w.room(("t", 1))
        (0, 3)
        >>> w.committed([TopicPartition("t", 0, 7)]); w.room(("t", 0)), w.replayable(("t", 0))
        (2, 1)
    """

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self._start: dict[Partition, int] = {}  # last confirmed commit (or first offset taken)
        self._end: dict[Partition, int] = {}  # next offset to take

    def taken(self, messages: Iterable[Any]) -> None:
        """Record messages taken into a batch (confluent-kafka ``Message`` objects, in
        order within each partition)."""
        start, end = self._start, self._end
        for message in messages:
            key = (message.topic(), message.partition())
            offset = message.offset()
            if key not in start:
                # Where the partition was read from: its committed offset, or the reset point.
                start[key] = offset
            end[key] = offset + 1

    def committed(self, offsets: Iterable[TopicPartition]) -> None:
        """Commits the broker confirmed (``offset`` = next offset to read)."""
        for tp in offsets:
            key = (tp.topic, tp.partition)
            if tp.error is None and tp.offset >= 0 and key in self._start:
                self._start[key] = max(self._start[key], tp.offset)

    def replayable(self, partition: Partition) -> int:
        """Messages of ``partition`` a crash now would score again."""
        return max(0, self._end.get(partition, 0) - self._start.get(partition, 0))

    def room(self, partition: Hashable) -> int:
        """How many more messages of ``partition`` may be taken now (the batcher's groups
        are partitions)."""
        return max(0, self.limit - self.replayable(cast(Partition, partition)))

    def filling(self) -> bool:
        """Whether some partition has used half its limit: its next batch may soon wait for
        a commit, so commits should not be held back to group them."""
        return any(self.replayable(key) >= self.limit / 2 for key in self._end)

    def forget(self, partitions: Iterable[Partition]) -> None:
        """Partitions given up: a later owner reads them from the committed offsets."""
        for key in partitions:
            self._start.pop(key, None)
            self._end.pop(key, None)
