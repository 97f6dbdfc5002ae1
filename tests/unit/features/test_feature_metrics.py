"""Feature metrics on a private registry."""

from __future__ import annotations

import math

from prometheus_client import CollectorRegistry

from streams.features import CARD, FeatureAggregator, SourceEvent, WriteResult
from streams.features.metrics import FeatureMetrics
from tests.unit.features.conftest import T0, transaction


def test_batch_and_write_metrics() -> None:
    registry = CollectorRegistry()
    metrics = FeatureMetrics("bytewax", registry)
    records = [transaction(0, T0), transaction(1, T0 + 1), transaction(2, T0, amount=math.inf)]
    events = [
        SourceEvent.of(CARD, r, topic="tx", partition=0, offset=i) for i, r in enumerate(records)
    ]
    aggregator = FeatureAggregator(CARD)
    aggregator.apply(events)
    metrics.record_batch("card", aggregator.apply(events))  # all replays now
    # 0: a record without a timestamp has no freshness (it would read as 56 years).
    metrics.record_write("card", 0.002, WriteResult(1, 1), [T0, 0], now_ms=T0 + 1500)
    labels = {"engine": "bytewax", "view": "card"}
    assert registry.get_sample_value("eventml_features_replays_skipped_total", labels) == 3
    assert registry.get_sample_value("eventml_features_stale_writes_total", labels) == 1
    assert registry.get_sample_value("eventml_features_freshness_seconds_sum", labels) == 1.5
    assert registry.get_sample_value("eventml_features_freshness_seconds_count", labels) == 1
    assert registry.get_sample_value("eventml_features_redis_write_seconds_count", labels) == 1
