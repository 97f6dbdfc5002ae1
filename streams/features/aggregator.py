"""The pure aggregation core every engine runs: events in, feature rows out, no I/O.

Idempotence: each entity state records the last applied offset per ``topic/partition`` and
the aggregator the last offset seen per partition; an event at or below either is a replay
(after a rebalance or a restore) and is skipped and counted, so at-least-once delivery gives
exact results. Per-entity offsets keep this true when an engine stores entities separately
(one Faust table entry or Bytewax key each).

Lateness: the watermark of a source partition is the largest event time applied from it. An
event older than ``watermark - allowed_lateness_ms`` is *late*: it is returned, not applied,
for the runner to send to the late-events topic and count. Within the allowed lateness,
out-of-order events are applied to the buckets they belong to.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from streams.features.definitions import FeatureView
from streams.features.event_values import numeric_values
from streams.features.exceptions import InvalidEventError, RowFormatError
from streams.features.layout import StateLayout, layout_of
from streams.features.row_codec import MAX_EVENT_ID_BYTES
from streams.features.rows import FeatureRow, row_arrays
from streams.features.state import EntityState, PlainState


@dataclass(frozen=True, slots=True)
class SourceEvent:
    """A decoded source record with where it came from.

    Attributes:
        topic: Source topic.
        partition: Source partition.
        offset: Offset in that partition.
        event_time_ms: Event time, epoch milliseconds.
        event_id: Unique id of the event.
        record: The decoded record (the entity key is read from ``view.key_field``).
    """

    topic: str
    partition: int
    offset: int
    event_time_ms: int
    event_id: str
    record: Mapping[str, Any]

    @classmethod
    def of(
        cls,
        view: FeatureView,
        record: Mapping[str, Any],
        *,
        topic: str,
        partition: int,
        offset: int,
        id_field: str = "event_id",
    ) -> SourceEvent:
        """Build an event taking time and id from the record's own fields."""
        return cls(
            topic,
            partition,
            offset,
            int(record[view.event_time_field]),
            str(record[id_field]),
            record,
        )


@dataclass(frozen=True)
class RejectedEvent:
    """An event the aggregator could not use, with the reason (errors are values)."""

    event: SourceEvent
    error: InvalidEventError


@dataclass(frozen=True)
class AggregationResult:
    """What one batch did.

    Attributes:
        rows: The final row of every entity the batch changed, in first-change order.
        late: Events older than the watermark allows, not applied.
        rejected: Events without a usable key or values, not applied.
        replays_skipped: Events already applied before (offset at or below the recorded one).
        applied: Events folded into the state.
    """

    rows: tuple[FeatureRow, ...]
    late: tuple[SourceEvent, ...]
    rejected: tuple[RejectedEvent, ...]
    replays_skipped: int
    applied: int


def merged(results: Sequence[AggregationResult]) -> AggregationResult:
    """One result of several whose entities are disjoint (other partitions or key buckets)."""
    if len(results) == 1:
        return results[0]
    return AggregationResult(
        tuple(row for r in results for row in r.rows),
        tuple(event for r in results for event in r.late),
        tuple(rejected for r in results for rejected in r.rejected),
        sum(r.replays_skipped for r in results),
        sum(r.applied for r in results),
    )


class Outcome(Enum):
    """What :meth:`FeatureAggregator.step` did with one event."""

    APPLIED = "applied"
    REPLAY = "replay"
    LATE = "late"


