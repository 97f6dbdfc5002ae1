"""An outside client's bad records land in the dead-letter topic; the consumer keeps going."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from confluent_kafka import Producer

from schemas import default_catalog
from streams.kafka.clients import make_consumer, make_producer
from streams.kafka.consume_loop import ConsumeLoop, Decoded
from streams.kafka.dead_letter import DeadLetter
from streams.kafka.topics import TopicCatalogue
from streams.producer import codec_for
from streams.reader import TopicReader
from streams.settings import KafkaSettings
from tests.contract.samples import SAMPLES

pytestmark = pytest.mark.integration


def _event(i: int) -> dict[str, Any]:
    return {**SAMPLES["transaction"], "event_id": f"e-{i}", "card_id": f"c-{i % 7}"}


def _wait(predicate: Any, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_bad_records_are_dead_lettered_and_counted_exactly(
    kafka_settings: KafkaSettings, topics: TopicCatalogue, group_id: str
) -> None:
    codec = codec_for(kafka_settings, topics.events, "transaction")
    handled: list[str] = []

    def handler(records: Decoded) -> list[DeadLetter]:
        handled.extend(r["event_id"] for _, r in records)
        return []

    consumer = make_consumer(kafka_settings, group_id)
    consumer.subscribe([topics.events])
    loop = ConsumeLoop(consumer, make_producer(kafka_settings), codec, handler, "test-consumer")
    stop = threading.Event()
    worker = threading.Thread(target=loop.run, args=(stop.is_set,), daemon=True)
    worker.start()

    outside = Producer({"bootstrap.servers": kafka_settings.bootstrap_servers})
    bad = {
        "undecodable": [b"\x00\xff garbage", b"\x8e\x01\x02"],
        "unknown_fingerprint": [b"\xc3\x01" + bytes(range(8)) + b"\x02\x04"],
        "schema_violation": [
            json.dumps({**_event(0), "amount": "12,00"}).encode(),
            json.dumps({"event_id": "only"}).encode(),
        ],
    }
    for i in range(10):
        outside.produce(topics.events, codec.encode(_event(i)), key=f"c-{i % 7}")
    for values in bad.values():
        for value in values:
            outside.produce(topics.events, value, key=b"k", headers=[("origin", b"kcat")])
    outside.produce(topics.events, json.dumps(_event(10)).encode(), key=b"c-3")
    assert outside.flush(10) == 0

    _wait(lambda: len(handled) == 11 and loop.stats.dead_lettered == 5)
    # The consumer is still running: a record sent after the bad ones is handled too.
    outside.produce(topics.events, codec.encode(_event(11)), key=b"c-4")
    outside.flush(10)
    _wait(lambda: len(handled) == 12)
    assert worker.is_alive()
    stop.set()
    worker.join(10)
    consumer.close()

    assert sorted(handled) == sorted(f"e-{i}" for i in range(12))
    letters = [
        (r, DeadLetter.from_wire(r.key, r.raw, r.headers))
        for r in TopicReader(kafka_settings, topics.dead_letter_of(topics.events), None)
    ]
    by_reason: dict[str, list[bytes | None]] = {}
    for _, letter in letters:
        by_reason.setdefault(letter.reason, []).append(letter.value)
        assert letter.stage == "test-consumer"
        assert letter.source_topic == topics.events
        assert ("origin", b"kcat") in letter.headers
        assert letter.error_message
    assert {k: sorted(v) for k, v in by_reason.items()} == {  # type: ignore[type-var]
        k: sorted(v) for k, v in bad.items()
    }
    assert len(letters) == 5


def test_producer_rejects_invalid_records_before_sending(
    kafka_settings: KafkaSettings, topics: TopicCatalogue
) -> None:
    from schemas import InvalidValueError
    from streams.producer import RecordProducer

    producer = RecordProducer(kafka_settings, topics.events, "transaction", "card_id")
    with pytest.raises(InvalidValueError):
        producer.send({**_event(1), "amount": float("inf")})
    producer.send(_event(2))
    producer.flush()
    read = list(
        TopicReader(
            kafka_settings, topics.events, codec_for(kafka_settings, topics.events, "transaction")
        )
    )
    assert [r.value["event_id"] for r in read if r.value] == ["e-2"]
    assert default_catalog().latest("transaction").record == "transaction"
