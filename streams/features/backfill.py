"""Offline, point-in-time correct features computed with the online core.

The backfill feeds archived events through the same :class:`FeatureAggregator` the engines
run, captures entity states at the query points, and evaluates them with the same
:func:`~streams.features.point_in_time.as_of_batch` inference uses, in vectorised chunks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from streams.features.aggregator import FeatureAggregator, SourceEvent
from streams.features.definitions import FeatureView
from streams.features.exceptions import FeatureError, InvalidEventError
from streams.features.layout import layout_of
from streams.features.point_in_time import as_of_batch
from streams.features.row_codec import BoolArray
from streams.features.rows import FloatArray, RowBatch
from streams.features.state import EntityState

CHUNK = 4096


@dataclass(frozen=True)
class QueryPoint:
    """An entity and a time to compute features for (from its events strictly before)."""

    entity_id: str
    at_ms: int


@dataclass(frozen=True)
class BackfillResult:
    """Features of each query, in query order.

    Attributes:
        feature_names: Column names.
        values: ``(n, features)``; the view's defaults where ``found`` is false.
        found: Whether the entity had any event before the query (for events: whether the
            event or an earlier one of its entity was usable).
    """

    feature_names: tuple[str, ...]
    values: FloatArray
    found: BoolArray


@dataclass
class _Captures:
    """States captured at query points, evaluated a chunk at a time to bound memory."""

    view: FeatureView
    size: int
    values: FloatArray = field(init=False)
    found: BoolArray = field(init=False)
    _pending: list[tuple[int, EntityState, str | None, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.values = np.tile(np.asarray(self.view.defaults, dtype=np.float64), (self.size, 1))
        self.found = np.zeros(self.size, dtype=np.bool_)

    def capture(self, index: int, state: EntityState | None, event_id: str | None, at: int) -> None:
        if state is None:
            return
        # Copies of the arrays: the live state keeps changing after the query point.
        frozen = EntityState(state.cells[:], state.undo_pos[:], state.undo_old[:])
        frozen.last_event_id, frozen.last_event_time = state.last_event_id, state.last_event_time
        self._pending.append((index, frozen, event_id, at))
        if len(self._pending) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        index = np.array([p[0] for p in self._pending], dtype=np.int64)
        batch = RowBatch.stack([p[1] for p in self._pending], layout_of(self.view))
        at = np.array([p[3] for p in self._pending], dtype=np.int64)
        self.values[index] = as_of_batch(self.view, batch, [p[2] for p in self._pending], at)
        self.found[index] = True
        self._pending.clear()

    def result(self) -> BackfillResult:
        self.flush()
        return BackfillResult(self.view.feature_names, self.values, self.found)


def _source_events(
    view: FeatureView, records: Iterable[Mapping[str, Any]]
) -> Iterable[SourceEvent]:
    for offset, record in enumerate(records):
        yield SourceEvent.of(view, record, topic=view.source_topic, partition=0, offset=offset)


def features_for_events(view: FeatureView, records: Sequence[Mapping[str, Any]]) -> BackfillResult:
    """Features of every event as online scoring sees them, in the given (arrival) order.

    Each event is applied, then scored with ``as_of(row, event_id, event_time)``: for a
    time-ordered stream these are the features from the entity's strictly earlier events.
    """
    aggregator = FeatureAggregator(view, allowed_lateness_ms=2**62)
    captures = _Captures(view, len(records))
    key_field = view.key_field
    for i, event in enumerate(_source_events(view, records)):
        try:
            aggregator.step(event)
        except InvalidEventError:
            continue
        key = event.record.get(key_field)
        state = aggregator.state(key) if isinstance(key, str) else None
        captures.capture(i, state, event.event_id, event.event_time_ms)
    return captures.result()


def features_at(
    view: FeatureView, records: Iterable[Mapping[str, Any]], queries: Sequence[QueryPoint]
) -> BackfillResult:
    """Features of each query point from its entity's events strictly before ``at_ms``.

    Raises:
        FeatureError: ``records`` are not in non-decreasing event-time order.
    """
    aggregator = FeatureAggregator(view, allowed_lateness_ms=2**62)
    captures = _Captures(view, len(queries))
    order = sorted(range(len(queries)), key=lambda i: queries[i].at_ms)
    pending = 0
    previous = -(2**63)
    for event in _source_events(view, records):
        if event.event_time_ms < previous:
            raise FeatureError(f"events are not time-ordered at offset {event.offset}")
        previous = event.event_time_ms
        while pending < len(order) and queries[order[pending]].at_ms <= event.event_time_ms:
            query = queries[order[pending]]
            captures.capture(order[pending], aggregator.state(query.entity_id), None, query.at_ms)
            pending += 1
        try:
            aggregator.step(event)
        except InvalidEventError:
            continue
    for index in order[pending:]:
        query = queries[index]
        captures.capture(index, aggregator.state(query.entity_id), None, query.at_ms)
    return captures.result()


class HistoricalFeatures:
    """Training's ``FeatureSource``: point-in-time features of query events from an archive.

    Args:
        views: Views whose features are concatenated, in this order.
        history: Time-ordered decoded source events (e.g. :func:`read_events`).
    """

    def __init__(self, views: Sequence[FeatureView], history: Sequence[Mapping[str, Any]]) -> None:
        self._views = tuple(views)
        self._history = history

    @property
    def feature_names(self) -> tuple[str, ...]:
        """Names of the columns of :meth:`features_for`, view after view."""
        return tuple(name for view in self._views for name in view.feature_names)

    def features_for(self, events: Sequence[Mapping[str, Any]]) -> FloatArray:
        """Features of each event from its entities' events strictly before its event time."""
        blocks = []
        for view in self._views:
            queries = [
                QueryPoint(str(event[view.key_field]), int(event[view.event_time_field]))
                for event in events
            ]
            blocks.append(features_at(view, self._history, queries).values)
        out: FloatArray = np.hstack(blocks) if blocks else np.zeros((len(events), 0))
        return out