class FeatureAggregator:
    """Per-entity windowed aggregation of one feature view (pure: no clock, no I/O).

    Args:
        view: The view to compute.
        allowed_lateness_ms: How far behind its partition's watermark an event may be.
    """

    def __init__(self, view: FeatureView, *, allowed_lateness_ms: int = 0) -> None:
        self._view = view
        self._layout: StateLayout = layout_of(view)
        self._lateness = allowed_lateness_ms
        self._states: dict[str, EntityState] = {}
        self._watermarks: dict[str, int] = {}
        self._offsets: dict[str, int] = {}
        # Snapshot form of each entity unchanged since the last snapshot: an engine that
        # snapshots every epoch re-encodes only the entities that changed in between.
        self._encoded: dict[str, PlainState] = {}

    @property
    def view(self) -> FeatureView:
        """The view this aggregator computes."""
        return self._view

    @property
    def watermarks(self) -> Mapping[str, int]:
        """Largest applied event time per ``"topic/partition"``."""
        return dict(self._watermarks)

    def state(self, entity_id: str) -> EntityState | None:
        """The live state of one entity (do not mutate), or ``None`` if never seen."""
        return self._states.get(entity_id)

    def step(self, event: SourceEvent) -> Outcome:
        """Fold one event in; the per-event core that :meth:`apply` and the backfill share.

        Raises:
            InvalidEventError: No usable key or a non-finite aggregated value.
        """
        part = f"{event.topic}/{event.partition}"
        key = event.record.get(self._view.key_field)
        state = self._states.get(key) if isinstance(key, str) else None
        if event.offset <= self._offsets.get(part, -1) or (
            state is not None and event.offset <= state.offsets.get(part, -1)
        ):
            return Outcome.REPLAY
        self._offsets[part] = event.offset
        if not isinstance(key, str) or not key:
            raise InvalidEventError(f"{self._view.key_field}={key!r} is not an entity id")
        event_id = event.event_id
        # At most 4 UTF-8 bytes a character: only long ids need encoding to be measured.
        if len(event_id) * 4 > MAX_EVENT_ID_BYTES and len(event_id.encode()) > MAX_EVENT_ID_BYTES:
            raise InvalidEventError(f"event id longer than {MAX_EVENT_ID_BYTES} bytes")
        numbers = numeric_values(self._layout, event.record)
        watermark = self._watermarks.get(part)
        if watermark is not None and event.event_time_ms < watermark - self._lateness:
            return Outcome.LATE
        if state is None:
            state = self._states[key] = EntityState.empty(self._layout)
        state.apply(self._layout, event.event_id, event.event_time_ms, event.record, numbers)
        state.offsets[part] = event.offset
        self._encoded.pop(key, None)
        self._watermarks[part] = (
            event.event_time_ms if watermark is None else max(watermark, event.event_time_ms)
        )
        return Outcome.APPLIED

    def apply(self, batch: Iterable[SourceEvent]) -> AggregationResult:
        """Fold a batch in and return the rows to write, late and rejected events."""
        changed: dict[str, None] = {}
        late: list[SourceEvent] = []
        rejected: list[RejectedEvent] = []
        replays = applied = 0
        for event in batch:
            try:
                outcome = self.step(event)
            except InvalidEventError as exc:
                rejected.append(RejectedEvent(event, exc))
                continue
            if outcome is Outcome.APPLIED:
                applied += 1
                changed[event.record[self._view.key_field]] = None
            elif outcome is Outcome.LATE:
                late.append(event)
            else:
                replays += 1
        return AggregationResult(
            self.rows(list(changed)), tuple(late), tuple(rejected), replays, applied
        )

    def rows(self, entity_ids: Sequence[str]) -> tuple[FeatureRow, ...]:
        """Current rows of known entities (copies: later events do not show through)."""
        version = self._layout.version
        out = []
        for key in entity_ids:
            state = self._states[key]
            cells, undo_pos, undo_old, body = row_arrays(state, self._layout)
            out.append(
                FeatureRow(
                    entity_id=key,
                    view_version=version,
                    cells=cells,
                    undo_pos=undo_pos,
                    undo_old=undo_old,
                    max_event_time=state.max_event_time,
                    applied_count=state.applied_count,
                    last_event_time=state.last_event_time,
                    last_event_id=state.last_event_id,
                    view=self._view,
                    body=body,
                )
            )
        return tuple(out)

    def snapshot(self) -> dict[str, Any]:
        """The whole state as plain data (for recovery snapshots).

        Entities are in :meth:`EntityState.to_plain` form, cached until they change, so
        snapshotting every epoch costs in proportion to the entities changed in it.
        """
        return {
            "view_version": self._layout.version,
            "watermarks": dict(self._watermarks),
            "offsets": dict(self._offsets),
            "entities": {
                key: self._encoded_state(key, state) for key, state in self._states.items()
            },
        }

    def _encoded_state(self, key: str, state: EntityState) -> PlainState:
        data = self._encoded.get(key)
        if data is None:
            data = self._encoded[key] = state.to_plain()
        return data

    @classmethod
    def restore(
        cls, view: FeatureView, snapshot: Mapping[str, Any], *, allowed_lateness_ms: int = 0
    ) -> FeatureAggregator:
        """Rebuild an aggregator from :meth:`snapshot` output of the same view version.

        Raises:
            RowFormatError: The snapshot is of another view version or malformed.
        """
        aggregator = cls(view, allowed_lateness_ms=allowed_lateness_ms)
        if snapshot.get("view_version") != aggregator._layout.version:
            raise RowFormatError(
                f"snapshot of view version {snapshot.get('view_version')!r}, "
                f"expected {aggregator._layout.version}"
            )
        aggregator._watermarks = {str(k): int(v) for k, v in snapshot["watermarks"].items()}
        aggregator._offsets = {str(k): int(v) for k, v in snapshot["offsets"].items()}
        aggregator._states = {
            str(key): _entity_state(data, aggregator._layout)
            for key, data in snapshot["entities"].items()
        }
        return aggregator


def _entity_state(data: Any, layout: StateLayout) -> EntityState:
    """An entity of a snapshot: plain form, or the JSON form Faust tables hold (and older
    Bytewax snapshots)."""
    if isinstance(data, Mapping):
        return EntityState.from_dict(data, layout)
    return EntityState.from_plain(data, layout)
