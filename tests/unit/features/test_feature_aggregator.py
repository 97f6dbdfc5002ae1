"""The aggregation core on small hand-computed streams."""

from __future__ import annotations

import json
import math
import pickle
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest

from streams.features import (
    Aggregation,
    FeatureAggregator,
    FeatureView,
    SourceEvent,
    Window,
    as_of,
)
from streams.features.event_values import numeric_values, value_hash
from streams.features.layout import layout_of
from streams.features.state import EntityState
from tests.unit.features.conftest import T0, transaction

MIN_1 = Window.sliding(timedelta(minutes=1), timedelta(seconds=5))
DAY = Window.tumbling(timedelta(days=1))
VIEW = FeatureView(
    name="test",
    entity="card",
    key_field="card_id",
    source_topic="transactions",
    source_record="transaction",
    event_time_field="event_time",
    aggregations=(
        Aggregation("count_1m", "count", window=MIN_1),
        Aggregation("sum_1m", "sum", "amount", MIN_1),
        Aggregation("mean_1m", "mean", "amount", MIN_1, default=-1.0),
        Aggregation("min_1m", "min", "amount", MIN_1),
        Aggregation("max_1m", "max", "amount", MIN_1),
        Aggregation("std_1m", "std", "amount", MIN_1),
        Aggregation("merchants_1m", "distinct_count", "merchant_id", MIN_1, capacity=2),
        Aggregation("devices_1m", "distinct_count", "device_id", MIN_1),
        Aggregation("last_amount", "last", "amount", default=-2.0),
        Aggregation("since_last", "seconds_since_last", default=-1.0),
        Aggregation("count_day", "count", window=DAY),
    ),
    ttl_seconds=3600,
)


def events(
    records: Sequence[dict[str, Any]], *, partition: int = 0, first: int = 0
) -> list[SourceEvent]:
    return [
        SourceEvent.of(VIEW, r, topic="tx", partition=partition, offset=first + i)
        for i, r in enumerate(records)
    ]


def features(
    agg: FeatureAggregator, at: int, event_id: str | None = None, key: str = "c1"
) -> dict[str, float]:
    row = agg.rows([key])[0]
    return dict(zip(VIEW.feature_names, as_of(VIEW, row, event_id, at).tolist(), strict=True))


def three() -> list[dict[str, Any]]:
    return [
        transaction(0, T0, amount=10.0, merchant_id="m1", device_id="d1"),
        transaction(1, T0 + 1000, amount=20.0, merchant_id="m2"),
        transaction(2, T0 + 2000, amount=60.0, merchant_id="m1", device_id="d1"),
    ]


def test_every_aggregation_on_a_small_stream() -> None:
    agg = FeatureAggregator(VIEW)
    result = agg.apply(events(three()))
    assert (result.applied, result.replays_skipped, result.late, result.rejected) == (3, 0, (), ())
    got = features(agg, T0 + 3000)
    assert got == {
        "count_1m": 3.0,
        "sum_1m": 90.0,
        "mean_1m": 30.0,
        "min_1m": 10.0,
        "max_1m": 60.0,
        "std_1m": pytest.approx(math.sqrt(1400 / 3), rel=1e-12),
        "merchants_1m": 2.0,
        "devices_1m": 1.0,
        "last_amount": 60.0,
        "since_last": 1.0,
        "count_day": 3.0,
    }


def test_row_vectors_and_own_contribution() -> None:
    agg = FeatureAggregator(VIEW)
    (row,) = agg.apply(events(three())).rows
    assert (row.entity_id, row.last_event_id, row.last_event_time) == ("c1", "e2", T0 + 2000)
    assert (row.max_event_time, row.applied_count, row.view_version) == (T0 + 2000, 3, VIEW.version)
    before = dict(zip(VIEW.feature_names, row.values_before_last.tolist(), strict=True))
    assert before["count_1m"] == 2.0 and before["sum_1m"] == 30.0 and before["max_1m"] == 20.0
    assert before["last_amount"] == 20.0 and before["since_last"] == 1.0
    assert row.values[0] == 3.0 and row.values[VIEW.feature_names.index("since_last")] == 0.0
    assert (as_of(VIEW, row, "e2", T0 + 2000) == row.values_before_last).all()


