"""Exact, order-independent window sums: fixed-point totals kept in two float64 limbs.

Float64 addition is not associative, so summing the same values in another order can change
the last bits. The engines see one entity's events in different orders (a merchant's events
arrive from every source partition), so a bucket's sum and sum of squares are kept in
integer arithmetic instead, which is associative:

* **Quantisation.** A value ``x`` (for a sum of squares, ``x * x`` rounded to float64 first)
  counts as ``q = round(x * 2**40)`` quanta, rounding half to even. ``x * 2**40`` is exact in
  float64, so ``q`` depends on ``x`` alone: the resolution is ``2**-40`` (about 9.1e-13) and
  each value is off by at most ``2**-41`` (values of magnitude 2**12 and above, and squares
  of 2**6 and above, are multiples of 2**-40 already). A standard deviation, computed from
  the sum and the sum of squares, carries that error into ``E[x**2] - mean**2``; evaluation
  reads a variance within that noise as 0 (``evaluation._variance``), so a window of equal
  values still has a std of exactly 0.
* **Limbs.** A bucket's total ``N`` (an integer, in quanta) is stored in two float64 cells,
  ``hi = N >> 52`` (floor, signed) and ``lo = N & (2**52 - 1)`` (in ``[0, 2**52)``), both
  integers a float64 holds exactly. Adding a value is integer arithmetic, ``N + q`` (:func:`add`
  with Python ints; :func:`add_into`, the per-event path, gets the same bits with float64
  operations that are exact), so a bucket holds the same bits whatever the order of its
  values.
* **Evaluation.** :func:`totals` adds the kept buckets' ``hi`` and ``lo`` limbs separately
  as int64, carries ``lo >> 52`` into ``hi`` and returns ``hi * 2**12 + lo * 2**-40``:
  both terms are exact, so the one rounding is of the exact total (correctly rounded).

**Range.** Exact storage needs ``|hi| < 2**53``: a bucket total ``T`` (in value units) with
``-(2**65 - 2**12) <= T < 2**65``, about 3.7e19. The stored bits are order-independent while
every partial total stays in that range, which the sum of the magnitudes of the bucket's
values (for a sum of squares: of the squares) staying below ``2**65`` guarantees. A window
of at most :data:`MAX_BUCKETS` such buckets sums in int64 without overflow, and its value is
correctly rounded while ``|window total| < 2**65`` (above, ``hi`` rounds once more when
converted to float64: still deterministic). Beyond that range a bucket keeps a
float64-rounded ``hi`` (as accurate as a plain float sum, and as order-dependent) and is
summed in float64; a total beyond float64 itself (or a square that overflows) saturates the
``hi`` limb to ``±inf`` (``nan`` once both signs overflowed), as a float sum would.
"""

from __future__ import annotations

import math
from array import array

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

QUANTUM_BITS = 40
LIMB_BITS = 52
# float64 factors of one value: quanta per unit, and the weights of the two limbs.
SCALE = 2.0**QUANTUM_BITS
HI_WEIGHT = 2.0 ** (LIMB_BITS - QUANTUM_BITS)
LO_WEIGHT = 2.0**-QUANTUM_BITS
LO_MASK = (1 << LIMB_BITS) - 1
# A bucket's hi limb is exact (an integer float64 holds exactly) strictly below this.
EXACT_HI = 2.0**53
# Buckets of one window whose int64 limb sums cannot overflow: 1024 * (2**53 - 1) plus a
# carry of at most 1023 is exactly 2**63 - 1.
MAX_BUCKETS = 1024

# Float64 shortcuts of :func:`add_into`. Adding then subtracting 1.5 * 2**k rounds a value
# below 2**(k-1) in magnitude to a multiple of 2**(k-52), ties to even like ``round()``.
_ROUND_UNIT = 1.5 * 2.0**52
_ROUND_LIMB = 1.5 * 2.0**104
_UNIT_RANGE = 2.0**51  # quanta rounded directly: low limb plus them stays exact
_LIMB_RANGE = 2.0**102  # quanta split at a multiple of 2**52 first
_WRAP = 2.0**LIMB_BITS
_PER_LIMB = 2.0**-LIMB_BITS


def quantise(x: float) -> int:
    """``x`` in quanta, ``round(x * 2**40)``, exactly for every finite ``x``."""
    if abs(x) >= 2.0**53:
        # An integer already; the shift also serves where ``x * 2**40`` would overflow.
        return int(x) << QUANTUM_BITS
    return round(x * SCALE)


