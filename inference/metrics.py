"""Prometheus metrics of the inference service, registered on a given registry."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from inference.routing import Router

_STAGE_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_E2E_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
_SIZE_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096)

STAGES = ("queue", "decode", "feature_fetch", "inference", "produce")


class InferenceMetrics:
    """Every metric the service exports.

    Args:
        registry: Where to register (``prometheus_client.REGISTRY`` in the service, a fresh
            ``CollectorRegistry`` per test).
    """

    def __init__(self, registry: CollectorRegistry, keep_samples: bool = False) -> None:
        # Exact per-event latencies for benchmarks (histograms only give buckets).
        self.samples: dict[str, list[float]] | None = (
            {"consumer": [], "end_to_end": [], "feature_fetch": [], "produce": []}
            if keep_samples
            else None
        )
        self.consumer_seconds = Histogram(
            "eventml_inference_consumer_seconds",
            "From the record leaving poll to its prediction acknowledged by the broker.",
            buckets=_E2E_BUCKETS,
            registry=registry,
        )
        self.stage_seconds = Histogram(
            "eventml_inference_stage_seconds",
            "Time per batch in each stage (queue = waiting for the scoring thread).",
            ["stage"],
            buckets=_STAGE_BUCKETS,
            registry=registry,
        )
        self.end_to_end_seconds = Histogram(
            "eventml_inference_end_to_end_seconds",
            "Event time to prediction acknowledged by the broker.",
            buckets=_E2E_BUCKETS,
            registry=registry,
        )
        self.batch_size = Histogram(
            "eventml_inference_batch_size",
            "Events per scored batch.",
            buckets=_SIZE_BUCKETS,
            registry=registry,
        )
        self.events = Counter(
            "eventml_inference_events_total", "Events scored (throughput).", registry=registry
        )
        self.predictions = Counter(
            "eventml_inference_predictions_total",
            "Predictions produced, by variant.",
            ["variant"],
            registry=registry,
        )
        self.errors = Counter(
            "eventml_inference_errors_total", "Errors by reason.", ["reason"], registry=registry
        )
        self.features_missing = Counter(
            "eventml_inference_features_missing_total",
            "Events scored with the online source's defaults.",
            registry=registry,
        )
        self.consumer_lag = Gauge(
            "eventml_inference_consumer_lag",
            "High watermark from fetch responses minus the next offset to consume.",
            ["topic", "partition"],
            registry=registry,
        )
        self.model_loaded = Gauge(
            "eventml_inference_model_loaded",
            "1 for each loaded model, labelled with the provider that really runs it.",
            ["variant", "model", "version", "provider"],
            registry=registry,
        )
        self.assigned_partitions = Gauge(
            "eventml_inference_assigned_partitions",
            "Partitions of the events topic this process owns: 0 until its group join"
            " completes (a readiness signal).",
            registry=registry,
        )
        self.paused = Gauge(
            "eventml_inference_paused",
            "Partitions paused: all of them under backpressure or while the feature source"
            " is down.",
            registry=registry,
        )

    def report_models(self, router: Router) -> None:
        """One series per loaded model, naming the provider that really runs it."""
        self.model_loaded.clear()
        for variant, model in router.models().items():
            provider = model.scorer.active_provider
            self.model_loaded.labels(variant.value, model.name, model.version, provider).set(1)

    def report_lag(self, consumer: Any) -> None:
        """How many partitions are assigned, and the lag of each from the high watermark of
        the last fetch response.

        ``cached=True`` reads what fetch responses reported; ListOffsets (``cached=False``)
        is wrong on the embedded broker.
        """
        assignment = consumer.assignment()
        self.assigned_partitions.set(len(assignment))
        for tp in consumer.position(assignment):
            _, high = consumer.get_watermark_offsets(tp, cached=True)
            if high >= 0 and tp.offset >= 0:
                self.consumer_lag.labels(tp.topic, str(tp.partition)).set(high - tp.offset)
