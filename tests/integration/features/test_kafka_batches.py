"""The Bytewax source of whole polls, against the real broker: every record once, in offset
order, resumed exactly from its snapshot; consumer errors never become items."""

from __future__ import annotations

import time

import pytest
from confluent_kafka import KafkaError

from streams.features.engines.kafka_batches import (
    PartitionBatches,
    SourceError,
    part_name,
    split_polled,
)
from streams.kafka.clients import make_producer
from streams.kafka.topics import TopicCatalogue
from streams.settings import KafkaSettings

pytestmark = pytest.mark.integration


def _fill(kafka: KafkaSettings, topic: str, partition: int, n: int) -> None:
    producer = make_producer(kafka)
    for i in range(n):
        producer.produce(topic, value=f"v{i}".encode(), partition=partition)
    assert producer.flush(30) == 0


def _read(reader: object, want: int, deadline_s: float = 30.0) -> list[bytes]:
    """Values polled until ``want`` arrived; every poll is one item of at most 7 records."""
    values: list[bytes] = []
    end = time.monotonic() + deadline_s
    while len(values) < want and time.monotonic() < end:
        items = reader.next_batch()  # type: ignore[attr-defined]
        assert len(items) <= 1
        for batch in items:
            assert 1 <= len(batch) <= 7
            values.extend(m.value() for m in batch)
    return values


def _source(kafka: KafkaSettings, topic: str, errors: list[KafkaError]) -> PartitionBatches:
    return PartitionBatches(
        [str(kafka.bootstrap_servers)],
        topic,
        {"fetch.wait.max.ms": "20"},
        batch_size=7,
        on_error=errors.append,
    )


def test_reads_each_record_once_and_resumes_from_its_snapshot(
    kafka_settings: KafkaSettings, topics: TopicCatalogue
) -> None:
    topic = topics.events
    _fill(kafka_settings, topic, 2, 30)
    errors: list[KafkaError] = []
    source = _source(kafka_settings, topic, errors)
    assert source.list_parts() == [part_name(topic, p) for p in range(4)]

    reader = source.build_part("events", part_name(topic, 2), None)
    first = _read(reader, 20)
    assert len(first) >= 20
    assert first == [f"v{i}".encode() for i in range(len(first))]
    resume = reader.snapshot()
    assert resume == len(first)
    reader.close()

    _fill(kafka_settings, topic, 2, 5)
    resumed = source.build_part("events", part_name(topic, 2), resume)
    rest = _read(resumed, 35 - resume)
    resumed.close()
    assert first + rest == [f"v{i}".encode() for i in range(30)] + [
        f"v{i}".encode() for i in range(5)
    ]
    assert resumed.snapshot() == 35
    assert errors == []


def test_an_empty_partition_yields_no_items_and_keeps_its_position(
    kafka_settings: KafkaSettings, topics: TopicCatalogue
) -> None:
    errors: list[KafkaError] = []
    reader = _source(kafka_settings, topics.events, errors).build_part(
        "events", part_name(topics.events, 0), 12
    )
    try:
        assert all(reader.next_batch() == [] for _ in range(20))
        assert reader.snapshot() == 12
    finally:
        reader.close()


def test_state_of_another_topic_is_refused(
    kafka_settings: KafkaSettings, topics: TopicCatalogue
) -> None:
    source = _source(kafka_settings, topics.events, [])
    with pytest.raises(SourceError, match="not"):
        source.build_part("events", part_name("other-topic", 0), 3)


class _Polled:
    def __init__(self, error: KafkaError | None) -> None:
        self._error = error

    def error(self) -> KafkaError | None:
        return self._error


def test_split_keeps_records_and_errors_apart_and_drops_end_of_partition() -> None:
    record = _Polled(None)
    transport = KafkaError(KafkaError._TRANSPORT)
    polled = [record, _Polled(KafkaError(KafkaError._PARTITION_EOF)), _Polled(transport)]
    records, errors = split_polled(polled)
    assert records == [record]
    assert [e.code() for e in errors] == [KafkaError._TRANSPORT]