def test_empty_entity_uses_defaults_for_empty_windows() -> None:
    agg = FeatureAggregator(VIEW)
    (row,) = agg.apply(events(three()[:1])).rows
    before = dict(zip(VIEW.feature_names, row.values_before_last.tolist(), strict=True))
    assert before["count_1m"] == 0.0 and before["mean_1m"] == -1.0
    assert before["last_amount"] == -2.0 and before["since_last"] == -1.0


def test_sliding_window_expires_by_bucket() -> None:
    agg = FeatureAggregator(VIEW)
    agg.apply(events([transaction(0, T0 + 4999, amount=5.0)]))
    # The event's 5 s bucket [T0, T0+5 s) stays until the window no longer reaches it.
    assert features(agg, T0 + 59_999)["count_1m"] == 1.0
    assert features(agg, T0 + 60_000)["count_1m"] == 0.0
    assert features(agg, T0 + 60_000)["max_1m"] == 0.0
    assert features(agg, T0 + 60_000)["mean_1m"] == -1.0
    assert features(agg, T0 + 60_000)["since_last"] == pytest.approx(55.001)


def test_ring_slot_reused_by_a_newer_bucket() -> None:
    agg = FeatureAggregator(VIEW)
    agg.apply(events([transaction(0, T0, amount=5.0), transaction(1, T0 + 60_000, amount=7.0)]))
    got = features(agg, T0 + 60_001)
    assert (got["count_1m"], got["sum_1m"], got["min_1m"], got["count_day"]) == (1.0, 7.0, 7.0, 2.0)


def test_tumbling_window_resets_at_the_period() -> None:
    day = 86_400_000
    agg = FeatureAggregator(VIEW)
    agg.apply(events([transaction(0, T0 + day - 1000), transaction(1, T0 + day - 500)]))
    assert features(agg, T0 + day - 1)["count_day"] == 2.0
    assert features(agg, T0 + day)["count_day"] == 0.0


def test_distinct_count_saturates_and_evicts_the_stalest() -> None:
    agg = FeatureAggregator(VIEW)
    records = [transaction(i, T0 + i * 1000, merchant_id=m) for i, m in enumerate("abcb")]
    agg.apply(events(records))
    assert features(agg, T0 + 10_000)["merchants_1m"] == 2.0  # capacity 2
    assert kept_merchants(agg) == {value_hash("b"), value_hash("c")}  # a was the stalest
    agg.apply(events([transaction(9, T0 + 62_000, merchant_id="z")], first=4))
    assert kept_merchants(agg) == {value_hash("b"), value_hash("z")}  # then c
    assert features(agg, T0 + 59_999)["merchants_1m"] == 1.0  # b; c evicted, z in the future
    assert features(agg, T0 + 64_000)["merchants_1m"] == 1.0  # b's bucket [0, 5 s) expired


def kept_merchants(agg: FeatureAggregator) -> set[float]:
    state = agg.state("c1")
    assert state is not None
    segment = layout_of(VIEW).distincts[0]
    return set(state.cells[segment.offset : segment.offset + segment.size : 2])


def test_late_event_is_returned_not_applied() -> None:
    agg = FeatureAggregator(VIEW, allowed_lateness_ms=1000)
    records = [
        transaction(0, T0 + 10_000, amount=1.0),
        transaction(1, T0 + 8_000, amount=2.0),  # 2 s behind: late
        transaction(2, T0 + 9_500, amount=4.0),  # 0.5 s behind: applied, out of order
    ]
    result = agg.apply(events(records))
    assert [e.event_id for e in result.late] == ["e1"]
    assert result.applied == 2
    got = features(agg, T0 + 11_000)
    assert (got["count_1m"], got["sum_1m"]) == (2.0, 5.0)
    assert got["last_amount"] == 1.0  # an older event does not become the latest
    assert agg.watermarks == {"tx/0": T0 + 10_000}


def test_watermarks_are_per_partition() -> None:
    agg = FeatureAggregator(VIEW)
    agg.apply(events([transaction(0, T0 + 10_000)], partition=0))
    result = agg.apply(events([transaction(1, T0 + 1_000, card_id="c2")], partition=1))
    assert result.applied == 1 and not result.late


