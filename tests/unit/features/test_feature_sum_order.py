"""Window sums do not depend on the order events are applied in (they are fixed-point)."""

from __future__ import annotations

import dataclasses
import math
import random
from datetime import timedelta
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

from streams.features import CARD, Aggregation, FeatureAggregator, FeatureView, SourceEvent, Window
from streams.features.evaluation import evaluate
from streams.features.event_values import numeric_values
from streams.features.exceptions import DefinitionError, RowFormatError
from streams.features.fixed_point import MAX_BUCKETS, QUANTUM_BITS, quantise
from streams.features.layout import FIXED_POINT, layout_of
from streams.features.row_codec import HEADER, MAX_EVENT_ID_BYTES, decode_rows, encode_row
from streams.features.state import EntityState
from tests.unit.features.conftest import T0, signed_amounts, transaction

HOUR = Window.sliding(timedelta(hours=1), timedelta(minutes=5))
DAY_SLIDING = Window.sliding(timedelta(hours=24), timedelta(minutes=30))
TODAY = Window.tumbling(timedelta(days=1))
# Windowed aggregations only: with no distinct or "last" segment, the whole state is
# order-independent, not just the rings.
SUMS = dataclasses.replace(
    CARD,
    name="sums",
    aggregations=(
        Aggregation("count_1h", "count", window=HOUR),
        Aggregation("sum_1h", "sum", "amount", HOUR),
        Aggregation("mean_1h", "mean", "amount", HOUR),
        Aggregation("sum_24h", "sum", "amount", DAY_SLIDING),
        Aggregation("mean_24h", "mean", "amount", DAY_SLIDING),
        Aggregation("std_24h", "std", "amount", DAY_SLIDING),
        Aggregation("max_24h", "max", "amount", DAY_SLIDING),
        Aggregation("min_24h", "min", "amount", DAY_SLIDING),
        Aggregation("sum_today", "sum", "amount", TODAY),
        Aggregation("std_today", "std", "amount", TODAY),
    ),
)
SPAN_MS = 30 * 3600 * 1000  # longer than a day: ring slots are reused
ORDERS = range(20)  # seeds of the shuffles


