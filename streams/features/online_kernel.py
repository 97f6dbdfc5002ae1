"""The online read's features in one compiled pass over the stored rows.

The numpy way copies every event's row (``RowBatch.take``), masks and reduces it in a dozen
passes and derives the features in a dozen more. This kernel (numba, GIL released) reads each
event's row where it lies in the decoded blob and produces the same moment totals as
:func:`~streams.features.ring_totals.ring_totals`, distinct counts and recency cells, bit for
bit (counts are whole numbers, fixed-point limbs are summed as int64, extremes are exact: the
order of the additions cannot change a result), then derives the features from them by the
operations of ``evaluation.derive`` in the same order (see
:mod:`~streams.features.online_derive`). Everything it uses from other modules comes in as
an argument: numba's on-disk cache keeps a global's value as it was compiled.

A row whose fixed-point limbs are beyond their exact range makes :func:`kernel_features` return
``None``; the caller evaluates that read the numpy way, which handles it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar, cast

import numpy as np
import numpy.typing as npt
from numba import njit

from streams.features.definitions import FeatureView
from streams.features.evaluation import plan_of
from streams.features.fixed_point import LIMB_BITS
from streams.features.online_derive import CONSTANTS, derive_spec
from streams.features.ring_totals import Family, RingIndex, ring_index

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
F = TypeVar("F", bound=Callable[..., Any])

log = logging.getLogger(__name__)


def _compiled(function: F) -> F:
    """Compiled without the GIL, the machine code cached on disk where numba can write it:
    in ``NUMBA_CACHE_DIR`` if set, else beside this module, else in the user's cache
    directory. A read-only install run by a user without a writable home has none of them,
    and numba then refuses to define the function at import; it is compiled in memory
    instead (once per process, at the feature source's warm-up)."""
    try:
        return cast(F, njit(nogil=True, cache=True)(function))
    except RuntimeError as exc:
        if "cannot cache" not in str(exc):
            raise
        log.info("no writable numba cache directory: %s compiled in memory", function.__name__)
        return cast(F, njit(nogil=True)(function))


@dataclass(frozen=True)
class _Plan:
    """A view's index arrays in the form the kernel takes."""

    index: RingIndex
    families: tuple[tuple[IntArray, ...], ...]  # counts, limbs, maxima, minima (see _family)
    limb_rows: int
    distinct: IntArray  # per distinct_count aggregation: offset, size, bucket_ms, buckets
    recency: IntArray  # offset, size
    widths: IntArray
    slot_group: IntArray  # per slot, its bucket length's place in group_ms
    group_ms: IntArray  # the distinct bucket lengths: one division each per query


def _family(family: Family) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """A family's cells, their slots, segment bounds (each segment's start, then the end) and
    output columns."""
    bounds = np.append(family.starts, len(family.cells)).astype(np.int64)
    return family.cells, family.kept, bounds, family.columns


@cache
def _plan(view: FeatureView) -> _Plan:
    evaluation = plan_of(view)
    index = ring_index(evaluation.layout)
    distinct = np.array([d[1:] for d in evaluation.distinct], dtype=np.int64).reshape(-1, 4)
    recency = evaluation.layout.recency
    families = (index.counts, index.limbs, index.maxima, index.minima)
    group_ms, slot_group = np.unique(index.bucket_ms, return_inverse=True)
    return _Plan(
        index,
        tuple(_family(f) for f in families),
        len(index.limbs.starts),
        distinct,
        np.array([recency.offset, recency.size], dtype=np.int64),
        np.array(index.widths, dtype=np.int64),
        slot_group.astype(np.int64),
        group_ms.astype(np.int64),
    )


@_compiled
def _segment_sum(
    row: FloatArray, kept: BoolArray, cells: IntArray, slots: IntArray, start: int, end: int
) -> float:
    total = 0.0
    for i in range(start, end):
        if kept[slots[i]]:
            total += row[cells[i]]
    return total


@_compiled
def _segment_max(
    row: FloatArray, kept: BoolArray, cells: IntArray, slots: IntArray, start: int, end: int
) -> float:
    best = -np.inf
    for i in range(start, end):
        if kept[slots[i]] and row[cells[i]] > best:
            best = row[cells[i]]
    return best


@_compiled
def _segment_min(
    row: FloatArray, kept: BoolArray, cells: IntArray, slots: IntArray, start: int, end: int
) -> float:
    best = np.inf
    for i in range(start, end):
        if kept[slots[i]] and row[cells[i]] < best:
            best = row[cells[i]]
    return best


@_compiled
def _derive_row(
    out: FloatArray,
    q: int,
    totals: tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray],
    t: int,
    spec: IntArray,
    defaults: FloatArray,
    bounds: IntArray,
    constants: FloatArray,
) -> None:
    """Query ``q``'s features from its totals at ``t``: ``evaluation.derive`` for one row,
    operation for operation (see :mod:`~streams.features.online_derive` for ``spec``)."""
    add, maxima, minima, counted, recent = totals
    for k in range(bounds[0], bounds[1]):  # count, sum
        out[q, spec[k, 0]] = add[q, spec[k, 2]]
    for k in range(bounds[1], bounds[3]):  # mean, then std
        count = add[q, spec[k, 1]]
        if not count > 0:
            out[q, spec[k, 0]] = defaults[k]
            continue
        value = add[q, spec[k, 2]] / count
        if k >= bounds[2]:
            square = add[q, spec[k, 3]] / count
            variance = square - value * value
            noise = constants[3] * abs(square) + (2.0 * abs(value) + 1.0) * constants[4]
            value = np.sqrt(variance if variance > noise else 0.0)
        out[q, spec[k, 0]] = value
    for k in range(bounds[3], bounds[4]):
        out[q, spec[k, 0]] = maxima[q, spec[k, 2]] if add[q, spec[k, 1]] > 0 else defaults[k]
    for k in range(bounds[4], bounds[5]):
        out[q, spec[k, 0]] = minima[q, spec[k, 2]] if add[q, spec[k, 1]] > 0 else defaults[k]
    for k in range(bounds[5], bounds[6]):
        out[q, spec[k, 0]] = counted[q, spec[k, 2]]
    last_time = recent[q, 0]
    for k in range(bounds[6], bounds[7]):
        out[q, spec[k, 0]] = recent[q, spec[k, 2]] if last_time >= 0 else defaults[k]
    for k in range(bounds[7], bounds[8]):
        out[q, spec[k, 0]] = (t - last_time) / 1000.0 if last_time >= 0 else defaults[k]


