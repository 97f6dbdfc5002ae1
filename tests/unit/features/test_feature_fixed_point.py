"""Fixed-point window sums: quantisation, limbs, the per-event shortcut and the totals."""

from __future__ import annotations

import math
import random
from array import array
from fractions import Fraction

import numpy as np
import pytest

from streams.features.fixed_point import (
    EXACT_HI,
    LIMB_BITS,
    MAX_BUCKETS,
    QUANTUM_BITS,
    add,
    add_into,
    quantise,
    totals,
)
from tests.unit.features.conftest import signed_amounts

LIMB = 1 << LIMB_BITS


def limbs_of(total: int) -> tuple[float, float]:
    return float(total >> LIMB_BITS), float(total & (LIMB - 1))


def total_of(hi: float, lo: float) -> int:
    return int(hi) * LIMB + int(lo)


def exact_value(quanta: int) -> float:
    """The correctly rounded float64 of ``quanta * 2**-40``."""
    return float(Fraction(quanta, 1 << QUANTUM_BITS))


def test_quantise_rounds_the_exact_scaled_value_half_to_even() -> None:
    values = [*signed_amounts(2_000, seed=1), 0.0, -0.0, 5e-324, 2.0**-41, 3 * 2.0**-41, 1e300]
    for x in values:
        assert quantise(x) == round(Fraction(x) * (1 << QUANTUM_BITS)), x
    assert quantise(2.0**-41) == 0 and quantise(3 * 2.0**-41) == 2  # ties to even


def test_limbs_hold_the_integer_total_in_any_order() -> None:
    values = signed_amounts(3_000, seed=2)
    expected = sum(quantise(x) for x in values)
    finals = set()
    for seed in range(5):
        order = values[:]
        random.Random(seed).shuffle(order)
        hi, lo = 0.0, 0.0
        for x in order:
            hi, lo = add(hi, lo, x)
            assert 0.0 <= lo < LIMB and abs(hi) < EXACT_HI
        assert total_of(hi, lo) == expected
        finals.add((hi, lo))
    assert len(finals) == 1


def shortcut_cases(seed: int) -> list[tuple[float, float, float]]:
    """(hi, lo, x) covering both float64 shortcuts, their edges, and the integer fallback."""
    rng = random.Random(seed)
    edges = [2.0**e for e in (-41, -40, 10, 11, 12, 13, 50, 51, 52, 53, 61, 62, 63, 200)]
    xs = [
        *signed_amounts(500, seed),
        *(s * e * f for e in edges for s in (-1.0, 1.0) for f in (1.0, 1 - 2**-52, 1 + 2**-52)),
        *(rng.uniform(-1.0, 1.0) * 10.0 ** rng.uniform(-15, 40) for _ in range(500)),
    ]
    states = [
        (0.0, 0.0),
        (0.0, float(LIMB - 1)),
        (-1.0, 0.0),
        (-1.0, float(LIMB - 1)),
        (float(2**53 - 1), float(LIMB - 1)),  # the last exact high limb
        (-float(2**53 - 1), 0.0),
        (2.0**60, 12345.0),  # beyond the exact range: float64-rounded high limb
        *(limbs_of(rng.randrange(-(2**104), 2**104)) for _ in range(50)),
    ]
    return [(hi, lo, x) for x in xs for hi, lo in rng.sample(states, 3)]


def test_the_per_event_shortcut_gives_the_bits_of_the_integer_reference() -> None:
    for hi, lo, x in shortcut_cases(seed=3):
        cells = array("d", [hi, lo])
        add_into(cells, 0, 1, x)
        assert (cells[0], cells[1]) == add(hi, lo, x), (hi, lo, x)
        assert math.copysign(1.0, cells[0]) == math.copysign(1.0, add(hi, lo, x)[0])


def test_values_beyond_the_exact_range_still_sum_approximately() -> None:
    values = [3e25, -1e22, 7.5e30, 1e-3, 12.5]
    cells = array("d", [0.0, 0.0])
    for x in values:
        add_into(cells, 0, 1, x)
    (got,) = totals(np.array([[[cells[0]], [cells[1]]]]))
    assert abs(cells[0]) >= EXACT_HI
    assert got == pytest.approx(math.fsum(values), rel=1e-15)


def test_totals_beyond_float64_saturate_like_a_float_sum() -> None:
    cells = array("d", [0.0, 0.0])
    add_into(cells, 0, 1, 1e300)  # a single huge value: still finite limbs
    assert math.isfinite(cells[0])
    add_into(cells, 0, 1, 1e200 * 1e200)  # a square that overflowed
    assert cells[0] == math.inf
    add_into(cells, 0, 1, 5.0)
    limbs = np.array([[[cells[0], 0.0], [cells[1], 0.0]], [[0.0, 1.0], [0.0, 2.0]]])
    assert totals(limbs).tolist() == [math.inf, exact_value(LIMB + 2)]


def test_totals_are_the_correctly_rounded_exact_sum_up_to_the_largest_window() -> None:
    rng = random.Random(4)
    top = 2**53 - 1
    cases = [
        [limbs_of(rng.randrange(-(2**105) + LIMB, 2**105)) for _ in range(48)],
        [(float(top), float(LIMB - 1))] * MAX_BUCKETS,  # int64 sums at their limit
        [(-float(top), 0.0)] * MAX_BUCKETS,
        [(float(top), 0.0), (2.0, 0.0), (-float(top), 0.0)],  # a float64 sum would lose 2
        [limbs_of(q) for q in (quantise(x) for x in signed_amounts(12, seed=5))],
    ]
    for buckets in cases:
        limbs = np.array([buckets]).transpose(0, 2, 1)  # (1, 2, buckets)
        exact = sum(total_of(h, lo) for h, lo in buckets)
        assert totals(limbs)[0] == exact_value(exact)


def test_a_row_total_does_not_depend_on_the_rows_beside_it() -> None:
    rng = random.Random(6)
    rows = [[limbs_of(rng.randrange(-(2**100), 2**100)) for _ in range(48)] for _ in range(40)]
    rows[7][3] = (2.0**70, 0.0)  # one row beyond the exact range
    limbs = np.array(rows).transpose(0, 2, 1)  # (rows, 2, buckets)
    together = totals(limbs)
    assert together[7] == pytest.approx(2.0**70 * 2**12, rel=1e-3)
    alone = np.concatenate([totals(limbs[i : i + 1]) for i in range(len(rows))])
    assert together.tobytes() == alone.tobytes()
