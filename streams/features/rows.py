"""Feature rows: an entity's stored state plus the feature vectors it implies.

A :class:`FeatureRow` is what the aggregator emits and the online store writes; a
:class:`RowBatch` is many rows stacked into matrices, the form evaluation works on.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import numpy.typing as npt

from streams.features.definitions import FeatureView
from streams.features.layout import StateLayout
from streams.features.state import EntityState

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class FeatureRow:
    """One entity's row after a batch was applied.

    Attributes:
        entity_id: The entity key.
        view_version: :attr:`FeatureView.version` of the view that produced it.
        cells: State vector after the last applied event.
        undo_pos: Cells the last event touched.
        undo_old: Their values before it.
        max_event_time: Largest event time applied (ordering key against stale writes).
        applied_count: Events applied to this entity (ordering tie-break).
        last_event_time: Event time of the last applied event (the row's watermark).
        last_event_id: Id of the last applied event.
        view: The view that produced it.
        body: The stored form of cells, undo positions and undo values (little-endian
            float64, as ``row_codec`` lays them out) when the producer made the arrays from
            it, so writing the row does not pack them again; empty otherwise.

    The feature vectors (:attr:`values`, :attr:`values_before_last`) are evaluated on first
    access: engines store the state, and readers evaluate it at the time they ask for.
    """

    entity_id: str
    view_version: str
    cells: FloatArray
    undo_pos: IntArray
    undo_old: FloatArray
    max_event_time: int
    applied_count: int
    last_event_time: int
    last_event_id: str
    view: FeatureView = field(repr=False, compare=False)
    body: bytes = field(default=b"", repr=False, compare=False)

    @cached_property
    def values(self) -> FloatArray:
        """Features with the last event included, evaluated at ``last_event_time``."""
        from streams.features.point_in_time import as_of  # (it imports this module)

        return as_of(self.view, self, None, self.last_event_time)

    @cached_property
    def values_before_last(self) -> FloatArray:
        """Features to score the last event: without it, at its time."""
        from streams.features.point_in_time import as_of  # (it imports this module)

        return as_of(self.view, self, self.last_event_id, self.last_event_time)


@dataclass(frozen=True)
class RowBatch:
    """Rows of one view stacked for vectorised evaluation.

    Attributes:
        cells: ``(n, layout.size)`` states.
        undo_pos: ``(n, layout.undo_size)`` cells the last event of each row touched.
        undo_old: ``(n, layout.undo_size)`` their values before that event.
        last_event_ids: Last applied event id of each row (``""`` for none).
        last_event_times: ``(n,)`` last applied event time of each row (``-1`` for none).
    """

    cells: FloatArray
    undo_pos: IntArray
    undo_old: FloatArray
    last_event_ids: tuple[str, ...]
    last_event_times: IntArray

    def __len__(self) -> int:
        return len(self.last_event_ids)

    def take(self, rows: IntArray) -> RowBatch:
        """The rows at ``rows`` (repeats allowed): one stored row read for many queries."""
        ids = self.last_event_ids
        return RowBatch(
            cells=self.cells[rows],
            undo_pos=self.undo_pos[rows],
            undo_old=self.undo_old[rows],
            last_event_ids=tuple(ids[i] for i in rows.tolist()),
            last_event_times=self.last_event_times[rows],
        )

    @classmethod
    def stack(
        cls, items: Sequence[EntityState] | Sequence[FeatureRow], layout: StateLayout
    ) -> RowBatch:
        """Stack entity states or emitted rows (copied, so later events do not show through)."""
        n = len(items)
        cells = np.array([np.asarray(item.cells) for item in items], dtype=np.float64)
        undo_pos = np.array([np.asarray(item.undo_pos) for item in items], dtype=np.int64)
        undo_old = np.array([np.asarray(item.undo_old) for item in items], dtype=np.float64)
        return cls(
            cells=cells.reshape(n, layout.size),
            undo_pos=undo_pos.reshape(n, layout.undo_size),
            undo_old=undo_old.reshape(n, layout.undo_size),
            last_event_ids=tuple(item.last_event_id for item in items),
            last_event_times=np.array([item.last_event_time for item in items], dtype=np.int64),
        )


def row_arrays(
    state: EntityState, layout: StateLayout
) -> tuple[FloatArray, IntArray, FloatArray, bytes]:
    """Copies of a state's vectors for a row, and their stored form.

    On little-endian machines one ``bytes`` copy serves both: the arrays are read-only views
    of it, and the online store writes it as is.
    """
    if sys.byteorder != "little":
        return (
            np.frombuffer(state.cells, dtype=np.float64).copy(),
            np.frombuffer(state.undo_pos, dtype=np.int64).copy(),
            np.frombuffer(state.undo_old, dtype=np.float64).copy(),
            b"",
        )
    body = state.cells.tobytes() + array("d", state.undo_pos).tobytes() + state.undo_old.tobytes()
    flat = np.frombuffer(body, dtype=np.float64)
    size, undo = layout.size, layout.undo_size
    undo_pos = flat[size : size + undo].astype(np.int64)
    return flat[:size], undo_pos, flat[size + undo :], body