@_compiled
def _features(
    cells: FloatArray,
    extra: FloatArray,
    rows: IntArray,
    source: IntArray,
    at_ms: IntArray,
    id_cells: IntArray,
    slot_group: IntArray,
    group_ms: IntArray,
    slot_n: IntArray,
    families: tuple[Any, ...],
    widths: IntArray,
    limb_rows: int,
    distinct: IntArray,
    recency: IntArray,
    limb_columns: IntArray,
    limb_bits: int,
    spec: IntArray,
    defaults: FloatArray,
    bounds: IntArray,
    constants: FloatArray,
) -> tuple[FloatArray, bool]:
    n = rows.shape[0]
    out = np.empty((n, spec.shape[0]))
    exact_hi, hi_weight, lo_weight = constants[0], constants[1], constants[2]
    lo_mask = (1 << limb_bits) - 1
    add = np.zeros((n, widths[0]))
    maxima = np.zeros((n, widths[1]))
    minima = np.zeros((n, widths[2]))
    limbs = np.zeros((n, limb_rows), dtype=np.int64)
    counted = np.zeros((n, distinct.shape[0]))
    recent = np.zeros((n, recency[1]))
    kept = np.zeros(id_cells.shape[0], dtype=np.bool_)
    currents = np.zeros(group_ms.shape[0], dtype=np.int64)
    c_cells, c_kept, c_bounds, c_cols = families[0]
    l_cells, l_kept, l_bounds, _ = families[1]
    x_cells, x_kept, x_bounds, x_cols = families[2]
    m_cells, m_kept, m_bounds, m_cols = families[3]
    for q in range(n):
        row = cells[rows[q]] if source[q] < 0 else extra[source[q]]
        t = at_ms[q]
        for g in range(group_ms.shape[0]):
            currents[g] = t // group_ms[g]
        for s in range(id_cells.shape[0]):
            current = currents[slot_group[s]]
            bucket = row[id_cells[s]]
            kept[s] = bucket > current - slot_n[s] and bucket <= current
        for k in range(c_cols.shape[0]):
            start, end = c_bounds[k], c_bounds[k + 1]
            add[q, c_cols[k]] = _segment_sum(row, kept, c_cells, c_kept, start, end)
        for k in range(l_bounds.shape[0] - 1):
            total = np.int64(0)
            for i in range(l_bounds[k], l_bounds[k + 1]):
                if kept[l_kept[i]]:
                    value = row[l_cells[i]]
                    if not (value < exact_hi and value > -exact_hi):
                        return out, False
                    total += np.int64(value)
            limbs[q, k] = total
        for k in range(x_cols.shape[0]):
            start, end = x_bounds[k], x_bounds[k + 1]
            maxima[q, x_cols[k]] = _segment_max(row, kept, x_cells, x_kept, start, end)
        for k in range(m_cols.shape[0]):
            start, end = m_bounds[k], m_bounds[k + 1]
            minima[q, m_cols[k]] = _segment_min(row, kept, m_cells, m_kept, start, end)
        for d in range(distinct.shape[0]):
            offset, size = distinct[d, 0], distinct[d, 1]
            bucket_ms, buckets = distinct[d, 2], distinct[d, 3]
            current = t // bucket_ms
            low = (current - buckets + 1) * bucket_ms
            high = (current + 1) * bucket_ms
            seen = 0
            for i in range(offset, offset + size, 2):
                if row[i] > 0 and row[i + 1] >= low and row[i + 1] < high:
                    seen += 1
            counted[q, d] = seen
        for i in range(recency[1]):
            recent[q, i] = row[recency[0] + i]
        for j in range(limb_columns.shape[0]):
            # fixed_point.limb_value: carried, then one rounding of an exact sum.
            high, low = limbs[q, 2 * j], limbs[q, 2 * j + 1]
            carried = high + (low >> limb_bits)
            add[q, limb_columns[j]] = carried * hi_weight + (low & lo_mask) * lo_weight
        totals = (add, maxima, minima, counted, recent)
        _derive_row(out, q, totals, t, spec, defaults, bounds, constants)
    return out, True


def kernel_features(
    view: FeatureView,
    cells: FloatArray,
    rows: IntArray,
    at_ms: IntArray,
    extra: FloatArray,
    source: IntArray,
) -> FloatArray | None:
    """Features of each query: row ``rows[q]`` of ``cells`` (or ``extra[source[q]]`` where
    ``source[q] >= 0``: a row with its last event undone) evaluated at ``at_ms[q]``.

    Returns ``None`` if a fixed-point limb is beyond its exact range (see module docstring).
    """
    plan = _plan(view)
    index = plan.index
    spec = derive_spec(view)
    out, ok = _features(
        cells,
        extra,
        rows,
        source,
        at_ms,
        index.id_cells,
        plan.slot_group,
        plan.group_ms,
        index.buckets,
        plan.families,
        plan.widths,
        plan.limb_rows,
        plan.distinct,
        plan.recency,
        index.limbs.columns,
        LIMB_BITS,
        spec.rows,
        spec.defaults,
        spec.bounds,
        CONSTANTS,
    )
    return out if ok else None
