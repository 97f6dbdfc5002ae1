"""How a view's aggregation state is laid out in one flat float64 vector.

Every entity's state is a fixed-length vector, so rows of one view stack into a matrix and
are evaluated for many entities at once. The vector holds, in order:

* one **moment group** per distinct window: a ring of ``buckets`` slots stored
  moment-major, ``[bucket ids..., first moment row of every slot..., ...]``, where the
  moments are the count, sums, sums of squares, maxima and minima the window's aggregations
  need (bucket id ``-1`` = never used). A sum or sum of squares takes two rows, its high
  then its low limb (see :mod:`~streams.features.fixed_point`); every other moment one.
  Moment-major keeps each row's buckets contiguous, so evaluation reduces along a contiguous
  axis with no copy;
* one **distinct segment** per ``distinct_count``: ``capacity`` slots of
  ``[value_hash, last_seen_ms]`` (hash ``0`` = empty), keeping the most recent values;
* one **recency segment**: ``[last_event_time_ms, last value of each "last" field...]``
  (time ``-1`` = no event yet).

Bucket ids, counts, times, hashes and the limbs of sums are integers below 2**53 (limbs
within the range :mod:`~streams.features.fixed_point` documents), so float64 holds them
exactly and a window's counts and sums are the same whatever order its events were applied
in; maxima, minima and last values are source values as they came.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Literal

from streams.features.definitions import Aggregation, FeatureView, Window
from streams.features.exceptions import DefinitionError
from streams.features.fixed_point import MAX_BUCKETS

MomentKind = Literal["count", "sum", "sumsq", "max", "min"]
Moment = tuple[MomentKind, str | None]
# Moment kinds as small ints for the per-event hot path (see ``RingSpec``).
OP_CODES: dict[MomentKind, int] = {"count": 0, "sum": 1, "sumsq": 2, "max": 3, "min": 4}
# Moments kept as exact fixed-point totals in two cells per slot, high limb first.
FIXED_POINT: frozenset[MomentKind] = frozenset({"sum", "sumsq"})

NO_BUCKET = -1.0
NO_TIME = -1.0
IDENTITY: dict[MomentKind, float] = {
    "count": 0.0,
    "sum": 0.0,
    "sumsq": 0.0,
    "max": -math.inf,
    "min": math.inf,
}


def moments_of(agg: Aggregation) -> tuple[Moment, ...]:
    """The bucket moments an aggregation is computed from (empty if it needs none)."""
    field = agg.field
    needs: dict[str, tuple[Moment, ...]] = {
        "count": (("count", None),),
        "sum": (("count", None), ("sum", field)),
        "mean": (("count", None), ("sum", field)),
        "std": (("count", None), ("sum", field), ("sumsq", field)),
        "max": (("count", None), ("max", field)),
        "min": (("count", None), ("min", field)),
    }
    return needs.get(agg.kind, ())


@dataclass(frozen=True)
class MomentGroup:
    """The ring of buckets of one window, holding every moment its aggregations need."""

    window: Window
    offset: int
    moments: tuple[Moment, ...]

    @cached_property
    def positions(self) -> dict[Moment, int]:
        """Index of each moment's first cell inside a slot (0 is the bucket id); a
        fixed-point moment's low limb follows its high limb."""
        out: dict[Moment, int] = {}
        at = 1
        for moment in self.moments:
            out[moment] = at
            at += 2 if moment[0] in FIXED_POINT else 1
        return out

    @cached_property
    def stride(self) -> int:
        """Cells per slot: the bucket id then one cell per moment (two per fixed-point one)."""
        return 1 + sum(2 if kind in FIXED_POINT else 1 for kind, _ in self.moments)

    @property
    def size(self) -> int:
        """Cells of the whole ring."""
        return self.window.buckets * self.stride

    def position(self, moment: Moment) -> int:
        """Index of ``moment``'s first cell inside a slot (0 is the bucket id)."""
        return self.positions[moment]

    def cells_of(self, slot: int) -> range:
        """Positions of one slot's cells in the state vector (bucket id first)."""
        start = self.offset + slot
        return range(start, self.offset + self.size, self.window.buckets)

    @cached_property
    def empty_template(self) -> array[float]:
        """An empty slot with bucket id ``NO_BUCKET``, to copy into the ring on reset."""
        cells = [NO_BUCKET]
        for kind, _ in self.moments:
            # Both limbs of an empty fixed-point total are 0.
            cells.extend([IDENTITY[kind]] * (2 if kind in FIXED_POINT else 1))
        return array("d", cells)


@dataclass(frozen=True, slots=True)
class RingSpec:
    """One moment group flattened for the per-event update (no property calls per event).

    Attributes:
        bucket_ms: Bucket length.
        buckets: Slots in the ring (also the stride between a slot's cells).
        offset: First cell of the ring.
        end: One past its last cell.
        template: An empty slot (see :attr:`MomentGroup.empty_template`).
        ops: Per moment: ``(cell index minus the slot's first cell, op code, field)``; for a
            fixed-point moment the index is its high limb's, and its low limb is the next
            moment row, ``buckets`` cells further.
    """

    bucket_ms: int
    buckets: int
    offset: int
    end: int
    template: array[float]
    ops: tuple[tuple[int, int, str | None], ...]

    @classmethod
    def of(cls, group: MomentGroup) -> RingSpec:
        """Flatten one moment group."""
        n = group.window.buckets
        ops = tuple(
            (group.position((kind, name)) * n, OP_CODES[kind], name) for kind, name in group.moments
        )
        return cls(
            group.window.bucket_ms,
            n,
            group.offset,
            group.offset + group.size,
            group.empty_template,
            ops,
        )


