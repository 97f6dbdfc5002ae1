"""``eventml bench features``: engine throughput, freshness at 5k/s, online reads, parity.

Every figure is measured in the same run as its baseline (the broker's own latency at the
same offered load), on freshly created topics of the broker and Redis the CLI resolved.
"""

from __future__ import annotations

import random
import subprocess
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import redis

from streams.bench_support import (
    broker_latency_ms,
    histogram_quantile,
    offer_paced,
    percentile_ms,
    scrape,
)
from streams.cli.context import CliContext
from streams.demo.generator import SyntheticWorld, WorldConfig
from streams.features.aggregator import FeatureAggregator, SourceEvent
from streams.features.definitions import Aggregation, AggregationKind, FeatureView, Window
from streams.features.engines.settings import AggregatorSettings
from streams.features.online_store import RedisOnlineStore
from streams.features.parity import produce_stream, start_aggregator, wait_for_parity
from streams.infra.process import free_port
from streams.kafka.admin import create_topics
from streams.kafka.clients import make_admin
from streams.kafka.topics import TopicCatalogue
from streams.producer import RecordProducer
from streams.settings import KafkaSettings

THROUGHPUT_EVENTS = 60_000
FRESHNESS_RATE = 5000
FRESHNESS_SECONDS = 15
# Faust scales past one event loop with worker processes in one consumer group (on this
# 2-core machine two workers drained ~1.4x one); Bytewax's process cluster did not help here:
# its exchange between processes cost more than the second core gave.
FAUST_WORKERS = 2
THROUGHPUT_RUNS = (
    ("bytewax_events_per_s", "bytewax", 1),
    ("faust_events_per_s", "faust", FAUST_WORKERS),
    ("faust_events_per_s_1_worker", "faust", 1),
)


def _topics(kafka: KafkaSettings, partitions: int = 4) -> TopicCatalogue:
    topics = TopicCatalogue(prefix=f"bench-{uuid.uuid4().hex[:6]}.", partitions=partitions)
    create_topics(make_admin(kafka), topics.specs())
    return topics


def _applied(url: str, engine: str) -> float:
    try:
        samples = scrape(url)
    except OSError:
        return 0.0
    key = ("eventml_features_events_total", (("engine", engine), ("view", "card")))
    return samples.get(key, 0.0)


def _run_engine(
    context: CliContext, engine: str, n: int, seed: int, home: Path, processes: int = 1
) -> dict[str, float]:
    """Drain ``n`` pre-produced events with ``processes`` workers of one consumer group;
    events/s from the first to the last applied event (a rebalance as workers join counts)."""
    kafka = context.kafka
    topics = _topics(kafka)
    events = produce_stream(kafka, topics, n, seed)
    prefix = f"bench{engine}{uuid.uuid4().hex[:4]}"
    urls, running = [], []
    try:
        for worker in range(processes):
            port = free_port()
            worker_home = home / f"{prefix}-{worker}"
            worker_home.mkdir(parents=True, exist_ok=True)
            env = {"EVENTML_AGGREGATOR_SNAPSHOT_INTERVAL_S": str(_service_interval())}
            running.append(
                start_aggregator(
                    kafka, topics, str(context.redis.url), worker_home, engine, prefix, port, env
                )
            )
            urls.append(f"http://127.0.0.1:{port}/metrics")
        first, done = _drain_times(urls, engine, n, running)
        # Every view written (the merchant view of an engine may trail the card view).
        parity = wait_for_parity(str(context.redis.url), prefix, events, timeout_s=60)
    finally:
        for process in running:
            _stop(process)
    if first is None or done is None:
        return {"events_per_s": float("nan"), "parity": float("nan")}
    rate = (n - first[1]) / max(done - first[0], 1e-9)
    return {"events_per_s": rate, "parity": parity}


def _drain_times(
    urls: list[str], engine: str, n: int, running: list[subprocess.Popen[bytes]]
) -> tuple[tuple[float, float] | None, float | None]:
    """(time, count) when the workers had first applied events, and when all ``n``.

    Each scrape costs the worker CPU (a full metrics exposition), so in mid-run the poll
    sleeps up to a quarter of the time left at the rate so far, then closes in at 20 ms.
    """
    first = done = None
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and all(p.poll() is None for p in running):
        applied = sum(_applied(url, engine) for url in urls)
        now = time.monotonic()
        if applied > 0 and first is None:
            first = (now, applied)
        if applied >= n:
            done = now
            break
        pause = 0.02
        if first is not None and applied > first[1]:
            rate = (applied - first[1]) / max(now - first[0], 1e-9)
            pause = max(pause, min(0.5, (n - applied) / rate / 4))
        time.sleep(pause)
    return first, done


def _service_interval() -> float:
    """As operators run it: the service's own snapshot interval, not the tests' short one."""
    return float(AggregatorSettings.model_fields["snapshot_interval_s"].default)


