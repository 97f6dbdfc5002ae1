"""The online read's compiled evaluation equals, bit for bit, copying each event's row and
evaluating it the numpy way: repeated entities, rows whose last event is the scored one,
times before, inside and long after the data, and sums beyond the exact range."""

from __future__ import annotations

import numpy as np
import pytest

from streams.features import CARD, MERCHANT, FeatureAggregator, FeatureView
from streams.features.aggregator import SourceEvent
from streams.features.layout import layout_of
from streams.features.online_kernel import kernel_features
from streams.features.point_in_time import as_of_batch, as_of_rows
from streams.features.rows import RowBatch
from tests.unit.features.conftest import T0, seeded_stream, signed_amounts, transaction
from tests.unit.features.test_ring_totals import WIDE


def _rows(view: FeatureView, records: list[dict[str, object]]) -> RowBatch:
    aggregator = FeatureAggregator(view, allowed_lateness_ms=2**40)
    events = [
        SourceEvent.of(view, r, topic="t", partition=0, offset=i) for i, r in enumerate(records)
    ]
    return RowBatch.stack(list(aggregator.apply(events).rows), layout_of(view))


def _numpy_way(
    view: FeatureView, batch: RowBatch, rows: np.ndarray, ids: list[str | None], at: np.ndarray
) -> np.ndarray:
    values: np.ndarray = as_of_batch(view, batch.take(rows), ids, at, owned=True)
    return values


@pytest.mark.parametrize("view", [CARD, MERCHANT, WIDE], ids=lambda v: v.name)
def test_compiled_equals_numpy_for_every_kind_of_query(view: FeatureView) -> None:
    batch = _rows(view, seeded_stream(3000, seed=17))
    rng = np.random.default_rng(5)
    n = 4000
    rows = rng.integers(0, len(batch), size=n)  # entities repeat, as in a batch of events
    end = T0 + 3000 * 2000
    at = rng.integers(T0 - 60_000, end + 2 * 86_400_000, size=n).astype(np.int64)
    # A third of the queries score the row's own last event, at its time (undo applied).
    ids: list[str | None] = [None] * n
    for q in range(0, n, 3):
        ids[q] = batch.last_event_ids[rows[q]]
        at[q] = batch.last_event_times[rows[q]]
    ids[1] = "some-other-event"
    values, scored = as_of_rows(view, batch, rows, ids, at)
    want = _numpy_way(view, batch, rows, ids, at)
    assert values.tobytes() == want.tobytes()
    assert len(scored) == len(range(0, n, 3))  # every third query's row is undone


def test_a_sum_beyond_the_exact_range_falls_back_to_numpy() -> None:
    huge = [
        transaction(i, T0 + i * 1000, amount=x * 1e12) for i, x in enumerate(signed_amounts(50, 3))
    ]
    batch = _rows(WIDE, huge)
    rows = np.arange(len(batch))
    at = np.full(len(batch), T0 + 60_000, dtype=np.int64)
    no_extra = np.zeros((0, batch.cells.shape[1]))
    source = np.full(len(batch), -1, dtype=np.int64)
    assert kernel_features(WIDE, batch.cells, rows, at, no_extra, source) is None
    values, _ = as_of_rows(WIDE, batch, rows, None, at)
    want = _numpy_way(WIDE, batch, rows, [None] * len(batch), at)
    assert np.array_equal(values, want, equal_nan=True)
