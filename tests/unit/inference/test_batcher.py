"""MicroBatcher: flushes on size and on max wait, with an injected clock."""

from __future__ import annotations

from collections.abc import Hashable

from inference.batcher import MicroBatcher


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_flushes_on_size() -> None:
    batcher = MicroBatcher[int](max_size=4, max_wait_ms=1000, clock=_Clock())
    batcher.add(range(3))
    assert not batcher.ready()
    batcher.add(range(3, 10))
    assert batcher.ready()
    assert batcher.take() == [0, 1, 2, 3]
    assert batcher.take() == [4, 5, 6, 7]
    assert len(batcher) == 2


def test_flushes_on_max_wait_of_the_oldest_item() -> None:
    clock = _Clock()
    batcher = MicroBatcher[str](max_size=100, max_wait_ms=50, clock=clock)
    assert not batcher.ready()
    assert batcher.wait_s() == 0.05
    batcher.add(["a"])
    clock.now += 0.030
    batcher.add(["b"])  # a later item does not restart the clock
    assert not batcher.ready()
    assert abs(batcher.wait_s() - 0.020) < 1e-9
    clock.now += 0.021
    assert batcher.ready()
    assert batcher.take() == ["a", "b"]
    assert not batcher.ready()


def test_clear_returns_everything() -> None:
    batcher = MicroBatcher[int](max_size=2, max_wait_ms=0, clock=_Clock())
    batcher.add([1, 2, 3])
    assert batcher.clear() == [1, 2, 3]
    assert len(batcher) == 0 and not batcher.ready()


def test_an_idle_pipeline_takes_what_waits_at_once() -> None:
    clock = _Clock()
    batcher = MicroBatcher[int](max_size=100, max_wait_ms=50, clock=clock)
    assert not batcher.ready(idle=True)  # nothing waiting
    batcher.add([1, 2])
    assert not batcher.ready(idle=False)
    assert batcher.ready(idle=True)
    assert batcher.take() == [1, 2]


def test_groups_keep_their_order_and_give_at_most_their_room() -> None:
    batcher = MicroBatcher[tuple[str, int]](max_size=4, max_wait_ms=50, key=lambda i: i[0])
    batcher.add([("a", 0), ("b", 0), ("a", 1), ("a", 2), ("b", 1)])
    room = {"a": 2, "b": 9}

    def room_of(key: Hashable) -> int:
        return room[str(key)]

    assert batcher.ready(room=room_of)  # 2 + 2 can be taken: a full batch
    assert batcher.take(room_of) == [("a", 0), ("a", 1), ("b", 0), ("b", 1)]
    assert len(batcher) == 1
    room["a"] = 0
    assert not batcher.ready(idle=True, room=room_of)  # nothing may be taken
    assert batcher.take(room_of) == []
    room["a"] = 1
    assert batcher.take(room_of) == [("a", 2)]
    assert len(batcher) == 0 and batcher.clear() == []
