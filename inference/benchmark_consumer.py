"""The inference consumer under the benchmark: its throughput in one process and in two, and
its latency at a paced offered load."""

from __future__ import annotations

import multiprocessing
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry

from inference.benchmark_fixture import EVENTS, LATENCY_SECONDS, RATE, Fixture
from inference.metrics import InferenceMetrics
from inference.model_provider import InMemoryModelProvider, ModelArtifact
from inference.online_source import RedisFeatureSource
from inference.runner import InferenceRunner
from inference.settings import InferenceSettings
from streams.bench_support import offer_paced, percentile_ms
from streams.features.catalog import list_views
from streams.features.online_store import RedisOnlineStore
from streams.heap import settle_heap
from streams.kafka.topics import TopicCatalogue
from streams.producer import RecordProducer
from streams.proof.cpu import CpuWindow, listening_pid
from streams.redis_client import make_redis
from streams.settings import KafkaSettings, RedisSettings


def consumer_settings(**overrides: Any) -> InferenceSettings:
    """Champion only, a fresh consumer group, no metrics port; ``overrides`` on top."""
    values: dict[str, Any] = {
        "group_id": f"bench-{uuid.uuid4().hex[:6]}",
        "metrics_port": 0,
        "canary_alias": None,
        "shadow_alias": None,
    }
    return InferenceSettings(**{**values, **overrides})


def run_consumer(
    fx: Fixture,
    topics: TopicCatalogue,
    n: int,
    settings: InferenceSettings,
    metrics: InferenceMetrics | None = None,
    until: Callable[[InferenceRunner], bool] | None = None,
) -> float:
    """Events/s of the consumer draining ``n`` events, first to last scored."""
    runner = InferenceRunner(
        fx.kafka,
        topics,
        settings,
        InMemoryModelProvider({"champion": fx.model}),
        fx.source,
        metrics or InferenceMetrics(CollectorRegistry()),
    )
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop.is_set,), daemon=True)
    # As `eventml run inference` does before serving; here it also keeps the benchmark's own
    # data (events, models) out of the collector's full passes, which pause the consumer.
    settle_heap()
    thread.start()
    done = until or (lambda r: r.scored_events >= n)
    first: tuple[float, int] | None = None
    deadline = time.monotonic() + 300
    while not done(runner) and time.monotonic() < deadline:
        if first is None and runner.scored_events > 0:
            first = (time.perf_counter(), runner.scored_events)
        time.sleep(0.01)
    end = time.perf_counter()
    stop.set()
    thread.join(30)
    if first is None:
        return float("nan")
    return (runner.scored_events - first[1]) / max(end - first[0], 1e-9)


def measure_latency(fx: Fixture) -> dict[str, float]:
    """At 5,000 events/s offered: the consumer's own latency, two of its shares (features,
    broker acknowledgement) and the end-to-end latency; and, from the first event scored to
    the last, the cores the broker used (when it runs on this machine) and the cores busy on
    the whole machine (consumer, paced producer, broker, Redis and anything else).

    Latency settings: batches close after 5 ms and the producer lingers 0.5 ms (throughput
    runs use the defaults, 20 ms and 2 ms).
    """
    topics = fx.topics(0)
    metrics = InferenceMetrics(CollectorRegistry(), keep_samples=True)
    total = RATE * LATENCY_SECONDS
    ctx = multiprocessing.get_context("spawn")
    finished = ctx.Event()
    offer = ctx.Process(target=_offer, args=(fx.kafka, topics.events, fx.events[:5000], finished))
    offer.start()
    broker = _broker_pid(fx.kafka)
    window = CpuWindow([broker] if broker is not None else [])

    def until(runner: InferenceRunner) -> bool:
        if runner.scored_events and not window.opened:
            window.open()
        return finished.is_set() and runner.scored_events >= total

    run_consumer(
        fx, topics, total, consumer_settings(max_wait_ms=5.0, linger_ms=0.5), metrics, until
    )
    broker_cores, machine_cores = window.close()
    offer.join(30)
    samples = metrics.samples or {}
    return {
        "consumer_p50_ms_at_5k": percentile_ms(samples.get("consumer", []), 50),
        "consumer_p99_ms_at_5k": percentile_ms(samples.get("consumer", []), 99),
        "e2e_p99_ms_at_5k": percentile_ms(samples.get("end_to_end", []), 99),
        # Two shares of the consumer's latency, per event: its batch's online-feature read,
        # and from sending its batch to the broker's last acknowledgement as the loop saw it
        # (delivery reports reach Python when the loop polls: see PendingBatch).
        "feature_fetch_p99_ms_at_5k": percentile_ms(samples.get("feature_fetch", []), 99),
        "ack_p50_ms_at_5k": percentile_ms(samples.get("produce", []), 50),
        "ack_p99_ms_at_5k": percentile_ms(samples.get("produce", []), 99),
        "broker_cores_at_5k": broker_cores if broker is not None else float("nan"),
        "machine_cores_at_5k": machine_cores,
    }