def _freshness(context: CliContext, seed: int, home: Path) -> dict[str, float]:
    """Default engine at 5,000 events/s offered; freshness from Kafka arrival to readable."""
    kafka = context.kafka
    topics = _topics(kafka)
    port = free_port()
    interval = _service_interval()
    process = start_aggregator(
        kafka,
        topics,
        str(context.redis.url),
        home,
        "bytewax",
        "benchfresh",
        metrics_port=port,
        extra_env={"EVENTML_AGGREGATOR_SNAPSHOT_INTERVAL_S": str(interval)},
    )
    url = f"http://127.0.0.1:{port}/metrics"
    producer = RecordProducer(kafka, topics.events, "transaction", "card_id")
    world = SyntheticWorld(WorldConfig(seed=seed, cards=2000))
    events = [e for e, _ in world.events(FRESHNESS_RATE * FRESHNESS_SECONDS)]
    try:
        while _applied(url, "bytewax") == 0 and process.poll() is None:
            producer.send({**events[0], "event_id": "warm-up", "event_time": _now_ms()})
            producer.flush()
            time.sleep(0.5)

        offer_paced(producer, events, FRESHNESS_RATE)
        producer.flush()
        time.sleep(2)
        samples = scrape(url)
    finally:
        _stop(process)
    labels = {"engine": "bytewax", "view": "card"}
    p99 = histogram_quantile(samples, "eventml_features_freshness_seconds", labels, 0.99)
    p50 = histogram_quantile(samples, "eventml_features_freshness_seconds", labels, 0.5)
    return {
        "freshness_p50_ms": p50 * 1000,
        "freshness_p99_ms": p99 * 1000,
        "freshness_snapshot_interval_s": float(interval),
    }


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL: a Faust worker's graceful stop can hang."""
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def wide_view(features: int = 50) -> FeatureView:
    """A synthetic view of ``features`` windowed aggregates of the amount (read benchmark)."""
    kinds: tuple[AggregationKind, ...] = ("count", "sum", "mean", "min", "max", "std")
    windows = [
        Window.sliding(timedelta(minutes=m), timedelta(minutes=max(m // 12, 1)))
        for m in (5, 15, 30, 60, 120, 240, 480, 720, 1440)
    ]
    aggs = [
        Aggregation(f"{k}_{i}", k, None if k == "count" else "amount", w)
        for i, w in enumerate(windows)
        for k in kinds
    ][:features]
    return FeatureView(
        "wide",
        "card",
        "card_id",
        "events",
        "transaction",
        "event_time",
        tuple(aggs),
        86_400,
        "read benchmark",
        "bench",
        (),
    )


def online_reads(redis_url: str, seed: int, reps: int = 2000) -> dict[str, float]:
    """p99 of one-round-trip reads: 1 x 50 and 100 x 50 features."""
    view = wide_view()
    aggregator = FeatureAggregator(view, allowed_lateness_ms=2**40)
    world = SyntheticWorld(WorldConfig(seed=seed, cards=1000))
    batch = [
        SourceEvent.of(view, e, topic="events", partition=0, offset=i)
        for i, (e, _) in enumerate(world.events(20_000))
    ]
    result = aggregator.apply(batch)
    store = RedisOnlineStore(redis.Redis.from_url(redis_url), prefix=f"bench{seed}")
    store.write(view, result.rows)
    ids = [row.entity_id for row in result.rows]
    rng = random.Random(seed)
    out: dict[str, float] = {}
    for size in (1, 100):
        timings = []
        for _ in range(reps):
            chosen = rng.sample(ids, size)
            started = time.perf_counter()
            store.get(chosen, view)
            timings.append(time.perf_counter() - started)
        out[f"online_read_p50_ms_{size}x50"] = percentile_ms(timings, 50)
        out[f"online_read_p99_ms_{size}x50"] = percentile_ms(timings, 99)
    return out


def features_benchmark(context: CliContext, seed: int) -> dict[str, Any]:
    """All figures of the features issue, as one flat dict."""
    home = context.infra.home / "bench"
    home.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"events": THROUGHPUT_EVENTS}
    parity = 0.0
    for name, engine, processes in THROUGHPUT_RUNS:
        try:
            figures = _run_engine(context, engine, THROUGHPUT_EVENTS, seed, home, processes)
        except (OSError, subprocess.SubprocessError) as exc:
            figures = {"events_per_s": float("nan"), "parity": float("nan")}
            result[f"{name}_error"] = str(exc)
        result[name] = figures["events_per_s"]
        parity = max(parity, figures["parity"])
    result["faust_workers"] = FAUST_WORKERS
    result["parity_max_abs_diff"] = parity
    result["broker_p99_ms_at_5k"] = broker_latency_ms(context.kafka, FRESHNESS_RATE, 10)["p99"]
    result.update(_freshness(context, seed, home))
    result.update(online_reads(str(context.redis.url), seed))
    return result
