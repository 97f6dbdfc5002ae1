"""settle_heap: what a service holds when it starts serving is out of every collection."""

from __future__ import annotations

import gc

from streams.heap import settle_heap


def test_objects_alive_at_start_are_frozen_and_later_ones_are_not() -> None:
    held = [object()]
    try:
        settle_heap()
        assert not any(o is held for o in gc.get_objects())  # frozen: no pass walks it
        assert gc.get_freeze_count() > 0
        later = [object()]
        assert any(o is later for o in gc.get_objects())  # what comes after is collected
    finally:
        gc.unfreeze()
    assert any(o is held for o in gc.get_objects())
