"""All windows' totals in one pass equal, bit for bit, the totals taken window by window."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import numpy as np
import pytest

from streams.features import CARD, MERCHANT, Aggregation, FeatureAggregator, FeatureView, Window
from streams.features.aggregator import SourceEvent
from streams.features.evaluation import _totals, _totals_by_ring, evaluate, plan_of
from streams.features.layout import layout_of
from streams.features.ring_totals import ring_index, ring_totals
from streams.features.rows import RowBatch
from tests.unit.features.conftest import T0, seeded_stream, signed_amounts, transaction

MINUTES = (5, 15, 60, 240, 1440)
# Many windows of every moment family, like the online-read benchmark's wide view.
WIDE = dataclasses.replace(
    CARD,
    name="wide",
    aggregations=tuple(
        Aggregation(f"{kind}_{m}", kind, None if kind == "count" else "amount", window)
        for m in MINUTES
        for window in (Window.sliding(timedelta(minutes=m), timedelta(minutes=max(m // 12, 1))),)
        for kind in ("count", "sum", "mean", "std", "min", "max")
    ),
)


def states(view: FeatureView, records: list[dict[str, object]]) -> np.ndarray:
    aggregator = FeatureAggregator(view, allowed_lateness_ms=2**40)
    events = [
        SourceEvent.of(view, r, topic="t", partition=0, offset=i) for i, r in enumerate(records)
    ]
    rows = aggregator.apply(events).rows
    return RowBatch.stack(list(rows), layout_of(view)).cells


@pytest.mark.parametrize("view", [CARD, MERCHANT, WIDE], ids=lambda v: v.name)
def test_one_pass_equals_window_by_window_at_any_time(view: FeatureView) -> None:
    cells = states(view, seeded_stream(3000, seed=41))
    end = T0 + 3000 * 2000
    plan = plan_of(view)
    # From inside the stream to long after it, where every bucket has expired.
    for at in (T0, end // 2 + T0 // 2, end, end + 7 * 60_000, end + 86_400_000 * 2):
        at_ms = np.full(len(cells), at, dtype=np.int64)
        at_ms[::3] -= 3_600_000  # rows evaluated at different times in one call
        fast = ring_totals(ring_index(plan.layout), cells, at_ms)
        assert fast is not None
        slow = _totals_by_ring(plan, cells, at_ms)
        for got, want in zip(fast, slow, strict=True):
            assert got.shape == want.shape
            assert np.array_equal(got, want)


def test_a_sum_beyond_the_exact_range_is_reduced_window_by_window() -> None:
    huge = [
        transaction(i, T0 + i * 1000, amount=x * 1e12) for i, x in enumerate(signed_amounts(50, 3))
    ]
    cells = states(WIDE, huge)
    at_ms = np.full(len(cells), T0 + 60_000, dtype=np.int64)
    plan = plan_of(WIDE)
    assert ring_totals(ring_index(plan.layout), cells, at_ms) is None
    for got, want in zip(
        _totals(plan, cells, at_ms), _totals_by_ring(plan, cells, at_ms), strict=True
    ):
        assert np.array_equal(got, want, equal_nan=True)
    assert evaluate(WIDE, cells, at_ms).shape == (len(cells), len(WIDE.aggregations))