def add(hi: float, lo: float, x: float) -> tuple[float, float]:
    """The limbs of a bucket total after adding ``x`` (see the module docstring).

    Args:
        hi: High limb of the total so far.
        lo: Low limb of the total so far.
        x: The value to add (a square already squared).

    Returns:
        ``(hi, lo)`` of the new total.
    """
    if not (math.isfinite(hi) and math.isfinite(x)):
        return hi + x, 0.0  # saturated: stays +-inf, or nan
    total = (int(hi) << LIMB_BITS) + int(lo) + quantise(x)
    top = total >> LIMB_BITS
    try:
        return float(top), float(total & LO_MASK)
    except OverflowError:
        return math.copysign(math.inf, top), 0.0


def add_into(cells: array[float], hi: int, lo: int, x: float) -> None:
    """:func:`add` in place on ``cells[hi]`` and ``cells[lo]``: the per-event path.

    Same bits as :func:`add` (until a total saturates, after which only its ``hi`` means
    anything), mostly without Python ints. While ``|x * 2**40| < 2**51`` the quanta are
    rounded in float64 and the low limb plus them is below 2**53, so exact; up to 2**102 the
    part above a multiple of 2**52 goes to the high limb first. The high limb then takes a
    carry of whole limbs: one float64 addition, exact in range, rounded once beyond it, as
    ``float()`` of :func:`add`'s integer is.
    """
    y = x * SCALE
    if -_UNIT_RANGE < y < _UNIT_RANGE:
        low = cells[lo] + ((y + _ROUND_UNIT) - _ROUND_UNIT)
        if 0.0 <= low < _WRAP:  # no carry: the usual case
            cells[lo] = low
            return
        carry = 0.0
    elif -_LIMB_RANGE < y < _LIMB_RANGE:
        whole = (y + _ROUND_LIMB) - _ROUND_LIMB
        low = cells[lo] + (((y - whole) + _ROUND_UNIT) - _ROUND_UNIT)
        carry = whole * _PER_LIMB
    else:
        cells[hi], cells[lo] = add(cells[hi], cells[lo], x)
        return
    if low >= _WRAP:
        carry += 1.0
        low -= _WRAP
    elif low < 0.0:
        carry -= 1.0
        low += _WRAP
    cells[hi] += carry
    cells[lo] = low


def totals(limbs: FloatArray) -> FloatArray:
    """Values of fixed-point totals summed over their buckets (the kept ones; others zeroed).

    A result depends only on its own buckets, never on the other rows of ``limbs``.

    Args:
        limbs: ``(..., 2, buckets)``: high limbs at ``[..., 0, :]``, low limbs at
            ``[..., 1, :]``, at most :data:`MAX_BUCKETS` buckets.

    Returns:
        ``(...)`` float64 totals.
    """
    assert limbs.shape[-1] <= MAX_BUCKETS
    high = limbs[..., 0, :]
    # ``not <`` so that nan counts as out of range too.
    if high.size and not (high.max() < EXACT_HI and high.min() > -EXACT_HI):
        return _totals_beyond(high, limbs[..., 1, :])
    sums = limbs.astype(np.int64).sum(axis=-1)
    return limb_value(sums[..., 0], sums[..., 1])


def limb_value(high: IntArray, low: IntArray) -> FloatArray:
    """The float64 of int64 limb sums: carried, then one rounding of an exact sum."""
    carried = high + (low >> LIMB_BITS)
    out: FloatArray = carried * HI_WEIGHT + (low & LO_MASK) * LO_WEIGHT
    return out


def _totals_beyond(high: FloatArray, low: FloatArray) -> FloatArray:
    """:func:`totals` when some high limb is out of the exact range: those rows in float64."""
    beyond = ~(np.abs(high) < EXACT_HI)
    with np.errstate(over="ignore", invalid="ignore"):
        approximate = (high * HI_WEIGHT + low * LO_WEIGHT).sum(axis=-1)
    in_range = np.where(beyond, 0.0, high).astype(np.int64).sum(axis=-1)
    exact = limb_value(in_range, low.astype(np.int64).sum(axis=-1))
    out: FloatArray = np.where(beyond.any(axis=-1), approximate, exact)
    return out
