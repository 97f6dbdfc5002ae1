"""``eventml bench inference``: this consumer against a naive per-event loop and the
passthrough ceiling, all on the same broker, Redis, model and events in one run."""

from __future__ import annotations

import multiprocessing
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import numpy as np
import redis
from confluent_kafka import OFFSET_BEGINNING, TopicPartition
from prometheus_client import CollectorRegistry
from sklearn.ensemble import HistGradientBoostingClassifier

from inference.features import FeatureBuilder
from inference.metrics import InferenceMetrics
from inference.model_provider import InMemoryModelProvider, ModelArtifact
from inference.online_source import RedisFeatureSource
from inference.runner import InferenceRunner
from inference.scorer import OnnxScorer
from inference.settings import InferenceSettings
from schemas import PredictionEncoder, TransactionDecoder
from streams.bench_support import broker_latency_ms, offer_paced, percentile_ms
from streams.demo.generator import SyntheticWorld, WorldConfig
from streams.features.aggregator import FeatureAggregator, SourceEvent
from streams.features.catalog import list_views
from streams.features.online_store import RedisOnlineStore
from streams.kafka.admin import create_topics
from streams.kafka.clients import make_admin, make_consumer, make_producer
from streams.kafka.consume_loop import next_offsets
from streams.kafka.topics import TopicCatalogue
from streams.producer import RecordProducer, codec_for
from streams.settings import KafkaSettings
from training.onnx_export import export_onnx
from training.request_features import RequestFeatures

EVENTS = 30_000
SWEEP_EVENTS = 12_000
RATE = 5000
LATENCY_SECONDS = 10


class Fixture:
    """Events, a 100-tree model over every feature, and those events' features in Redis."""

    def __init__(self, kafka: KafkaSettings, redis_url: str, seed: int) -> None:
        self.kafka = kafka
        world = SyntheticWorld(WorldConfig(seed=seed, cards=2000))
        self.events = [e for e, _ in world.events(EVENTS)]
        self.prefix = f"benchinf-{uuid.uuid4().hex[:6]}"
        store = RedisOnlineStore(redis.Redis.from_url(redis_url), prefix=self.prefix)
        for view in list_views():
            aggregator = FeatureAggregator(view, allowed_lateness_ms=2**40)
            batch = [
                SourceEvent.of(view, e, topic="events", partition=0, offset=i)
                for i, e in enumerate(self.events)
            ]
            store.write(view, aggregator.apply(batch).rows)
        self.source = RedisFeatureSource(store, list_views())
        names = (*RequestFeatures().names, *self.source.feature_names)
        rng = np.random.default_rng(seed)
        x = rng.normal(size=(5000, len(names))).astype(np.float32)
        y = (x[:, 0] + rng.normal(size=5000) > 1.5).astype(int)
        model = HistGradientBoostingClassifier(max_iter=100, random_state=seed).fit(x, y)
        self.model = ModelArtifact.of("bench", "1", export_onnx(model, names), names, 0.5)
        self.redis_url = redis_url

    def topics(self, n: int) -> TopicCatalogue:
        """Fresh topics with the first ``n`` events produced."""
        topics = TopicCatalogue(prefix=f"bench-{uuid.uuid4().hex[:6]}.", partitions=4)
        create_topics(make_admin(self.kafka), topics.specs())
        producer = RecordProducer(self.kafka, topics.events, "transaction", "card_id")
        producer.send_many(self.events[:n])
        producer.flush()
        return topics


def _settings(**overrides: Any) -> InferenceSettings:
    values: dict[str, Any] = {
        "group_id": f"bench-{uuid.uuid4().hex[:6]}",
        "metrics_port": 0,
        "canary_alias": None,
        "shadow_alias": None,
    }
    return InferenceSettings(**{**values, **overrides})