def _broker_pid(kafka: KafkaSettings) -> int | None:
    """The broker's process when its (first) bootstrap address is on this machine."""
    host, _, port = (kafka.bootstrap_servers or "").split(",")[0].rpartition(":")
    if host not in ("127.0.0.1", "localhost", "::1", "[::1]") or not port.isdigit():
        return None
    return listening_pid(int(port))


def run_two_processes(fx: Fixture) -> float:
    """Two consumer processes in one group draining the same pre-filled topic."""
    topics = fx.topics(EVENTS)
    ctx = multiprocessing.get_context("spawn")
    stop = ctx.Event()
    counters = [ctx.Value("l", 0) for _ in range(2)]
    group = f"bench2-{uuid.uuid4().hex[:6]}"
    children = [
        ctx.Process(
            target=_serve_child,
            args=(fx.kafka, topics.prefix, fx.model, fx.redis_url, fx.prefix, group, c, stop),
        )
        for c in counters
    ]
    for child in children:
        child.start()
    first: tuple[float, int] | None = None
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        total = sum(int(c.value) for c in counters)
        if first is None and total > 0:
            first = (time.perf_counter(), total)
        if total >= EVENTS:
            break
        time.sleep(0.01)
    end = time.perf_counter()
    stop.set()
    for child in children:
        child.join(30)
    if first is None:
        return float("nan")
    return (EVENTS - first[1]) / max(end - first[0], 1e-9)


def _offer(kafka: KafkaSettings, topic: str, events: list[dict[str, Any]], done: Any) -> None:
    """The paced producer, in a process of its own (a thread would share the consumer's GIL)."""
    producer = RecordProducer(kafka, topic, "transaction", "card_id")
    offered = [
        {**events[i % len(events)], "event_id": f"lat-{i}"} for i in range(RATE * LATENCY_SECONDS)
    ]
    # The first record is due after the consumer's group join (embedded broker: ~3 s).
    offer_paced(producer, offered, RATE, lead_s=5.0)
    producer.flush()
    done.set()


def _serve_child(
    kafka: KafkaSettings,
    prefix: str,
    model: ModelArtifact,
    redis_url: str,
    redis_prefix: str,
    group: str,
    counter: Any,
    stop: Any,
) -> None:
    store = RedisOnlineStore(make_redis(RedisSettings(url=redis_url)), prefix=redis_prefix)
    runner = InferenceRunner(
        kafka,
        TopicCatalogue(prefix, 4),
        consumer_settings(group_id=group),
        InMemoryModelProvider({"champion": model}),
        RedisFeatureSource(store, list_views()),
        InferenceMetrics(CollectorRegistry()),
    )
    thread = threading.Thread(target=runner.run, args=(stop.is_set,), daemon=True)
    settle_heap()
    thread.start()
    while thread.is_alive():
        counter.value = runner.scored_events
        time.sleep(0.01)
