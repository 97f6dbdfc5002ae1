"""Lag from fetch-response watermarks: right on the embedded broker as on Apache Kafka."""

from __future__ import annotations

import pytest
from confluent_kafka import TopicPartition

from streams.kafka.clients import make_consumer
from streams.kafka.topics import TopicCatalogue
from streams.producer import RecordProducer
from streams.settings import KafkaSettings
from streams.status import group_lag, topic_size
from tests.contract.samples import SAMPLES

pytestmark = pytest.mark.integration


def test_lag_and_sizes_count_every_record(
    kafka_settings: KafkaSettings, topics: TopicCatalogue, group_id: str
) -> None:
    producer = RecordProducer(kafka_settings, topics.events, "transaction", "card_id")
    for i in range(40):
        producer.send({**SAMPLES["transaction"], "event_id": f"e{i}", "card_id": f"c{i % 5}"})
    producer.flush()
    assert topic_size(kafka_settings, topics.events) == 40
    before = group_lag(kafka_settings, topics.events, group_id)
    assert [p.committed for p in before] == [None] * 4
    assert sum(p.lag for p in before) == 40

    consumer = make_consumer(kafka_settings, group_id)
    consumer.commit(
        offsets=[
            TopicPartition(topics.events, p.partition, 1) for p in before if p.high_watermark > 0
        ],
        asynchronous=False,
    )
    consumer.close()
    after = group_lag(kafka_settings, topics.events, group_id)
    committed = sum(1 for p in before if p.high_watermark > 0)
    assert sum(p.lag for p in after) == 40 - committed
    assert all(p.high_watermark == b.high_watermark for p, b in zip(after, before, strict=True))
