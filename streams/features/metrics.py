"""Prometheus metrics of the feature pipeline, labelled by engine and view.

Runners build one :class:`FeatureMetrics` per process (on their own registry in tests) and
feed it each batch's :class:`~streams.features.aggregator.AggregationResult` and store timings.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram

from streams.features.aggregator import AggregationResult
from streams.features.online_store import WriteResult
from streams.histograms import observe_all

WRITE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
# Fine between 50 ms and 1 s, where p99 is read off (interpolated within one bucket).
FRESHNESS_BUCKETS = (
    0.01,
    0.025,
    0.05,
    0.075,
    0.1,
    0.15,
    0.2,
    0.3,
    0.4,
    0.5,
    0.6,
    0.75,
    1.0,
    1.5,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
)


class FeatureMetrics:
    """The counters and histograms the Bytewax and Faust runners report.

    Args:
        engine: ``"bytewax"``, ``"faust"`` or ``"backfill"``: the ``engine`` label.
        registry: Where to register (the process default if ``None``).
    """

    def __init__(self, engine: str, registry: CollectorRegistry | None = None) -> None:
        self._engine = engine
        reg = registry if registry is not None else REGISTRY
        labels = ("engine", "view")
        self.events = Counter(
            "eventml_features_events_total",
            "Events applied to feature state.",
            labels,
            registry=reg,
        )
        self.late = Counter(
            "eventml_features_late_events_total",
            "Events behind the watermark by more than the allowed lateness.",
            labels,
            registry=reg,
        )
        self.replays = Counter(
            "eventml_features_replays_skipped_total",
            "Events skipped because their offset was already applied.",
            labels,
            registry=reg,
        )
        self.rereads = Counter(
            "eventml_features_offset_gaps_total",
            "Messages the stream engine skipped before the agent saw them; the partition is "
            "re-read from the first one (Faust).",
            labels,
            registry=reg,
        )
        self.rejected = Counter(
            "eventml_features_rejected_events_total",
            "Events without a usable key or value.",
            (*labels, "reason"),
            registry=reg,
        )
        self.stale_writes = Counter(
            "eventml_features_stale_writes_total",
            "Rows the online store refused because a newer row was stored.",
            labels,
            registry=reg,
        )
        self.source_errors = Counter(
            "eventml_features_source_errors_total",
            "Non-fatal errors the Kafka consumer reported (librdkafka retries on its own).",
            ("engine", "code"),
            registry=reg,
        )
        self.write_seconds = Histogram(
            "eventml_features_redis_write_seconds",
            "Duration of one pipelined batch write to Redis.",
            labels,
            buckets=WRITE_BUCKETS,
            registry=reg,
        )
        self.freshness_seconds = Histogram(
            "eventml_features_freshness_seconds",
            "From an event's event time to its row being readable in Redis.",
            labels,
            buckets=FRESHNESS_BUCKETS,
            registry=reg,
        )

    def record_batch(self, view: str, result: AggregationResult) -> None:
        """Count what one aggregation batch did."""
        self.events.labels(self._engine, view).inc(result.applied)
        self.late.labels(self._engine, view).inc(len(result.late))
        self.replays.labels(self._engine, view).inc(result.replays_skipped)
        for rejected in result.rejected:
            self.rejected.labels(self._engine, view, rejected.error.reason).inc()

    def record_source_error(self, code: str) -> None:
        """Count one non-fatal consumer error by its librdkafka code name."""
        self.source_errors.labels(self._engine, code).inc()

    def record_write(
        self,
        view: str,
        seconds: float,
        outcome: WriteResult,
        event_times_ms: Iterable[int],
        now_ms: int,
    ) -> None:
        """Time one store write, and the freshness of each row it made readable."""
        self.write_seconds.labels(self._engine, view).observe(seconds)
        self.stale_writes.labels(self._engine, view).inc(outcome.stale)
        times = np.fromiter(event_times_ms, dtype=np.int64)
        ages_ms = now_ms - times[times > 0]  # 0: the record carried no timestamp
        observe_all(
            self.freshness_seconds.labels(self._engine, view), np.maximum(ages_ms, 0) / 1000.0
        )