def _run_consumer(
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


def _drain(
    fx: Fixture,
    topics: TopicCatalogue,
    n: int,
    work: Callable[[list[Any]], None],
    commit: bool = False,
) -> float:
    """Events/s of ``work`` over batches polled from the events topic, commits included."""
    consumer = make_consumer(fx.kafka, f"bench-{uuid.uuid4().hex[:6]}")
    meta = consumer.list_topics(topics.events, timeout=10).topics[topics.events]
    consumer.assign([TopicPartition(topics.events, p, OFFSET_BEGINNING) for p in meta.partitions])
    seen = 0
    started = None
    while seen < n:
        batch = [m for m in consumer.consume(1000, 1.0) if m.error() is None]
        if not batch:
            continue
        started = started or time.perf_counter()
        work(batch)
        if commit:
            consumer.commit(offsets=next_offsets(batch), asynchronous=True)
        seen += len(batch)
    elapsed = time.perf_counter() - (started or time.perf_counter())
    consumer.close()
    return n / max(elapsed, 1e-9)


def _passthrough(fx: Fixture, topics: TopicCatalogue, n: int) -> float:
    """Consume, decode, encode a constant-score prediction, produce, commit: no features, no
    model, and no waiting for acknowledgements (so it is a ceiling, not a safe consumer)."""
    events = TransactionDecoder(codec_for(fx.kafka, topics.events, "transaction"))
    # The consumer's own codecs: slower ones here would flatter the consumer's share.
    predictions = PredictionEncoder(codec_for(fx.kafka, topics.predictions, "prediction"))
    producer = make_producer(fx.kafka)

    def work(batch: list[Any]) -> None:
        for msg in batch:
            e = events.decode(msg.value())
            producer.produce(
                topics.predictions,
                predictions.encode(_prediction(e, 0.5)),
                key=str(e["card_id"]).encode(),
            )
        producer.poll(0)

    rate = _drain(fx, topics, n, work, commit=True)
    producer.flush(30)
    return rate


def _naive(fx: Fixture, topics: TopicCatalogue, n: int) -> float:
    """The same work one event at a time: a Redis round trip per view and a one-row score."""
    events = TransactionDecoder(codec_for(fx.kafka, topics.events, "transaction"))
    predictions = PredictionEncoder(codec_for(fx.kafka, topics.predictions, "prediction"))
    producer = make_producer(fx.kafka)
    builder = FeatureBuilder(fx.source)
    scorer = OnnxScorer(fx.model.onnx_bytes, fx.model.sha256, fx.model.feature_names)
    names = list(fx.model.feature_names)

    def work(batch: list[Any]) -> None:
        for msg in batch:
            e = events.decode(msg.value())
            table = builder.build([e])
            row = table.select(names, np.arange(1))
            score = float(scorer.score(row)[0])
            producer.produce(
                topics.predictions,
                predictions.encode(_prediction(e, score)),
                key=str(e["card_id"]).encode(),
            )
            producer.flush(30)

    return _drain(fx, topics, n, work)


def _prediction(event: dict[str, Any], score: float) -> dict[str, Any]:
    now = int(time.time() * 1000)
    return {
        "event_id": event["event_id"],
        "entity": event["card_id"],
        "score": score,
        "decision": score >= 0.5,
        "threshold": 0.5,
        "model_name": "bench",
        "model_version": "1",
        "variant": "CHAMPION",
        "features_missing": False,
        "feature_freshness_ms": 0,
        "latency_ms": 0.0,
        "event_time": event["event_time"],
        "scored_at": now,
        "features": [],
    }


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


def _latency(fx: Fixture) -> dict[str, float]:
    """At 5,000 events/s offered: the consumer's own latency and the end-to-end latency.

    Latency settings: batches close after 5 ms (throughput runs use the 20 ms default).
    """
    topics = fx.topics(0)
    metrics = InferenceMetrics(CollectorRegistry(), keep_samples=True)
    total = RATE * LATENCY_SECONDS
    ctx = multiprocessing.get_context("spawn")
    finished = ctx.Event()
    offer = ctx.Process(target=_offer, args=(fx.kafka, topics.events, fx.events[:5000], finished))
    offer.start()
    _run_consumer(
        fx,
        topics,
        total,
        _settings(max_wait_ms=5.0),
        metrics,
        until=lambda r: finished.is_set() and r.scored_events >= total,
    )
    offer.join(30)
    samples = metrics.samples or {}
    return {
        "consumer_p50_ms_at_5k": percentile_ms(samples.get("consumer", []), 50),
        "consumer_p99_ms_at_5k": percentile_ms(samples.get("consumer", []), 99),
        "e2e_p99_ms_at_5k": percentile_ms(samples.get("end_to_end", []), 99),
    }


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
    store = RedisOnlineStore(redis.Redis.from_url(redis_url), prefix=redis_prefix)
    runner = InferenceRunner(
        kafka,
        TopicCatalogue(prefix, 4),
        _settings(group_id=group),
        InMemoryModelProvider({"champion": model}),
        RedisFeatureSource(store, list_views()),
        InferenceMetrics(CollectorRegistry()),
    )
    thread = threading.Thread(target=runner.run, args=(stop.is_set,), daemon=True)
    thread.start()
    while thread.is_alive():
        counter.value = runner.scored_events
        time.sleep(0.01)


def _two_processes(fx: Fixture) -> float:
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


def inference_benchmark(context: Any, seed: int) -> dict[str, Any]:
    """All figures of the inference issue, as one flat dict."""
    kafka, redis_url = context.kafka, str(context.redis.url)
    fx = Fixture(kafka, redis_url, seed)
    result: dict[str, Any] = {"events": EVENTS, "model_trees": 100}
    result["events_per_s"] = _run_consumer(fx, fx.topics(EVENTS), EVENTS, _settings())
    result["passthrough_events_per_s"] = _passthrough(fx, fx.topics(EVENTS), EVENTS)
    result["naive_events_per_s"] = _naive(fx, fx.topics(SWEEP_EVENTS), SWEEP_EVENTS)
    result["speedup_vs_naive"] = result["events_per_s"] / result["naive_events_per_s"]
    result["share_of_passthrough"] = result["events_per_s"] / result["passthrough_events_per_s"]
    for size in (64, 256, 1024):
        result[f"events_per_s_batch_{size}"] = _run_consumer(
            fx, fx.topics(SWEEP_EVENTS), SWEEP_EVENTS, _settings(max_batch_size=size)
        )
    result["events_per_s_2_consumers"] = _two_processes(fx)
    result["broker_p99_ms_at_5k"] = broker_latency_ms(kafka, RATE, LATENCY_SECONDS)["p99"]
    result.update(_latency(fx))
    return result
