"""Dynamic micro-batching: a batch closes when it is full, when its oldest item waited enough,
or at once when the pipeline behind it is idle (waiting then would only add latency: batches
grow by themselves while earlier ones are being worked on).

Pure: the clock is injected, nothing sleeps. The runner asks :meth:`MicroBatcher.wait_s` how
long it may block in ``poll`` without overrunning the oldest item's deadline.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

T = TypeVar("T")


class MicroBatcher(Generic[T]):
    """Collects items into batches of at most ``max_size``.

    Args:
        max_size: A batch is ready as soon as this many items are waiting.
        max_wait_ms: ... or as soon as the oldest waiting item is this old.
        clock: Seconds, monotonic.

    Example:
        >>> now = [0.0]
        >>> b = MicroBatcher[int](max_size=3, max_wait_ms=10, clock=lambda: now[0])
        >>> b.add([1, 2]); b.ready()
        False
        >>> now[0] = 0.011; b.ready(), b.take()
        (True, [1, 2])
        >>> b.add([3]); b.ready(), b.ready(idle=True)
        (False, True)
    """

    def __init__(
        self, max_size: int, max_wait_ms: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if max_size < 1:
            raise ValueError("max_size must be at least 1")
        self.max_size = max_size
        self.max_wait_s = max_wait_ms / 1000.0
        self._clock = clock
        self._items: list[T] = []
        self._oldest_at: float | None = None

    def __len__(self) -> int:
        return len(self._items)

    def add(self, items: Iterable[T]) -> None:
        """Queue items; the first one starts the wait clock."""
        before = len(self._items)
        self._items.extend(items)
        if before == 0 and self._items:
            self._oldest_at = self._clock()

    def ready(self, idle: bool = False) -> bool:
        """Whether a batch should be taken now.

        Args:
            idle: Nothing is being worked on downstream: take what is waiting at once.
        """
        if len(self._items) >= self.max_size:
            return True
        return bool(self._items) and (idle or self.wait_s() <= 0.0)

    def wait_s(self) -> float:
        """Seconds until the oldest item's deadline (``max_wait`` when empty, 0 if past)."""
        if self._oldest_at is None:
            return self.max_wait_s
        return max(0.0, self._oldest_at + self.max_wait_s - self._clock())

    def take(self) -> list[T]:
        """The next batch (oldest first, at most ``max_size``); the rest keep waiting."""
        batch, self._items = self._items[: self.max_size], self._items[self.max_size :]
        # Items left over were polled with the batch: their wait started with it.
        self._oldest_at = self._oldest_at if self._items else None
        return batch

    def clear(self) -> list[T]:
        """Remove and return everything waiting (a rebalance gives the partitions away)."""
        items, self._items, self._oldest_at = self._items, [], None
        return items
