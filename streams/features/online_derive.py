"""A view's derived features as the online kernel computes them: one spec row per feature.

:func:`~streams.features.evaluation.derive` computes a view's features from window totals
with a dozen numpy calls, ~45 µs whatever the number of rows: the largest fixed cost of an
online read. The online kernel derives each query's features in its own compiled pass
instead, with the same operations in the same order and so the same bits (the tests compare
them); this module lays the view's evaluation plan out for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

from streams.features.definitions import FeatureView
from streams.features.evaluation import NOISE_ULPS, plan_of
from streams.features.fixed_point import EXACT_HI, HI_WEIGHT, LO_WEIGHT, QUANTUM_BITS

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# Passed to the kernel rather than read as globals there: numba's cache would keep the
# values compiled in, whatever another module later defines.
CONSTANTS = np.array(
    [
        EXACT_HI,
        HI_WEIGHT,
        LO_WEIGHT,
        # The two terms of a variance's rounding noise (see ``evaluation._variance``).
        NOISE_ULPS * float(np.finfo(np.float64).eps),
        2.0**-QUANTUM_BITS,
    ],
    dtype=np.float64,
)


@dataclass(frozen=True)
class DeriveSpec:
    """A view's features as the kernel derives them, grouped by kind.

    Attributes:
        rows: Per feature: output column, count column, source column (a totals column; a
            distinct segment's number for distinct counts; a recency cell for ``last``) and
            the squares' column (``std``).
        defaults: Per feature, its value without data.
        bounds: Where each kind's rows start, in the order direct, mean, std, max, min,
            distinct, last, seconds since last; then the end.
    """

    rows: IntArray
    defaults: FloatArray
    bounds: IntArray


@cache
def derive_spec(view: FeatureView) -> DeriveSpec:
    """The view's evaluation plan as one row per feature (built once per view)."""
    plan = plan_of(view)
    rows: list[tuple[int, int, int, int]] = []
    defaults: list[float] = []
    bounds = [0]
    start = plan.layout.recency.offset
    for derived in (plan.direct, plan.mean, plan.std, plan.maximum, plan.minimum):
        for k in range(len(derived.out)):
            out, count, source = int(derived.out[k]), int(derived.count[k]), derived.source[k]
            rows.append((out, count, int(source), int(derived.extra[k])))
            defaults.append(float(derived.default[k]))
        bounds.append(len(rows))
    for d, (column, *_) in enumerate(plan.distinct):
        rows.append((column, 0, d, 0))
        defaults.append(0.0)
    bounds.append(len(rows))
    for derived, shift in ((plan.last, start), (plan.since, 0)):
        for k in range(len(derived.out)):
            rows.append((int(derived.out[k]), 0, int(derived.source[k]) - shift, 0))
            defaults.append(float(derived.default[k]))
        bounds.append(len(rows))
    return DeriveSpec(
        np.array(rows, dtype=np.int64).reshape(-1, 4),
        np.array(defaults, dtype=np.float64),
        np.array(bounds, dtype=np.int64),
    )
