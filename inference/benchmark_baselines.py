"""What the inference benchmark compares the consumer with, on the same events: the
passthrough ceiling (no features, no model) and a naive loop that scores one event at a time."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import numpy as np
from confluent_kafka import OFFSET_BEGINNING, TopicPartition

from inference.benchmark_fixture import Fixture
from inference.features import FeatureBuilder
from inference.scorer import OnnxScorer
from schemas import PredictionEncoder, TransactionDecoder
from streams.kafka.clients import make_consumer, make_producer
from streams.kafka.consume_loop import next_offsets
from streams.kafka.topics import TopicCatalogue
from streams.producer import codec_for


def run_passthrough(fx: Fixture, topics: TopicCatalogue, n: int) -> float:
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


def run_naive(fx: Fixture, topics: TopicCatalogue, n: int) -> float:
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
