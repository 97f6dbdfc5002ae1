"""Point-in-time correctness: own contribution excluded, backfill == online to the bit."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from typing import Any

import numpy as np
import pytest

from streams.features import (
    CARD,
    MERCHANT,
    FeatureAggregator,
    FeatureView,
    QueryPoint,
    SourceEvent,
    features_at,
    features_for_events,
)
from streams.features.layout import layout_of
from streams.features.point_in_time import as_of_batch
from streams.features.row_codec import decode_rows, encode_row
from tests.unit.features.conftest import seeded_stream

HOUR, DAY_MS = 300_000, 1_800_000  # bucket sizes of the 1 h and 24 h windows


def _kept(p: int, t: int, bucket: int, buckets: int) -> bool:
    return t // bucket - buckets < p // bucket <= t // bucket


def reference(history: list[dict[str, Any]], t: int) -> dict[str, float]:
    """Brute force over the raw events strictly before t, following the documented rule."""
    before = [e for e in history if e["event_time"] < t]
    hour = [e for e in before if _kept(e["event_time"], t, HOUR, 12)]
    day = [e for e in before if _kept(e["event_time"], t, DAY_MS, 48)]
    return {
        "txn_count_1h": float(len(hour)),
        "amount_sum_24h": sum(e["amount"] for e in day),
        "amount_max_24h": max((e["amount"] for e in day), default=0.0),
        "distinct_merchants_24h": float(min(len({e["merchant_id"] for e in day}), 32)),
        "seconds_since_last_txn": (t - before[-1]["event_time"]) / 1000 if before else -1.0,
    }


def test_features_follow_the_documented_rule_and_exclude_the_event_itself() -> None:
    stream = seeded_stream(2_000, seed=11, cards=40, gap_ms=60_000)
    computed = features_for_events(CARD, stream).values
    history: dict[str, list[dict[str, Any]]] = defaultdict(list)
    names = CARD.feature_names
    for i, event in enumerate(stream):
        expected = reference(history[event["card_id"]], event["event_time"])
        got = {name: computed[i, names.index(name)] for name in expected}
        assert got == pytest.approx(expected, rel=1e-12), f"event {i}"
        history[event["card_id"]].append(event)


def online_as_of(view: FeatureView, stream: list[dict[str, Any]]) -> np.ndarray:
    """Each event scored as inference would: applied, stored, read back, ``as_of``."""
    aggregator = FeatureAggregator(view)
    layout = layout_of(view)
    out = np.empty((len(stream), len(view.aggregations)))
    for i, record in enumerate(stream):
        event = SourceEvent.of(view, record, topic="tx", partition=0, offset=i)
        (row,) = aggregator.apply([event]).rows
        stored = decode_rows(view, [encode_row(row, 0, layout)]).batch
        at = np.array([record["event_time"]], dtype=np.int64)
        out[i] = as_of_batch(view, stored, [record["event_id"]], at)[0]
        assert (out[i] == row.values_before_last).all()
    return out


def test_backfill_equals_online_as_of_exactly() -> None:
    stream = seeded_stream(20_000, seed=7)
    online = online_as_of(CARD, stream)
    backfill = features_for_events(CARD, stream)
    assert backfill.found.all()
    assert np.abs(online - backfill.values).max() == 0.0
    queries = [QueryPoint(e["card_id"], e["event_time"]) for e in stream]
    assert np.abs(features_at(CARD, stream, queries).values - online).max() == 0.0


def test_merchant_view_parity_on_a_shorter_stream() -> None:
    stream = seeded_stream(3_000, seed=3)
    assert (
        np.abs(online_as_of(MERCHANT, stream) - features_for_events(MERCHANT, stream).values).max()
        == 0.0
    )


def test_query_points_see_only_strictly_earlier_events() -> None:
    stream = seeded_stream(200, seed=5, cards=3)
    last = stream[-1]
    queries = [
        QueryPoint(last["card_id"], last["event_time"]),
        QueryPoint(last["card_id"], last["event_time"] + 1),
        QueryPoint("never-seen", last["event_time"]),
    ]
    result = features_at(CARD, stream, queries)
    count = CARD.feature_names.index("txn_count_1h")
    assert result.values[1, count] == result.values[0, count] + 1
    assert result.found.tolist() == [True, True, False]
    assert result.values[2].tolist() == list(CARD.defaults)


def test_same_millisecond_events_differ_only_between_the_two_entry_points() -> None:
    stream = seeded_stream(3, seed=1, cards=1)
    stream[2]["event_time"] = stream[1]["event_time"]
    by_event = features_for_events(CARD, stream).values[2]
    by_time = features_at(CARD, stream, [QueryPoint("c0", stream[2]["event_time"])]).values[0]
    # Scoring e2 sees e1 (applied before it); a query at that millisecond does not.
    assert by_event[0] == 2.0 and by_time[0] == 1.0


def test_a_row_written_from_its_state_bytes_equals_one_packed_from_its_arrays() -> None:
    aggregator = FeatureAggregator(CARD)
    events = [
        SourceEvent.of(CARD, r, topic="tx", partition=0, offset=i)
        for i, r in enumerate(seeded_stream(400, 8))
    ]
    rows = aggregator.apply(events).rows
    layout = layout_of(CARD)
    assert all(row.body for row in rows)
    for row in rows:
        packed = encode_row(dataclasses.replace(row, body=b""), 5, layout)
        assert encode_row(row, 5, layout) == packed
        assert not row.cells.flags.writeable  # a view of the bytes: later events cannot leak in
