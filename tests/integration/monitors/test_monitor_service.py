"""The monitor as a service: real broker, real MLflow registry; the canary is promoted."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from prometheus_client import CollectorRegistry

from monitors.metrics import MonitorMetrics
from monitors.service import MonitorService
from monitors.settings import MonitorSettings
from streams.kafka.topics import TopicCatalogue
from streams.producer import RecordProducer, codec_for
from streams.reader import TopicReader
from streams.settings import KafkaSettings
from tests.unit.monitors.test_pipeline import _baseline, _predictions
from training.onnx_export import sha256_hex
from training.registry import ModelRegistry
from training.registry_access import kafka_publisher
from training.tracking import MlflowTracking, embedded_artifact_location, embedded_client

pytestmark = pytest.mark.integration


def _registry(tmp_path: Path, kafka: KafkaSettings, topics: TopicCatalogue) -> ModelRegistry:
    client = embedded_client(tmp_path / "mlflow")
    registry = ModelRegistry(
        client, "fraud", kafka_publisher(kafka, topics.model_events), tmp_path / "cache"
    )
    tracking = MlflowTracking(client, "test", embedded_artifact_location(tmp_path / "mlflow"))
    baseline = _baseline(np.random.default_rng(0)).to_json().encode()
    for payload in (b"v1", b"v2"):
        run_id = tracking.start_run("r", {}, {})
        tracking.log_files(run_id, {"model/model.onnx": payload, "baseline.json": baseline})
        registry.register(run_id, sha256_hex(payload), ("amount", "count_1h"), 0.5)
    registry.promote("1", "champion", "bootstrap", "test")
    registry.promote("2", "challenger", "gates passed", "test")
    return registry


def _read(kafka: KafkaSettings, topic: str, record: str) -> list[dict[str, Any]]:
    return [
        r.value
        for r in TopicReader(kafka, topic, codec_for(kafka, topic, record))
        if r.value is not None
    ]


def _run_canary(
    tmp_path: Path,
    kafka_settings: KafkaSettings,
    topics: TopicCatalogue,
    group_id: str,
    canary_noise: float,
    settled: Any,
) -> tuple[ModelRegistry, MonitorService]:
    registry = _registry(tmp_path, kafka_settings, topics)
    settings = MonitorSettings(
        group_id=group_id, canary_min_per_arm=1000, canary_max_per_arm=4000, canary_look_every=500
    )
    service = MonitorService(
        kafka_settings, topics, settings, registry, MonitorMetrics(CollectorRegistry())
    )
    rng = np.random.default_rng(5)
    predictions = RecordProducer(kafka_settings, topics.predictions, "prediction", "entity")
    labels = RecordProducer(kafka_settings, topics.labels, "label", "event_id")
    for step in range(8):
        champ, champ_labels = _predictions(rng, 500, step * 1000, "1", "CHAMPION")
        cand, cand_labels = _predictions(
            rng, 500, step * 1000 + 500, "2", "CANARY", noise=canary_noise
        )
        predictions.send_many(champ + cand)
        labels.send_many(champ_labels + cand_labels)
    predictions.flush()
    labels.flush()
    stop = threading.Event()
    worker = threading.Thread(target=service.run, args=(stop.is_set,), daemon=True)
    worker.start()
    deadline = time.monotonic() + 60
    while not settled(registry) and time.monotonic() < deadline:
        time.sleep(0.2)
    stop.set()
    worker.join(15)
    return registry, service


def test_worse_canary_is_rolled_back(
    tmp_path: Path, kafka_settings: KafkaSettings, topics: TopicCatalogue, group_id: str
) -> None:
    registry, service = _run_canary(
        tmp_path, kafka_settings, topics, group_id, 3.0, lambda r: r.holder("challenger") is None
    )
    assert registry.holder("challenger") is None
    assert registry.holder("champion") == "1"
    assert [d.verdict.value for d in service.decisions] == ["ROLLBACK"]
    events = _read(kafka_settings, topics.model_events, "model_event")
    assert (events[-1]["action"], events[-1]["alias"]) == ("ALIAS_REMOVED", "challenger")
    assert "rollback" in events[-1]["reason"]


def test_canary_is_promoted_and_the_decision_published(
    tmp_path: Path, kafka_settings: KafkaSettings, topics: TopicCatalogue, group_id: str
) -> None:
    producer = RecordProducer(kafka_settings, topics.predictions, "prediction", "entity")
    producer.send_raw(b"\x01 not a prediction")
    producer.flush()
    registry, service = _run_canary(
        tmp_path, kafka_settings, topics, group_id, 0.3, lambda r: r.holder("champion") == "2"
    )

    assert registry.holder("champion") == "2"
    assert registry.holder("challenger") is None
    assert [d.verdict.value for d in service.decisions] == ["PROMOTE"]
    actions = [
        (e["action"], e["alias"], e["version"])
        for e in _read(kafka_settings, topics.model_events, "model_event")
    ]
    assert actions[-2:] == [("PROMOTED", "champion", "2"), ("ALIAS_REMOVED", "challenger", "2")]
    alerts = _read(kafka_settings, topics.alerts, "alert")
    assert [a["type"] for a in alerts].count("CANARY_DECISION") == 1
    assert service.loop.stats.dead_lettered == 1
