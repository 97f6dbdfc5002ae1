"""Events in, exactly one served prediction out per event; bad records dead-lettered."""

from __future__ import annotations

from typing import Any

import pytest
from confluent_kafka import Producer

import inference.runner as runner_module
from inference.routing import entity_bucket
from streams.kafka.clients import make_producer
from streams.kafka.dead_letter import DeadLetter
from streams.kafka.topics import TopicCatalogue
from streams.reader import TopicReader
from streams.settings import KafkaSettings
from tests.integration.inference.harness import (
    default_models,
    produce_events,
    read_predictions,
    served_counts,
    settings_for,
    start_runner,
    wait_for,
)
from tests.unit.inference.onnx_models import feature_source

pytestmark = pytest.mark.integration

N = 2000


def test_every_event_has_one_served_prediction_and_shadow_stays_apart(
    kafka_settings: KafkaSettings,
    topics: TopicCatalogue,
    group_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    linger: list[object] = []

    def producer(kafka: KafkaSettings, **overrides: Any) -> Producer:
        linger.append(overrides.get("linger.ms"))
        return make_producer(kafka, **overrides)

    monkeypatch.setattr(runner_module, "make_producer", producer)
    settings = settings_for(group_id, linger_ms=0.5)
    service = start_runner(kafka_settings, topics, settings, default_models())
    produce_events(kafka_settings, topics, range(N))
    garbage = [b"\x00\xff not avro", b"\xc3\x01" + bytes(8) + b"\x02"]
    outside = Producer({"bootstrap.servers": kafka_settings.bootstrap_servers})
    for value in garbage:
        outside.produce(topics.events, value, key=b"c-1")
    assert outside.flush(10) == 0
    wait_for(lambda: service.runner.scored_events >= N, what="all events scored")
    wait_for(lambda: service.runner.dead_lettered >= len(garbage), what="dead letters")
    service.close()
    assert linger == [0.5]  # the prediction producer's, from the settings

    served = read_predictions(kafka_settings, topics.predictions)
    shadow = read_predictions(kafka_settings, topics.predictions_shadow)
    expected = {f"e-{i}" for i in range(N)}
    assert served_counts(served) == dict.fromkeys(expected, 1)
    assert {p["variant"] for p in served} == {"CHAMPION", "CANARY"}
    assert {(p["model_version"], p["variant"]) for p in served} == {
        ("1", "CHAMPION"),
        ("c1", "CANARY"),
    }
    # Sticky by entity: the variant is a function of the card's hash bucket alone.
    assert all((p["variant"] == "CANARY") == (entity_bucket(p["entity"]) < 0.2) for p in served)
    assert served_counts(shadow) == dict.fromkeys(expected, 1)
    assert {(p["model_version"], p["variant"]) for p in shadow} == {("s1", "SHADOW")}
    assert all(p["features_missing"] for p in served)  # the source holds nothing
    assert all(len(p["features"]) == 12 for p in served)

    dlq = topics.dead_letter_of(topics.events)
    letters = [
        DeadLetter.from_wire(r.key, r.raw, r.headers)
        for r in TopicReader(kafka_settings, dlq, None)
    ]
    assert sorted(letter.value or b"" for letter in letters) == sorted(garbage)
    assert {letter.stage for letter in letters} == {"inference"}


def test_feature_source_outage_pauses_and_resumes_without_loss(
    kafka_settings: KafkaSettings, topics: TopicCatalogue, group_id: str
) -> None:
    source = feature_source()
    source.put("c-7", [4.0, 40.0], updated_at_ms=1_700_000_000_000)
    source.available = False
    service = start_runner(kafka_settings, topics, settings_for(group_id), default_models(), source)
    produce_events(kafka_settings, topics, range(300))
    wait_for(lambda: source.calls >= 5, what="retries against the feature source")
    assert service.runner.scored_events == 0  # nothing scored on missing data
    source.available = True
    wait_for(lambda: service.runner.scored_events >= 300, what="all events after recovery")
    service.close()

    served = read_predictions(kafka_settings, topics.predictions)
    assert served_counts(served) == {f"e-{i}": 1 for i in range(300)}
    known = [p for p in served if p["entity"] == "c-7"]
    assert known and all(not p["features_missing"] for p in known)
    assert all(p["features"][-2:] == [4.0, 40.0] for p in known)