def stream(n: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [
        transaction(i, T0 + rng.randrange(SPAN_MS), amount=x)
        for i, x in enumerate(signed_amounts(n, seed))
    ]


def applied(view: FeatureView, records: list[dict[str, Any]]) -> EntityState:
    layout = layout_of(view)
    state = EntityState.empty(layout)
    for r in records:
        state.apply(layout, r["event_id"], r["event_time"], r, numeric_values(layout, r))
    return state


def shuffled(records: list[dict[str, Any]], seed: int) -> list[dict[str, Any]]:
    out = records[:]
    random.Random(seed).shuffle(out)
    return out


def evaluated(view: FeatureView, states: list[EntityState], at_ms: int) -> np.ndarray:
    cells = np.array([np.frombuffer(s.cells, dtype=np.float64) for s in states])
    return evaluate(view, cells, np.full(len(states), at_ms, dtype=np.int64))


def ring_cells(view: FeatureView, state: EntityState) -> bytes:
    end = max(g.offset + g.size for g in layout_of(view).groups)
    return state.cells[:end].tobytes()


def test_the_test_data_exercises_non_associative_float_sums() -> None:
    records = stream(600, seed=1)
    plain = {sum(r["amount"] for r in shuffled(records, seed)) for seed in ORDERS}
    assert len(plain) > 1


def test_any_order_of_the_same_events_gives_bit_identical_states_and_features() -> None:
    records = stream(600, seed=1)
    states = [applied(SUMS, shuffled(records, seed)) for seed in ORDERS]
    assert len({s.cells.tobytes() for s in states}) == 1
    for at in (T0 + SPAN_MS // 2, T0 + SPAN_MS, T0 + SPAN_MS + 3_600_000):
        features = evaluated(SUMS, states, at)
        assert len({row.tobytes() for row in features}) == 1
        assert features[0, SUMS.feature_names.index("std_24h")] > 0


def test_the_card_view_rings_and_sums_are_order_independent() -> None:
    records = stream(400, seed=2)
    states = [applied(CARD, shuffled(records, seed)) for seed in range(8)]
    assert len({ring_cells(CARD, s) for s in states}) == 1
    sums = [i for i, a in enumerate(CARD.aggregations) if a.kind in {"sum", "mean", "std"}]
    features = evaluated(CARD, states, T0 + SPAN_MS)[:, sums]
    assert len({row.tobytes() for row in features}) == 1


def in_day_window(records: list[dict[str, Any]], at: int) -> list[float]:
    """Amounts of the buckets the 24 h window keeps at ``at``."""
    now, size = at // DAY_SLIDING.bucket_ms, DAY_SLIDING.buckets
    return [r["amount"] for r in records if now - size < r["event_time"] // DAY_SLIDING.bucket_ms]


def exact_sum(values: list[float]) -> float:
    """The correctly rounded sum of the values' quanta."""
    return float(Fraction(sum(quantise(x) for x in values), 1 << QUANTUM_BITS))


def test_window_sums_are_the_correctly_rounded_sums_of_the_quantised_values() -> None:
    records = stream(600, seed=3)
    at = T0 + SPAN_MS
    kept = in_day_window(records, at)
    n = len(kept)
    total, squares = exact_sum(kept), exact_sum([x * x for x in kept])
    values = evaluated(SUMS, [applied(SUMS, records)], at)[0]
    features = dict(zip(SUMS.feature_names, values, strict=True))
    assert n > 100
    assert features["sum_24h"] == total
    assert features["sum_24h"] == pytest.approx(math.fsum(kept), rel=1e-12)
    mean = total / n
    assert features["mean_24h"] == mean
    assert features["std_24h"] == math.sqrt(max(squares / n - mean * mean, 0.0))


def test_a_row_evaluates_the_same_alone_or_with_others() -> None:
    huge = [dict(r, amount=r["amount"] * 1e20) for r in stream(100, seed=8)]  # beyond 2**65
    states = [applied(SUMS, stream(100, seed)) for seed in range(10, 20)] + [applied(SUMS, huge)]
    at = T0 + SPAN_MS
    together = evaluated(SUMS, states, at)
    alone = np.concatenate([evaluated(SUMS, [s], at) for s in states])
    assert together.tobytes() == alone.tobytes()
    assert together[-1, SUMS.feature_names.index("sum_24h")] == pytest.approx(
        math.fsum(in_day_window(huge, at)), rel=1e-12
    )


def test_undo_rebuilds_the_state_before_the_last_event_whatever_the_order() -> None:
    records = stream(300, seed=4)
    for seed in range(5):
        order = shuffled(records, seed)
        before = applied(SUMS, shuffled(order[:-1], seed + 100))
        state = applied(SUMS, order)
        cells = np.frombuffer(state.cells, dtype=np.float64).copy()
        cells[np.frombuffer(state.undo_pos, dtype=np.int64)] = state.undo_old
        assert cells.tobytes() == before.cells.tobytes()


def test_a_fixed_point_moment_takes_two_cells_per_slot_and_undo_covers_them() -> None:
    layout = layout_of(SUMS)
    day = layout.group_of(DAY_SLIDING)
    assert [m for m in day.moments if m[0] in FIXED_POINT] == [
        ("sum", "amount"),
        ("sumsq", "amount"),
    ]
    assert day.stride == 1 + 1 + 2 + 2 + 1 + 1
    assert day.position(("sumsq", "amount")) == day.position(("sum", "amount")) + 2
    assert layout.undo_size == sum(g.stride for g in layout.groups) + layout.recency.size
    records = stream(50, seed=5)
    state = applied(SUMS, records)
    slot = records[-1]["event_time"] // DAY_SLIDING.bucket_ms % DAY_SLIDING.buckets
    assert set(day.cells_of(slot)) <= set(state.undo_pos)


def test_a_sum_over_more_buckets_than_int64_limbs_allow_is_refused() -> None:
    fine = Window.sliding(timedelta(seconds=MAX_BUCKETS + 1), timedelta(seconds=1))
    counted = dataclasses.replace(
        SUMS, name="fine", aggregations=(Aggregation("count", "count", window=fine),)
    )
    assert layout_of(counted).groups[0].window.buckets == MAX_BUCKETS + 1
    summed = dataclasses.replace(counted, aggregations=(Aggregation("sum", "sum", "amount", fine),))
    with pytest.raises(DefinitionError, match="buckets"):
        layout_of(summed)


def test_rows_and_snapshots_of_the_previous_layout_are_not_read() -> None:
    layout = layout_of(CARD)
    old_cells = layout.size - sum(
        g.window.buckets for g in layout.groups for kind, _ in g.moments if kind in FIXED_POINT
    )
    old_undo = layout.undo_size - sum(
        1 for g in layout.groups for kind, _ in g.moments if kind in FIXED_POINT
    )
    records = stream(20, seed=6)
    events = [
        SourceEvent.of(CARD, r, topic="tx", partition=0, offset=i) for i, r in enumerate(records)
    ]
    (row,) = FeatureAggregator(CARD).apply(events).rows
    blob = encode_row(row, 0, layout)
    # The same header, a body of the old length, the same event id field.
    old_blob = blob[: HEADER.size + 8 * (old_cells + 2 * old_undo)] + blob[-MAX_EVENT_ID_BYTES:]
    assert decode_rows(CARD, [blob, old_blob]).found.tolist() == [True, False]
    plain = applied(CARD, records).to_plain()
    old = (plain[0][: 8 * old_cells], plain[1][: 8 * old_undo], plain[2][: 8 * old_undo])
    with pytest.raises(RowFormatError, match="do not fit"):
        EntityState.from_plain((*old, *plain[3:]), layout)


def test_a_window_of_equal_values_has_a_std_of_exactly_zero() -> None:
    # Values whose squares are not multiples of the quantum: the two terms of the variance
    # are rounded differently, and without a noise floor the std read up to ~6e-5.
    std = SUMS.feature_names.index("std_24h")
    rng = random.Random(5)
    for _ in range(200):
        amount = rng.uniform(0.01, 4095.99)
        for copies in (1, 3):
            records = [transaction(i, T0 + i * 1000, amount=amount) for i in range(copies)]
            assert evaluated(SUMS, [applied(SUMS, records)], T0 + 10_000)[0, std] == 0.0


def test_a_real_spread_is_kept_to_float_precision() -> None:
    std = SUMS.feature_names.index("std_24h")
    # (E[x**2] - mean**2 itself loses precision when the spread is tiny next to the mean.)
    for base, delta in ((10.0, 0.01), (4000.0, 1.0), (0.5, 0.01)):
        records = [transaction(0, T0, amount=base), transaction(1, T0 + 1000, amount=base + delta)]
        got = evaluated(SUMS, [applied(SUMS, records)], T0 + 10_000)[0, std]
        assert got == pytest.approx(delta / 2, rel=1e-6)
