"""The demo's stream in simulated time: events as they happen, labels when they become known.

Pure: a label is released once the simulated clock (the newest event's time) passes its
``label_time``, as a chargeback arrives some time after the transaction.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from typing import Any, Literal

Record = dict[str, Any]
Item = tuple[Literal["event", "label"], Record]


def timeline(pairs: Iterable[tuple[Record, Record]]) -> Iterator[Item]:
    """Interleave events with their labels in simulated-time order; flush labels at the end."""
    pending: list[tuple[int, int, Record]] = []
    for sequence, (event, label) in enumerate(pairs):
        now = int(event["event_time"])
        while pending and pending[0][0] <= now:
            yield "label", heapq.heappop(pending)[2]
        yield "event", event
        heapq.heappush(pending, (int(label["label_time"]), sequence, label))
    while pending:
        yield "label", heapq.heappop(pending)[2]
