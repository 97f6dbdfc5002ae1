"""10,000 fuzzed records at the events topic: no crash, every bad record dead-lettered with its
reason, every good record scored exactly once."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from schemas import AvroCodec, default_catalog
from streams.kafka.dead_letter import DeadLetter
from streams.kafka.topics import TopicCatalogue
from streams.producer import RecordProducer
from streams.proof.fuzz import fuzzed
from streams.reader import TopicReader
from streams.settings import KafkaSettings
from tests.integration.inference.harness import (
    default_models,
    read_predictions,
    served_counts,
    settings_for,
    start_runner,
    wait_for,
)
from tests.unit.inference.onnx_models import event

pytestmark = pytest.mark.integration

FUZZED = 10_000
GOOD = 1_000


def test_fuzzed_events_are_dead_lettered_and_good_ones_scored(
    kafka_settings: KafkaSettings, topics: TopicCatalogue, group_id: str
) -> None:
    rng = random.Random(11)
    codec = AvroCodec(default_catalog(), "transaction")
    producer = RecordProducer(kafka_settings, topics.events, "transaction", "card_id")
    expected: Counter[str] = Counter()
    for i in range(FUZZED):
        value, reason = fuzzed(rng, codec, "transaction", event(100_000 + i))
        producer.send_raw(value, f"k{i}".encode())
        expected[reason] += 1
        if i % 10 == 0:
            producer.send(event(i // 10))
    producer.flush()

    service = start_runner(kafka_settings, topics, settings_for(group_id), default_models())
    wait_for(
        lambda: service.runner.scored_events + service.runner.dead_lettered >= FUZZED + GOOD,
        timeout_s=120,
        what="everything consumed",
    )
    service.close()

    assert service.runner.scored_events == GOOD
    assert served_counts(read_predictions(kafka_settings, topics.predictions)) == Counter(
        {f"e-{i}": 1 for i in range(GOOD)}
    )
    letters = [
        DeadLetter.from_wire(r.key, r.raw, r.headers)
        for r in TopicReader(kafka_settings, TopicCatalogue.dead_letter_of(topics.events), None)
    ]
    assert len(letters) == FUZZED
    got = Counter(letter.reason for letter in letters)
    random_bytes = expected.pop("?")
    for reason, count in expected.items():
        # Random bytes land in undecodable or unknown_fingerprint depending on their start.
        assert got[reason] >= count, (reason, got)
    assert sum(got.values()) == sum(expected.values()) + random_bytes
