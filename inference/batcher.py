"""Dynamic micro-batching: a batch closes when it is full, when its oldest item waited enough,
or at once when the pipeline behind it is idle (waiting then would only add latency: batches
grow by themselves while earlier ones are being worked on).

Items can be grouped by a key (the inference runner's: the message's partition), and a batch
may take from each group only as many items as a ``room`` function allows; the rest keep
waiting, in order. Without a key every item is in one group.

Pure: the clock is injected, nothing sleeps. The runner asks :meth:`MicroBatcher.wait_s` how
long it may block in ``poll`` without overrunning the oldest item's deadline.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterable
from typing import Generic, TypeVar

T = TypeVar("T")

Room = Callable[[Hashable], int]


class MicroBatcher(Generic[T]):
    """Collects items into batches of at most ``max_size``.

    Args:
        max_size: A batch is ready as soon as this many items can be taken.
        max_wait_ms: ... or as soon as the oldest waiting item is this old.
        clock: Seconds, monotonic.
        key: Groups items (order is kept within a group); ``None``: one group.

    Example:
        >>> now = [0.0]
        >>> b = MicroBatcher[int](max_size=3, max_wait_ms=10, clock=lambda: now[0])
        >>> b.add([1, 2]); b.ready()
        False
        >>> now[0] = 0.011; b.ready(), b.take()
        (True, [1, 2])
        >>> b.add([3]); b.ready(), b.ready(idle=True)
        (False, True)
        >>> odd = MicroBatcher[int](max_size=4, max_wait_ms=10, key=lambda i: i % 2)
        >>> odd.add([1, 2, 3, 4, 5]); odd.take(room=lambda k: 1 if k else 9)
        [1, 2, 4]
    """

    def __init__(
        self,
        max_size: int,
        max_wait_ms: float,
        clock: Callable[[], float] = time.monotonic,
        key: Callable[[T], Hashable] | None = None,
    ) -> None:
        if max_size < 1:
            raise ValueError("max_size must be at least 1")
        self.max_size = max_size
        self.max_wait_s = max_wait_ms / 1000.0
        self._clock = clock
        self._key = key
        self._groups: dict[Hashable, list[T]] = {}
        self._count = 0
        self._oldest_at: float | None = None

    def __len__(self) -> int:
        return self._count

    def add(self, items: Iterable[T]) -> None:
        """Queue items; the first one starts the wait clock."""
        before, groups, key = self._count, self._groups, self._key
        if key is None:
            group = groups.setdefault(None, [])
            size = len(group)
            group.extend(items)
            self._count += len(group) - size
            if not group:
                del groups[None]
        else:
            for item in items:
                k = key(item)
                found = groups.get(k)
                if found is None:
                    groups[k] = [item]
                else:
                    found.append(item)
                self._count += 1
        if before == 0 and self._count:
            self._oldest_at = self._clock()

    def ready(self, idle: bool = False, room: Room | None = None) -> bool:
        """Whether a batch should be taken now.

        Args:
            idle: Nothing is being worked on downstream: take what is waiting at once.
            room: How many items each group may give now (``None``: no limit).
        """
        takeable = self._takeable(room)
        if takeable >= self.max_size:
            return True
        return takeable > 0 and (idle or self.wait_s() <= 0.0)

    def wait_s(self) -> float:
        """Seconds until the oldest item's deadline (``max_wait`` when empty, 0 if past)."""
        if self._oldest_at is None:
            return self.max_wait_s
        return max(0.0, self._oldest_at + self.max_wait_s - self._clock())

    def take(self, room: Room | None = None) -> list[T]:
        """The next batch: at most ``max_size`` items, each group's oldest first and at most
        ``room(key)`` of them; the rest keep waiting."""
        batch: list[T] = []
        left = self.max_size
        for k in list(self._groups):
            group = self._groups[k]
            n = min(len(group), left if room is None else min(left, room(k)))
            if n <= 0:
                continue
            batch.extend(group[:n])
            if n == len(group):
                del self._groups[k]
            else:
                self._groups[k] = group[n:]
            left -= n
            if left == 0:
                break
        self._count -= len(batch)
        # Items left over were polled with the batch: their wait started with it.
        self._oldest_at = self._oldest_at if self._count else None
        return batch

    def clear(self) -> list[T]:
        """Remove and return everything waiting (a rebalance gives the partitions away)."""
        items = [item for group in self._groups.values() for item in group]
        self._groups, self._count, self._oldest_at = {}, 0, None
        return items

    def _takeable(self, room: Room | None) -> int:
        if room is None:
            return self._count
        return sum(min(len(group), max(0, room(k))) for k, group in self._groups.items())
