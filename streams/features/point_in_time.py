"""Point-in-time evaluation: the one function inference and training both use.

**Convention.** The features used to score an event of entity ``k`` at event time ``t`` are
computed from ``k``'s events applied *before* it (in a time-ordered stream: the events with
``event_time < t``), with every window evaluated at ``t``. The event's own contribution never
appears in its features.

Online the aggregator may already have applied the event being scored, so a stored row keeps
its state after the last applied event *and* the cells that event overwrote.
:func:`as_of_batch` therefore

1. rebuilds the state just before the last event when the row's last event **is** the event
   being scored (``event_id == last_event_id``), else takes the state as stored;
2. evaluates that state at ``t``: a window keeps the buckets ``b`` with
   ``t // bucket - buckets < b <= t // bucket``, so buckets that expired by ``t`` drop out
   exactly as they would have in a state evaluated at ``t``; a distinct value counts if the
   bucket of its last sighting is kept; ``seconds_since_last`` is ``(t - last) / 1000``.

The offline backfill calls the very same function on states it captured at the same points,
which is why backfill and online agree to the last bit. If a row has applied events *after*
the scored one (``last_event_time > t`` or another event id), the result is best effort:
later events inside ``t``'s bucket show through. :func:`ahead_mask` flags those rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from streams.features.definitions import FeatureView
from streams.features.evaluation import evaluate
from streams.features.layout import layout_of
from streams.features.rows import FeatureRow, FloatArray, IntArray, RowBatch


def scored_is_last(
    batch: RowBatch, event_ids: Sequence[str | None] | None, rows: IntArray | None = None
) -> IntArray:
    """Indices of the queries whose row's last applied event is the event being scored
    (query ``q`` reads row ``rows[q]``; without ``rows``, row ``q``)."""
    if event_ids is None:
        return np.empty(0, dtype=np.int64)
    ids = batch.last_event_ids
    lasts = ids if rows is None else [ids[r] for r in rows.tolist()]
    return np.array(
        [
            i
            for i, (eid, last) in enumerate(zip(event_ids, lasts, strict=True))
            if eid is not None and eid == last
        ],
        dtype=np.int64,
    )


def ahead_mask(last_event_times: IntArray, at_ms: IntArray, scored: IntArray) -> np.ndarray:
    """Rows that already hold events at or after ``at_ms`` other than the scored one
    (``scored``: the rows whose last event is the scored one, see :func:`scored_is_last`)."""
    ahead = last_event_times >= at_ms
    ahead[scored] = False
    return ahead


def as_of_batch(
    view: FeatureView,
    batch: RowBatch,
    event_ids: Sequence[str | None] | None,
    at_ms: IntArray,
    *,
    owned: bool = False,
    scored: IntArray | None = None,
) -> FloatArray:
    """Point-in-time features of every row of ``batch`` (see the module docstring).

    Args:
        view: The view the rows belong to.
        batch: Stacked rows.
        event_ids: Per row, the id of the event being scored, or ``None`` (all ``None`` if
            the argument is ``None``): the features of a plain query point.
        at_ms: Per row, the time ``t`` to evaluate at (the scored event's event time).
        owned: ``batch.cells`` is the caller's own writable copy: rows rebuilt from their
            undo cells are rebuilt in place instead of in a copy of the whole matrix.
        scored: :func:`scored_is_last` of ``batch`` and ``event_ids``, when already known.

    Returns:
        ``(len(batch), len(view.aggregations))`` float64 features.
    """
    cells = batch.cells
    rows = scored_is_last(batch, event_ids) if scored is None else scored
    if rows.size:
        if not (owned and cells.flags.writeable):
            cells = cells.copy()
        cells[rows[:, None], batch.undo_pos[rows]] = batch.undo_old[rows]
    return evaluate(view, cells, np.asarray(at_ms, dtype=np.int64))


def as_of_rows(
    view: FeatureView,
    batch: RowBatch,
    rows: IntArray,
    event_ids: Sequence[str | None] | None,
    at_ms: IntArray,
) -> tuple[FloatArray, IntArray]:
    """:func:`as_of_batch` of ``batch.take(rows)`` without the copy: query ``q`` is row
    ``rows[q]`` scored as ``event_ids[q]`` at ``at_ms[q]`` (an online read: many events, each
    entity's row read once). Evaluated in one compiled pass
    (:mod:`~streams.features.online_kernel`), with the same result to the last bit.

    Returns:
        The features, and the queries whose row's last event is the scored one.
    """
    # Imported here: numba takes ~0.6 s to import, which only online reads need.
    from streams.features.online_kernel import kernel_features

    scored = scored_is_last(batch, event_ids, rows)
    undone = rows[scored]
    extra = batch.cells[undone]  # (a copy: fancy indexing)
    extra[np.arange(len(undone))[:, None], batch.undo_pos[undone]] = batch.undo_old[undone]
    source = np.full(len(rows), -1, dtype=np.int64)
    source[scored] = np.arange(len(scored))
    values = kernel_features(view, batch.cells, rows, at_ms, extra, source)
    if values is None:  # a sum beyond its exact range: the numpy way handles it
        taken = batch.take(rows)
        return as_of_batch(view, taken, event_ids, at_ms, owned=True, scored=scored), scored
    return values, scored


def as_of(view: FeatureView, row: FeatureRow, event_id: str | None, at_ms: int) -> FloatArray:
    """Point-in-time features of one row: :func:`as_of_batch` for a single row."""
    batch = RowBatch.stack([row], layout_of(view))
    values: FloatArray = as_of_batch(view, batch, [event_id], np.array([at_ms], dtype=np.int64))[0]
    return values