@dataclass(frozen=True)
class DistinctSegment:
    """The most recent distinct values of one field, with the time each was last seen."""

    field: str
    window: Window
    capacity: int
    offset: int

    @property
    def size(self) -> int:
        """Cells of the segment: a hash and a time per slot."""
        return 2 * self.capacity


@dataclass(frozen=True)
class RecencySegment:
    """Last event time and the last value of each ``last`` field."""

    offset: int
    fields: tuple[str, ...]

    @property
    def size(self) -> int:
        """Cells of the segment."""
        return 1 + len(self.fields)


@dataclass(frozen=True)
class StateLayout:
    """The compiled state layout of one view; see the module docstring."""

    view: FeatureView
    version: str
    groups: tuple[MomentGroup, ...]
    distincts: tuple[DistinctSegment, ...]
    recency: RecencySegment
    size: int
    numeric_fields: tuple[str, ...]

    def __hash__(self) -> int:
        # Layouts key the row codec's caches, looked up for every row written or read; the
        # generated hash walked every nested group each time (~5 µs a row). The version is a
        # hash of the whole definition, so equal layouts share it.
        return hash(self.version)

    @cached_property
    def rings(self) -> tuple[RingSpec, ...]:
        """The moment groups flattened for the per-event update."""
        return tuple(RingSpec.of(group) for group in self.groups)

    @cached_property
    def undo_size(self) -> int:
        """Cells one event touches: all of them are recorded to rebuild the state before it."""
        rings = sum(group.stride for group in self.groups)
        return rings + 2 * len(self.distincts) + self.recency.size

    def initial_state(self) -> array[float]:
        """The state of an entity that has seen no event (a fresh copy)."""
        return array("d", self._initial_state)

    @cached_property
    def _initial_state(self) -> array[float]:
        cells = array("d", [0.0]) * self.size
        for group in self.groups:
            for slot in range(group.window.buckets):
                for pos, value in zip(group.cells_of(slot), group.empty_template, strict=True):
                    cells[pos] = value
        cells[self.recency.offset] = NO_TIME
        return cells

    def group_of(self, window: Window) -> MomentGroup:
        """The moment group of ``window``."""
        return next(group for group in self.groups if group.window == window)

    def distinct_of(self, agg: Aggregation) -> DistinctSegment:
        """The distinct segment of a ``distinct_count`` aggregation."""
        assert agg.field is not None and agg.window is not None
        return next(
            seg
            for seg in self.distincts
            if (seg.field, seg.window, seg.capacity) == (agg.field, agg.window, agg.capacity)
        )


def _group_moments(view: FeatureView) -> dict[Window, list[Moment]]:
    by_window: dict[Window, list[Moment]] = {}
    for agg in view.aggregations:
        moments = moments_of(agg)
        if not moments or agg.window is None:
            continue
        known = by_window.setdefault(agg.window, [])
        known.extend(m for m in moments if m not in known)
    # The count first, then the fixed-point rows together (evaluation slices them as one).
    family = {"count": 0, "sum": 1, "sumsq": 1, "max": 2, "min": 3}
    return {w: sorted(ms, key=lambda m: family[m[0]]) for w, ms in by_window.items()}


@cache
def layout_of(view: FeatureView) -> StateLayout:
    """Compile (once per view) where each part of the state lives."""
    offset = 0
    groups = []
    for window, moments in _group_moments(view).items():
        if window.buckets > MAX_BUCKETS and any(kind in FIXED_POINT for kind, _ in moments):
            raise DefinitionError(
                f"view {view.name}: a sum over {window.buckets} buckets (at most {MAX_BUCKETS})"
            )
        group = MomentGroup(window, offset, tuple(moments))
        groups.append(group)
        offset += group.size
    distincts: list[DistinctSegment] = []
    for agg in view.aggregations:
        if agg.kind != "distinct_count" or agg.field is None or agg.window is None:
            continue
        if any(
            (s.field, s.window, s.capacity) == (agg.field, agg.window, agg.capacity)
            for s in distincts
        ):
            continue
        distincts.append(DistinctSegment(agg.field, agg.window, agg.capacity, offset))
        offset += distincts[-1].size
    last_fields = tuple(
        dict.fromkeys(
            a.field for a in view.aggregations if a.kind == "last" and a.field is not None
        )
    )
    recency = RecencySegment(offset, last_fields)
    numeric = {field for g in groups for _, field in g.moments if field is not None}
    return StateLayout(
        view=view,
        version=view.version,
        groups=tuple(groups),
        distincts=tuple(distincts),
        recency=recency,
        size=offset + recency.size,
        numeric_fields=tuple(sorted(numeric | set(last_fields))),
    )
