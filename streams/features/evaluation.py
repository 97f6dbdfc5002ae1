"""Vectorised evaluation of stacked entity states at given times.

:func:`plan_of` compiles a view once into index arrays, so evaluating ``n`` rows costs a
fixed number of numpy operations whatever the number of features. Every sum over buckets is
taken along a contiguous last axis (a sum's limbs in int64, see
:func:`~streams.features.fixed_point.totals`), so a row's result does not depend on how many
rows are evaluated with it: one online read and a backfill chunk of thousands agree to the
last bit.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

from streams.features.definitions import FeatureView
from streams.features.fixed_point import QUANTUM_BITS, totals
from streams.features.layout import FIXED_POINT, Moment, MomentGroup, StateLayout, layout_of
from streams.features.ring_totals import ring_index, ring_totals

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
# Up to this many rows, every window's totals in one pass (measured: a 1-row read of a
# 9-window view 316 -> 96 µs, 100 rows 731 -> 433 µs); beyond, window by window (1,000
# rows: 5.1 vs 6.0 ms).
ONE_PASS_ROWS = 256
# Float64 ulps of E[x**2] a variance must exceed to count (see ``_variance``).
NOISE_ULPS = 4.0


def _ints(values: list[int]) -> IntArray:
    return np.array(values, dtype=np.int64)


@dataclass(frozen=True)
class _Ring:
    """Where one moment group's cells are and which slot cells hold which kind of moment.

    Attributes:
        group: The moment group.
        additive: Slot positions of the counts, then of both limbs of each fixed-point
            moment (contiguous, see ``layout._group_moments``).
        counts: How many of them are counts.
        maxima: Slot positions of the maxima.
        minima: Slot positions of the minima.
    """

    group: MomentGroup
    additive: IntArray
    counts: int
    maxima: IntArray
    minima: IntArray


@dataclass(frozen=True)
class _Derived:
    """Features of one kind computed together: output columns, sources, defaults."""

    out: IntArray
    count: IntArray
    source: IntArray
    extra: IntArray
    default: FloatArray


@dataclass(frozen=True)
class EvaluationPlan:
    """Index arrays compiled from a view; see :func:`plan_of`."""

    layout: StateLayout
    rings: tuple[_Ring, ...]
    direct: _Derived
    mean: _Derived
    std: _Derived
    maximum: _Derived
    minimum: _Derived
    distinct: tuple[tuple[int, int, int, int, int], ...]
    last: _Derived
    since: _Derived


def _columns(layout: StateLayout) -> tuple[tuple[_Ring, ...], dict[tuple[int, Moment], int]]:
    """Rings and the column of each (group, moment) in the concatenated totals.

    A ring's additive totals are its counts then its fixed-point moments, which is the
    layout's moment order, so the "add" columns are numbered in moment order.
    """
    rings = []
    column: dict[tuple[int, Moment], int] = {}
    counters = {"add": 0, "max": 0, "min": 0}
    for g, group in enumerate(layout.groups):
        cols: dict[str, list[int]] = {"add": [], "max": [], "min": []}
        counts = 0
        for moment in group.moments:
            kind = moment[0]
            family = kind if kind in {"max", "min"} else "add"
            first = group.position(moment)
            cols[family].extend([first, first + 1] if kind in FIXED_POINT else [first])
            counts += kind == "count"
            column[(g, moment)] = counters[family]
            counters[family] += 1
        add, maxima, minima = (_ints(cols[f]) for f in ("add", "max", "min"))
        rings.append(_Ring(group, add, counts, maxima, minima))
    return tuple(rings), column


def _derived(rows: list[tuple[int, int, int, int, float]]) -> _Derived:
    return _Derived(
        out=_ints([r[0] for r in rows]),
        count=_ints([r[1] for r in rows]),
        source=_ints([r[2] for r in rows]),
        extra=_ints([r[3] for r in rows]),
        default=np.array([r[4] for r in rows], dtype=np.float64),
    )


@cache
def plan_of(view: FeatureView) -> EvaluationPlan:
    """Compile (once per view) the evaluation of its features."""
    layout = layout_of(view)
    rings, column = _columns(layout)
    kinds: dict[str, list[tuple[int, int, int, int, float]]] = {
        k: [] for k in ("direct", "mean", "std", "max", "min", "last", "since")
    }
    distinct = []
    rec = layout.recency
    for i, agg in enumerate(view.aggregations):
        if agg.kind == "distinct_count":
            seg = layout.distinct_of(agg)
            window = seg.window
            distinct.append((i, seg.offset, seg.size, window.bucket_ms, window.buckets))
            continue
        if agg.kind in {"last", "seconds_since_last"}:
            source = rec.offset + 1 + rec.fields.index(agg.field) if agg.kind == "last" else 0
            kinds["last" if agg.kind == "last" else "since"].append((i, 0, source, 0, agg.default))
            continue
        assert agg.window is not None
        g = layout.groups.index(layout.group_of(agg.window))
        count = column[(g, ("count", None))]
        if agg.kind in {"count", "sum"}:
            own: Moment = ("count", None) if agg.kind == "count" else ("sum", agg.field)
            kinds["direct"].append((i, 0, column[(g, own)], 0, agg.default))
        elif agg.kind in {"mean", "std"}:
            square = column[(g, ("sumsq", agg.field))] if agg.kind == "std" else 0
            row = (i, count, column[(g, ("sum", agg.field))], square, agg.default)
            kinds[agg.kind].append(row)
        else:
            extreme: Moment = ("max", agg.field) if agg.kind == "max" else ("min", agg.field)
            kinds[agg.kind].append((i, count, column[(g, extreme)], 0, agg.default))
    return EvaluationPlan(
        layout=layout,
        rings=rings,
        direct=_derived(kinds["direct"]),
        mean=_derived(kinds["mean"]),
        std=_derived(kinds["std"]),
        maximum=_derived(kinds["max"]),
        minimum=_derived(kinds["min"]),
        distinct=tuple(distinct),
        last=_derived(kinds["last"]),
        since=_derived(kinds["since"]),
    )


def _totals(plan: EvaluationPlan, cells: FloatArray, at_ms: IntArray) -> list[FloatArray]:
    """Per moment family, ``(n, moments)`` totals over the buckets kept at ``at_ms``.

    Both ways give the same bits: every window at once (``ring_totals``: fewer numpy calls,
    for the few rows of an online read), or window by window (contiguous slices, cheaper per
    row for many rows, and the only way once a fixed-point sum is beyond its exact range).
    """
    if cells.shape[0] <= ONE_PASS_ROWS:
        fast = ring_totals(ring_index(plan.layout), cells, at_ms)
        if fast is not None:
            return list(fast)
    return _totals_by_ring(plan, cells, at_ms)


def _totals_by_ring(plan: EvaluationPlan, cells: FloatArray, at_ms: IntArray) -> list[FloatArray]:
    """:func:`_totals`, one window at a time."""
    n = cells.shape[0]
    parts: dict[str, list[FloatArray]] = {"add": [], "max": [], "min": []}
    for spec in plan.rings:
        group, window = spec.group, spec.group.window
        # (n, stride, buckets): each cell row's buckets contiguous, see ``layout``.
        ring = cells[:, group.offset : group.offset + group.size].reshape(
            n, group.stride, window.buckets
        )
        current = (at_ms // window.bucket_ms).astype(np.float64)[:, None, None]
        ids = ring[:, :1, :]
        kept = (ids > current - window.buckets) & (ids <= current)
        for family, cols, neutral in (
            ("add", spec.additive, 0.0),
            ("max", spec.maxima, -np.inf),
            ("min", spec.minima, np.inf),
        ):
            if not cols.size:
                continue
            values = np.where(kept, ring[:, cols[0] : cols[-1] + 1, :], neutral)
            if family == "add":
                # Counts are exact float64 sums; then each fixed-point moment's two rows.
                counted = spec.counts
                parts[family].append(values[:, :counted, :].sum(axis=2))
                if counted < cols.size:
                    limbs = values[:, counted:, :].reshape(n, -1, 2, window.buckets)
                    parts[family].append(totals(limbs))
            elif family == "max":
                parts[family].append(values.max(axis=2))
            else:
                parts[family].append(values.min(axis=2))
    return [
        np.concatenate(parts[f], axis=1) if parts[f] else np.zeros((n, 0))
        for f in ("add", "max", "min")
    ]


def _ratio(top: FloatArray, count: FloatArray) -> FloatArray:
    out: FloatArray = np.divide(top, count, out=np.zeros_like(top), where=count > 0)
    return out


def _variance(square: FloatArray, mean: FloatArray) -> FloatArray:
    """``E[x**2] - mean**2``, read as 0 within the rounding noise of its two terms.

    Each term is off by up to about a quantum of the fixed-point sums per unit of ``|mean|``
    and a few float64 ulps of ``E[x**2]``; a difference that small is no spread at all, so a
    window of equal values reads exactly 0 rather than noise (up to ~6e-5 as a std).
    """
    variance = square - mean * mean
    noise = (
        NOISE_ULPS * np.finfo(np.float64).eps * np.abs(square)
        + (2.0 * np.abs(mean) + 1.0) * 2.0**-QUANTUM_BITS
    )
    out: FloatArray = np.where(variance > noise, variance, 0.0)
    return out


def _distinct(segment: FloatArray, at_ms: IntArray, bucket_ms: int, buckets: int) -> IntArray:
    """Values of a distinct segment last seen in a bucket ``at_ms``'s window keeps.

    The bucket test ``t // bucket - buckets < seen // bucket <= t // bucket`` is taken on the
    times themselves, ``low <= seen < high`` with both bounds whole multiples of the bucket:
    the same result for integer times (``floor(x) >= k`` iff ``x >= k`` for integer ``k``),
    without a float floor division per slot (that was ~40 % of a row's evaluation).
    """
    current = at_ms // bucket_ms
    low = ((current - buckets + 1) * bucket_ms).astype(np.float64)[:, None]
    high = ((current + 1) * bucket_ms).astype(np.float64)[:, None]
    seen = segment[:, 1::2]
    kept = (segment[:, 0::2] > 0) & (seen >= low) & (seen < high)
    counted: IntArray = np.count_nonzero(kept, axis=1)
    return counted


def evaluate(view: FeatureView, cells: FloatArray, at_ms: IntArray) -> FloatArray:
    """Features of ``(n, layout.size)`` states evaluated at times ``at_ms``: ``(n, features)``."""
    plan = plan_of(view)
    additive, maxima, minima = _totals(plan, cells, at_ms)
    distinct = np.empty((cells.shape[0], len(plan.distinct)), dtype=np.float64)
    for d, (_, offset, size, bucket_ms, buckets) in enumerate(plan.distinct):
        distinct[:, d] = _distinct(cells[:, offset : offset + size], at_ms, bucket_ms, buckets)
    rec = plan.layout.recency
    recency = cells[:, rec.offset : rec.offset + rec.size]
    return derive(view, additive, maxima, minima, distinct, recency, at_ms)


def derive(
    view: FeatureView,
    additive: FloatArray,
    maxima: FloatArray,
    minima: FloatArray,
    distinct: FloatArray,
    recency: FloatArray,
    at_ms: IntArray,
) -> FloatArray:
    """The features from a state's totals at ``at_ms`` (see :func:`_totals`), its distinct
    counts (one column per distinct segment, in layout order) and its recency cells."""
    plan = plan_of(view)
    out = np.empty((additive.shape[0], len(view.aggregations)), dtype=np.float64)
    out[:, plan.direct.out] = additive[:, plan.direct.source]
    for spec in (plan.mean, plan.std):
        count = additive[:, spec.count]
        mean = _ratio(additive[:, spec.source], count)
        if spec is plan.std:
            square = _ratio(additive[:, spec.extra], count)
            mean = np.sqrt(_variance(square, mean))
        out[:, spec.out] = np.where(count > 0, mean, spec.default)
    for spec, extreme in ((plan.maximum, maxima), (plan.minimum, minima)):
        has = additive[:, spec.count] > 0
        out[:, spec.out] = np.where(has, extreme[:, spec.source], spec.default)
    for d, (column, *_) in enumerate(plan.distinct):
        out[:, column] = distinct[:, d]
    start = plan.layout.recency.offset
    last_time = recency[:, :1]
    has_last = last_time >= 0
    last = recency[:, plan.last.source - start]
    out[:, plan.last.out] = np.where(has_last, last, plan.last.default)
    since = (at_ms[:, None] - last_time) / 1000.0
    out[:, plan.since.out] = np.where(has_last, since, plan.since.default)
    return out