def test_replays_are_skipped_and_state_unchanged() -> None:
    agg = FeatureAggregator(VIEW)
    batch = events(three())
    agg.apply(batch)
    once = pickle.dumps(agg.snapshot())
    again = agg.apply(batch)
    assert (again.replays_skipped, again.applied, again.rows) == (3, 0, ())
    assert pickle.dumps(agg.snapshot()) == once
    overlapping = agg.apply(events([*three()[1:], transaction(3, T0 + 3000)], first=1))
    assert (overlapping.replays_skipped, overlapping.applied) == (2, 1)
    assert pickle.dumps(agg.snapshot()) != once
    assert features(agg, T0 + 4000)["count_1m"] == 4.0


def test_entity_offsets_guard_restored_entities() -> None:
    agg = FeatureAggregator(VIEW)
    agg.apply(events(three()))
    snap = agg.snapshot()
    snap["offsets"] = {}  # an engine that keeps only per-entity state (one table entry each)
    restored = FeatureAggregator.restore(VIEW, snap)
    assert restored.apply(events(three())).replays_skipped == 3


def test_snapshot_restore_gives_the_same_results() -> None:
    records = [
        transaction(i, T0 + i * 700, amount=float(i), merchant_id=f"m{i % 3}") for i in range(40)
    ]
    straight = FeatureAggregator(VIEW)
    straight.apply(events(records[:25]))
    first = FeatureAggregator(VIEW)
    first.apply(events(records[:25]))
    restored = FeatureAggregator.restore(VIEW, pickle.loads(pickle.dumps(first.snapshot())))
    a = straight.apply(events(records[25:], first=25)).rows[0]
    b = restored.apply(events(records[25:], first=25)).rows[0]
    assert (a.cells == b.cells).all() and (a.values == b.values).all()
    assert (a.values_before_last == b.values_before_last).all()


def test_snapshots_in_the_json_form_of_faust_tables_restore_too() -> None:
    first = FeatureAggregator(VIEW)
    first.apply(events(three()))
    snap = first.snapshot()
    as_json = {**snap, "entities": {k: first.state(k).to_dict() for k in snap["entities"]}}  # type: ignore[union-attr]
    restored = FeatureAggregator.restore(VIEW, json.loads(json.dumps(as_json)))
    assert pickle.dumps(restored.snapshot()) == pickle.dumps(snap)


def test_bad_events_are_rejected_as_values() -> None:
    agg = FeatureAggregator(VIEW)
    records = [
        transaction(0, T0, card_id=None),
        transaction(1, T0, amount=math.nan),
        transaction(2, T0),
    ]
    result = agg.apply(events(records))
    assert [r.event.event_id for r in result.rejected] == ["e0", "e1"]
    assert {r.error.reason for r in result.rejected} == {"invalid_feature_input"}
    assert result.applied == 1


def test_the_slot_index_of_distinct_values_follows_the_cells() -> None:
    # Many values through a 2-slot segment: every event finds, fills or evicts a slot through
    # the state's slot index. The same events on a state whose index is dropped before each
    # event (so rebuilt from the cells) and on one restored from its snapshot midway must end
    # with the same cells.
    layout = layout_of(VIEW)
    records = [
        transaction(i, T0 + i * 700, merchant_id="abcdefg"[(i * 5) % 7] * (1 + i % 3))
        for i in range(300)
    ]
    kept, rebuilt = EntityState.empty(layout), EntityState.empty(layout)
    restored = EntityState.empty(layout)
    for i, record in enumerate(records):
        if i == 150:
            restored = EntityState.from_plain(restored.to_plain(), layout)
            assert not restored.slot_index
        rebuilt.slot_index.clear()
        for state in (kept, rebuilt, restored):
            numbers = numeric_values(layout, record)
            state.apply(layout, str(record["event_id"]), int(record["event_time"]), record, numbers)
    assert kept.cells == rebuilt.cells == restored.cells
    segment = layout.distincts[0]
    hashes = kept.cells[segment.offset : segment.offset + segment.size : 2]
    assert kept.slot_index[segment.offset] == {h: i for i, h in enumerate(hashes) if h}
