"""The aggregation state of one entity and the one function that applies an event to it.

Every engine (Bytewax, Faust, the offline backfill) goes through :meth:`EntityState.apply`,
so they compute bit-identical states from the same events in the same order. The windows'
counts, sums and extremes do not even depend on that order (sums are exact fixed-point
totals, see :mod:`~streams.features.fixed_point`). Applying an event also records the
previous content of every cell it touched (the *undo* cells), which is how a stored row can
produce the features as they were just before its last event.
"""

from __future__ import annotations

import base64
from array import array
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from streams.features.event_values import value_hash
from streams.features.exceptions import RowFormatError
from streams.features.fixed_point import add_into
from streams.features.layout import StateLayout

# EntityState.to_plain(): cells, undo positions, undo values (raw bytes), max event time,
# applied count, last event time, last event id, offsets.
PlainState = tuple[bytes, bytes, bytes, int, int, int, str, dict[str, int]]


def _encode(values: array[float]) -> str:
    return base64.b64encode(np.asarray(values, dtype="<f8").tobytes()).decode("ascii")


def _decode(text: str) -> array[float]:
    return array("d", np.frombuffer(base64.b64decode(text), dtype="<f8").astype(np.float64))


@dataclass
class EntityState:
    """Mutable (on purpose: it is the per-event hot path) state of one entity.

    Attributes:
        cells: The state vector laid out by :class:`~streams.features.layout.StateLayout`.
        undo_pos: Cells the last applied event touched.
        undo_old: Their values before that event.
        max_event_time: Largest event time applied (the online store's ordering key).
        applied_count: Events applied so far (ordering tie-break for out-of-order events).
        last_event_time: Event time of the last applied event.
        last_event_id: Id of the last applied event.
        offsets: Last applied source offset per ``"topic/partition"``.
        slot_index: Per distinct segment, where each value hash is (derived from ``cells``).
    """

    cells: array[float]
    undo_pos: array[int]
    undo_old: array[float]
    max_event_time: int = -1
    applied_count: int = 0
    last_event_time: int = -1
    last_event_id: str = ""
    offsets: dict[str, int] = field(default_factory=dict)
    # Per distinct segment (by offset): value hash -> slot. Derived from the cells, so never
    # snapshotted or compared; rebuilt on first use after a restore.
    slot_index: dict[int, dict[float, int]] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def empty(cls, layout: StateLayout) -> EntityState:
        """The state of an entity that has seen nothing."""
        cells = layout.initial_state()
        # Undo that restores cell 0 to its own value: "before the last event" is empty too.
        undo_pos = array("q", [0]) * layout.undo_size
        return cls(cells, undo_pos, array("d", [cells[0]]) * layout.undo_size)

    def apply(
        self,
        layout: StateLayout,
        event_id: str,
        event_time: int,
        record: Mapping[str, Any],
        numbers: Mapping[str, float],
    ) -> None:
        """Fold one event into the state (the caller has checked replay and lateness)."""
        undo_pos: array[int] = array("q")
        undo_old: array[float] = array("d")
        self._apply_rings(layout, event_time, numbers, undo_pos, undo_old)
        self._apply_distincts(layout, event_time, record, undo_pos, undo_old)
        self._apply_recency(layout, event_time, numbers, undo_pos, undo_old)
        self.undo_pos, self.undo_old = undo_pos, undo_old
        self.max_event_time = max(self.max_event_time, event_time)
        self.applied_count += 1
        self.last_event_time = event_time
        self.last_event_id = event_id

    def _apply_rings(
        self,
        layout: StateLayout,
        t: int,
        numbers: Mapping[str, float],
        undo_pos: array[int],
        undo_old: array[float],
    ) -> None:
        cells = self.cells
        for ring in layout.rings:
            bucket = t // ring.bucket_ms
            start = ring.offset + bucket % ring.buckets
            end, stride = ring.end, ring.buckets
            undo_pos.extend(range(start, end, stride))
            undo_old.extend(cells[start:end:stride])
            held = cells[start]
            if held > bucket:  # the slot already holds a newer bucket: this one has expired
                continue
            if held < bucket:
                cells[start:end:stride] = ring.template
                cells[start] = float(bucket)
            for delta, op, name in ring.ops:
                i = start + delta
                if op == 0:  # count
                    cells[i] += 1.0
                    continue
                x = numbers[name] if name is not None else 0.0
                if op == 1:  # sum: limbs at i and the next moment row
                    add_into(cells, i, i + stride, x)
                elif op == 2:  # sum of squares
                    add_into(cells, i, i + stride, x * x)
                elif op == 3:
                    cells[i] = max(cells[i], x)
                else:
                    cells[i] = min(cells[i], x)

    def _apply_distincts(
        self,
        layout: StateLayout,
        t: int,
        record: Mapping[str, Any],
        undo_pos: array[int],
        undo_old: array[float],
    ) -> None:
        cells = self.cells
        for seg in layout.distincts:
            value = record.get(seg.field)
            digest = value_hash(value) if value is not None else 0.0
            slot = self._distinct_slot(seg.offset, seg.capacity, t, digest) if digest else None
            pos = seg.offset + 2 * (slot if slot is not None else 0)
            undo_pos.extend((pos, pos + 1))
            undo_old.extend(cells[pos : pos + 2])
            if slot is not None:
                # Empty slots hold time 0 and evicted ones a time <= t, so max() fits all.
                cells[pos] = digest
                cells[pos + 1] = max(cells[pos + 1], float(t))

    def _distinct_slot(self, offset: int, capacity: int, t: int, digest: float) -> int | None:
        """The slot of ``digest``: its own, else an empty one, else the stalest one.

        Found through :attr:`slot_index` (built from the cells on first use) instead of
        scanning the segment's hashes twice per event. Slots fill from the first one and are
        never emptied, so the next empty slot is the count of the filled ones.
        """
        slots = self.slot_index.get(offset)
        if slots is None:
            hashes = self.cells[offset : offset + 2 * capacity : 2]
            slots = self.slot_index[offset] = {h: i for i, h in enumerate(hashes) if h}
        slot = slots.get(digest)
        if slot is not None:
            return slot
        if len(slots) < capacity:  # some slot is empty: the first one
            slot = len(slots)
            if self.cells[offset + 2 * slot] != 0.0:  # (not filled in order: look for it)
                slot = self.cells[offset : offset + 2 * capacity : 2].index(0.0)
            slots[digest] = slot
            return slot
        seen = self.cells[offset + 1 : offset + 2 * capacity : 2]
        stalest = min(seen)
        # An out-of-order value older than everything kept would evict a newer one: drop it.
        if t < stalest:
            return None
        slot = seen.index(stalest)
        slots.pop(self.cells[offset + 2 * slot], None)
        slots[digest] = slot
        return slot

    def _apply_recency(
        self,
        layout: StateLayout,
        t: int,
        numbers: Mapping[str, float],
        undo_pos: array[int],
        undo_old: array[float],
    ) -> None:
        rec = layout.recency
        cells = self.cells
        start = rec.offset
        end = start + 1 + len(rec.fields)
        undo_pos.extend(range(start, end))
        undo_old.extend(cells[start:end])
        if t < cells[start]:  # out of order: an older event is not the latest one
            return
        cells[start] = float(t)
        for i, name in enumerate(rec.fields, start + 1):
            cells[i] = numbers[name]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form (floats as base64 little-endian float64, so exact)."""
        return {
            "cells": _encode(self.cells),
            "undo_pos": list(self.undo_pos),
            "undo_old": _encode(self.undo_old),
            "max_event_time": self.max_event_time,
            "applied_count": self.applied_count,
            "last_event_time": self.last_event_time,
            "last_event_id": self.last_event_id,
            "offsets": dict(self.offsets),
        }

    def to_plain(self) -> PlainState:
        """Compact form for pickled snapshots: vectors as raw native-endian bytes (exact, and
        ~8x cheaper than :meth:`to_dict`; readable on machines of the same byte order)."""
        return (
            self.cells.tobytes(),
            self.undo_pos.tobytes(),
            self.undo_old.tobytes(),
            self.max_event_time,
            self.applied_count,
            self.last_event_time,
            self.last_event_id,
            dict(self.offsets),
        )

    @classmethod
    def from_plain(cls, data: PlainState, layout: StateLayout) -> EntityState:
        """Rebuild a state written by :meth:`to_plain` for the same layout.

        Raises:
            RowFormatError: The data does not fit ``layout``.
        """
        try:
            cells, undo_pos, undo_old, max_t, count, last_t, last_id, offsets = data
            state = cls(
                cells=_vector("d", cells),
                undo_pos=_vector("q", undo_pos),
                undo_old=_vector("d", undo_old),
                max_event_time=int(max_t),
                applied_count=int(count),
                last_event_time=int(last_t),
                last_event_id=str(last_id),
                offsets={str(k): int(v) for k, v in offsets.items()},
            )
        except (TypeError, ValueError, AttributeError) as exc:
            raise RowFormatError(f"not an entity state: {exc}") from exc
        return state.fitting(layout)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], layout: StateLayout) -> EntityState:
        """Rebuild a state written by :meth:`to_dict` for the same layout.

        Raises:
            RowFormatError: The data does not fit ``layout``.
        """
        try:
            state = cls(
                cells=_decode(data["cells"]),
                undo_pos=array("q", [int(p) for p in data["undo_pos"]]),
                undo_old=_decode(data["undo_old"]),
                max_event_time=int(data["max_event_time"]),
                applied_count=int(data["applied_count"]),
                last_event_time=int(data["last_event_time"]),
                last_event_id=str(data["last_event_id"]),
                offsets={str(k): int(v) for k, v in data["offsets"].items()},
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise RowFormatError(f"not an entity state: {exc}") from exc
        return state.fitting(layout)

    def fitting(self, layout: StateLayout) -> EntityState:
        """This state, checked to be of ``layout``'s sizes.

        Raises:
            RowFormatError: It is not.
        """
        sizes = (len(self.cells), len(self.undo_pos), len(self.undo_old))
        if sizes != (layout.size, layout.undo_size, layout.undo_size):
            raise RowFormatError(f"entity state sizes {sizes} do not fit view {layout.version}")
        return self


def _vector(typecode: str, raw: bytes) -> array[Any]:
    out: array[Any] = array(typecode)
    out.frombytes(raw)
    return out
