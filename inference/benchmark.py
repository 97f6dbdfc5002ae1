"""``eventml bench inference``: this consumer against a naive per-event loop and the
passthrough ceiling, all on the same broker, Redis, model and events in one run."""

from __future__ import annotations

from typing import Any

from inference.benchmark_baselines import run_naive, run_passthrough
from inference.benchmark_consumer import (
    consumer_settings,
    measure_latency,
    run_consumer,
    run_two_processes,
)
from inference.benchmark_fixture import EVENTS, LATENCY_SECONDS, RATE, SWEEP_EVENTS, Fixture
from streams.bench_support import broker_latency_ms


def inference_benchmark(context: Any, seed: int) -> dict[str, Any]:
    """All figures of the inference issue, as one flat dict."""
    kafka, redis_url = context.kafka, str(context.redis.url)
    fx = Fixture(kafka, redis_url, seed)
    result: dict[str, Any] = {"events": EVENTS, "model_trees": 100}
    result["events_per_s"] = run_consumer(fx, fx.topics(EVENTS), EVENTS, consumer_settings())
    result["passthrough_events_per_s"] = run_passthrough(fx, fx.topics(EVENTS), EVENTS)
    result["naive_events_per_s"] = run_naive(fx, fx.topics(SWEEP_EVENTS), SWEEP_EVENTS)
    result["speedup_vs_naive"] = result["events_per_s"] / result["naive_events_per_s"]
    result["share_of_passthrough"] = result["events_per_s"] / result["passthrough_events_per_s"]
    for size in (64, 256, 1024):
        result[f"events_per_s_batch_{size}"] = run_consumer(
            fx, fx.topics(SWEEP_EVENTS), SWEEP_EVENTS, consumer_settings(max_batch_size=size)
        )
    result["events_per_s_2_consumers"] = run_two_processes(fx)
    result["broker_p99_ms_at_5k"] = broker_latency_ms(kafka, RATE, LATENCY_SECONDS)["p99"]
    result.update(measure_latency(fx))
    return result
