"""Redis restarts mid-stream: inference pauses, retries, and loses no event."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import redis
from prometheus_client import CollectorRegistry

from inference.metrics import InferenceMetrics
from inference.model_provider import InMemoryModelProvider, ModelArtifact
from inference.online_source import RedisFeatureSource
from inference.runner import InferenceRunner
from streams.features.catalog import list_views
from streams.features.online_store import RedisOnlineStore
from streams.infra.redis_server import EmbeddedRedis
from streams.kafka.topics import TopicCatalogue
from streams.settings import KafkaSettings
from tests.integration.inference.harness import (
    produce_events,
    read_predictions,
    served_counts,
    settings_for,
    wait_for,
)
from tests.unit.inference.onnx_models import onnx_bytes
from training.request_features import RequestFeatures

pytestmark = pytest.mark.integration


def test_redis_restart_pauses_and_loses_nothing(
    kafka_settings: KafkaSettings, topics: TopicCatalogue, group_id: str, tmp_path: Path
) -> None:
    server = EmbeddedRedis(tmp_path / "redis").start()
    store = RedisOnlineStore(redis.Redis.from_url(server.url, socket_timeout=0.5))
    source = RedisFeatureSource(store, list_views())
    names = (*RequestFeatures().names, *source.feature_names)
    model = ModelArtifact.of("fraud", "1", onnx_bytes(len(names), 0), names, 0.5)
    runner = InferenceRunner(
        kafka_settings,
        topics,
        settings_for(group_id, max_batch_size=100),
        InMemoryModelProvider({"champion": model}),
        source,
        InferenceMetrics(CollectorRegistry()),
    )
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop.is_set,), daemon=True)
    thread.start()
    try:
        produce_events(kafka_settings, topics, range(1000))
        wait_for(lambda: runner.scored_events >= 1000, what="first half scored")
        server.stop()
        produce_events(kafka_settings, topics, range(1000, 2000))
        time.sleep(2)
        assert runner.scored_events == 1000  # paused: nothing scored on missing data
        server = EmbeddedRedis(tmp_path / "redis", port=server.port).start()
        wait_for(lambda: runner.scored_events >= 2000, what="second half after the restart")
    finally:
        stop.set()
        thread.join(30)
        server.stop()
    counts = served_counts(read_predictions(kafka_settings, topics.predictions))
    assert set(counts) == {f"e-{i}" for i in range(2000)}
    assert max(counts.values()) == 1
