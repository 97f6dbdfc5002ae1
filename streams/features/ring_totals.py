"""Every window's moment totals at once: one gather and one reduction per moment family.

Evaluating ring by ring cost a dozen numpy calls per window, which for a single online row
(the common read) was most of its time; for many rows the gathers here cost more than the
contiguous slices of the ring-by-ring way, so ``evaluation`` uses this for few rows only.
:func:`ring_index` compiles a view's rings once into
flat index arrays: the bucket-id cell of every ring slot, and per moment family (counts,
fixed-point limbs, maxima, minima) the cells of each moment row laid end to end, one
segment per row. :func:`ring_totals` then masks the buckets each time keeps and reduces all
segments of a family with one ``reduceat``. Counts are integer-valued and limbs are summed
as int64, so the totals are exact and equal, bit for bit, to reducing ring by ring.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

from streams.features.fixed_point import EXACT_HI, limb_value
from streams.features.layout import FIXED_POINT, StateLayout

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Family:
    """Moment rows of one family, laid end to end.

    Attributes:
        cells: State cells of every row's buckets, row after row.
        kept: Per cell, its slot's index in :attr:`RingIndex.id_cells`.
        starts: Where each row's segment starts in ``cells``.
        columns: Per row (per limb pair for fixed-point), its column in the family totals.
    """

    cells: IntArray
    kept: IntArray
    starts: IntArray
    columns: IntArray


@dataclass(frozen=True)
class RingIndex:
    """A view's rings compiled for :func:`ring_totals`.

    Attributes:
        id_cells: The bucket-id cell of every slot of every ring.
        bucket_ms: Per slot, its window's bucket length.
        buckets: Per slot, its window's bucket count.
        counts: Count rows ("add" columns).
        limbs: Fixed-point rows, high then low limb of each moment ("add" columns, one
            per pair).
        maxima: Maximum rows ("max" columns).
        minima: Minimum rows ("min" columns).
        widths: Columns of the "add", "max" and "min" totals.
    """

    id_cells: IntArray
    bucket_ms: IntArray
    buckets: IntArray
    counts: Family
    limbs: Family
    maxima: Family
    minima: Family
    widths: tuple[int, int, int]


def _family(rows: list[tuple[IntArray, IntArray, int]]) -> Family:
    """Rows of (cells, kept slots, column) laid end to end."""
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        return Family(empty, empty, empty, empty)
    lengths = [len(cells) for cells, _, _ in rows]
    return Family(
        cells=np.concatenate([cells for cells, _, _ in rows]),
        kept=np.concatenate([kept for _, kept, _ in rows]),
        starts=np.cumsum([0, *lengths[:-1]]).astype(np.int64),
        columns=np.array([column for _, _, column in rows], dtype=np.int64),
    )


@cache
def ring_index(layout: StateLayout) -> RingIndex:
    """Compile (once per layout) where every ring's moment rows and bucket ids are.

    Family columns are numbered ring by ring in moment order (as ``evaluation`` expects):
    counts and fixed-point moments share the "add" columns.
    """
    ids: list[IntArray] = []
    bucket_ms: list[int] = []
    buckets: list[int] = []
    rows: dict[str, list[tuple[IntArray, IntArray, int]]] = {
        k: [] for k in ("count", "limb", "max", "min")
    }
    columns = {"add": 0, "max": 0, "min": 0}
    for group in layout.groups:
        n = group.window.buckets
        base = sum(len(i) for i in ids)
        ids.append(np.arange(group.offset, group.offset + n, dtype=np.int64))
        bucket_ms.extend([group.window.bucket_ms] * n)
        buckets.extend([n] * n)
        kept = np.arange(base, base + n, dtype=np.int64)
        for moment in group.moments:
            kind = moment[0]
            family = kind if kind in {"max", "min"} else "add"
            first = group.offset + group.position(moment) * n
            if kind in FIXED_POINT:
                for limb in (0, 1):
                    cells = np.arange(first + limb * n, first + (limb + 1) * n, dtype=np.int64)
                    rows["limb"].append((cells, kept, columns[family]))
            else:
                cells = np.arange(first, first + n, dtype=np.int64)
                rows["count" if family == "add" else kind].append((cells, kept, columns[family]))
            columns[family] += 1
    limbs = _family(rows["limb"])
    return RingIndex(
        id_cells=np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64),
        bucket_ms=np.array(bucket_ms, dtype=np.int64),
        buckets=np.array(buckets, dtype=np.int64),
        counts=_family(rows["count"]),
        limbs=Family(limbs.cells, limbs.kept, limbs.starts, limbs.columns[::2]),
        maxima=_family(rows["max"]),
        minima=_family(rows["min"]),
        widths=(columns["add"], columns["max"], columns["min"]),
    )


def _masked(family: Family, cells: FloatArray, kept: BoolArray, neutral: float) -> FloatArray:
    out: FloatArray = np.where(kept[:, family.kept], cells[:, family.cells], neutral)
    return out


def ring_totals(
    index: RingIndex, cells: FloatArray, at_ms: IntArray
) -> tuple[FloatArray, FloatArray, FloatArray] | None:
    """``(n, columns)`` "add", "max" and "min" totals over the buckets kept at ``at_ms``.

    A slot is kept when its bucket id ``b`` satisfies ``t // bucket - buckets < b <= t //
    bucket``. Returns ``None`` when a fixed-point high limb is out of its exact range (the
    caller then reduces ring by ring, which handles it).
    """
    n = cells.shape[0]
    ids = cells[:, index.id_cells]
    current = (at_ms[:, None] // index.bucket_ms).astype(np.float64)
    kept = (ids > current - index.buckets) & (ids <= current)
    add = np.empty((n, index.widths[0]), dtype=np.float64)
    if index.counts.cells.size:
        counts = _masked(index.counts, cells, kept, 0.0)
        add[:, index.counts.columns] = np.add.reduceat(counts, index.counts.starts, axis=1)
    if index.limbs.cells.size:
        limbs = _masked(index.limbs, cells, kept, 0.0)
        if not (limbs.max() < EXACT_HI and limbs.min() > -EXACT_HI):
            return None  # (lows are in [0, 2**52): only a high limb can be out of range)
        sums = np.add.reduceat(limbs.astype(np.int64), index.limbs.starts, axis=1)
        add[:, index.limbs.columns] = limb_value(sums[:, 0::2], sums[:, 1::2])
    out = [add]
    for family, width, neutral, reduce in (
        (index.maxima, index.widths[1], -np.inf, np.maximum),
        (index.minima, index.widths[2], np.inf, np.minimum),
    ):
        totals = np.empty((n, width), dtype=np.float64)
        if family.cells.size:
            masked = _masked(family, cells, kept, neutral)
            totals[:, family.columns] = reduce.reduceat(masked, family.starts, axis=1)
        out.append(totals)
    return out[0], out[1], out[2]
