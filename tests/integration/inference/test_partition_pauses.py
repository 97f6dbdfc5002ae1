"""A partition paused when the group rebalances is fetched again once it is assigned back.

librdkafka keeps a partition's pause across the revocation and the new assignment, so a
consumer paused for backpressure at a rebalance would never read its partitions again
(measured on the embedded broker: nothing fetched in 8 s). :class:`PartitionPauses` resumes
partitions as they are revoked; this test runs it against the broker.
"""

from __future__ import annotations

import time

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from prometheus_client import CollectorRegistry

from inference.metrics import InferenceMetrics
from inference.pauses import PartitionPauses
from streams.kafka.clients import make_consumer
from streams.kafka.topics import TopicCatalogue
from streams.settings import KafkaSettings

pytestmark = pytest.mark.integration

PER_PARTITION = 50


def _fill(kafka: KafkaSettings, topic: str) -> None:
    producer = Producer(kafka.client_config())
    for i in range(4 * PER_PARTITION):
        producer.produce(topic, value=f"m-{i}".encode(), partition=i % 4)
    assert producer.flush(30) == 0


def _partitions(consumer: Consumer) -> set[int]:
    return {tp.partition for tp in consumer.assignment()}


def _poll_until(consumers: list[Consumer], done: object, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        for consumer in consumers:
            consumer.consume(100, 0.1)


def test_partitions_paused_at_a_rebalance_are_read_again_once_assigned_back(
    kafka_settings: KafkaSettings, topics: TopicCatalogue, group_id: str
) -> None:
    _fill(kafka_settings, topics.events)
    first = make_consumer(kafka_settings, group_id)
    pauses = PartitionPauses(lambda: first, InferenceMetrics(CollectorRegistry()))
    assigned: list[list[TopicPartition]] = []

    def on_revoke(_: Consumer, partitions: list[TopicPartition]) -> None:
        pauses.revoked([(tp.topic, tp.partition) for tp in partitions])

    def on_assign(_: Consumer, partitions: list[TopicPartition]) -> None:
        assigned.append(partitions)

    first.subscribe([topics.events], on_assign=on_assign, on_revoke=on_revoke)
    second = make_consumer(kafka_settings, group_id)
    try:
        _poll_until([first], lambda: bool(assigned) and bool(first.assignment()))
        pauses.apply(True)  # backpressure: every partition paused
        assert len(pauses.paused) == 4
        second.subscribe([topics.events])
        read: set[int] = set()  # partitions the first consumer read after the rebalance
        deadline = time.monotonic() + 60
        while not (len(assigned) >= 2 and read and read == _partitions(first)):
            assert time.monotonic() < deadline, (
                f"after the rebalance, {_partitions(first) - read} were never fetched again"
            )
            for message in first.consume(100, 0.1):
                if message.error() is None and len(assigned) >= 2:
                    read.add(message.partition() or 0)
            second.consume(100, 0.01)
        assert 0 < len(read) < 4
        assert pauses.paused == frozenset()  # resumed as they were revoked
    finally:
        first.close()
        second.close()
