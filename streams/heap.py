"""Keeping the garbage collector's full passes off a service's hot path.

A service imports a few hundred thousand objects it keeps for its whole life (libraries,
schemas, the model). CPython's oldest-generation collection walks every one of them each
time: 50 to 120 ms with the CLI's imports, measured inside the Bytewax aggregator at 5,000
events/s, where each such pause held back every record behind it. Frozen objects are left
out of every collection, so a full pass walks only what the service allocated since.
"""

from __future__ import annotations

import gc


def settle_heap() -> None:
    """Collect once, then freeze what survives: call when start-up is done, before serving."""
    gc.collect()
    gc.freeze()
