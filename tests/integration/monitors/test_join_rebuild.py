"""After a restart the monitor's label join is rebuilt from the records its group committed:
labels arriving later still find the predictions the previous process had read."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from confluent_kafka import TopicPartition

from monitors.join_history import LABEL, PREDICTION, rebuild_joiner
from monitors.label_joiner import LabelJoiner
from streams.kafka.clients import make_consumer
from streams.kafka.topics import TopicCatalogue
from streams.producer import RecordProducer, codec_for
from streams.reader import TopicReader
from streams.settings import KafkaSettings
from tests.contract.samples import SAMPLES

pytestmark = pytest.mark.integration

T0 = 1_760_000_000_000


def _prediction(i: int) -> dict[str, Any]:
    return {
        **SAMPLES["prediction"],
        "event_id": f"e{i}",
        "entity": f"c{i % 37}",
        "event_time": T0 + i,
        "variant": "CHAMPION",
    }


def _label(i: int) -> dict[str, Any]:
    return {
        **SAMPLES["label"],
        "event_id": f"e{i}",
        "card_id": f"c{i % 37}",
        "label_time": T0 + 60_000 + i,
    }


def _commit_everything(kafka: KafkaSettings, group: str, topic: str) -> None:
    """Commit the end of every partition, as a monitor that handled it all would have (the
    ends read from the records: this broker's ListOffsets answer is not right)."""
    ends: dict[int, int] = {}
    for record in TopicReader(kafka, topic, None):
        ends[record.partition] = max(ends.get(record.partition, 0), record.offset + 1)
    consumer = make_consumer(kafka, group)
    try:
        offsets = [TopicPartition(topic, p, end) for p, end in ends.items()]
        consumer.commit(offsets=offsets, asynchronous=False)
    finally:
        consumer.close()


def test_rebuilt_join_matches_labels_to_predictions_read_before_the_restart(
    kafka_settings: KafkaSettings, topics: TopicCatalogue
) -> None:
    group = f"monitor-{uuid.uuid4().hex[:8]}"
    predictions = RecordProducer(kafka_settings, topics.predictions, "prediction", "entity")
    labels = RecordProducer(kafka_settings, topics.labels, "label", "event_id")
    for i in range(600):
        predictions.send(_prediction(i))
    for i in range(0, 600, 2):  # even events labelled before the restart
        labels.send(_label(i))
    predictions.flush()
    labels.flush()
    for topic in (topics.predictions, topics.labels):
        _commit_everything(kafka_settings, group, topic)
    # Records after the committed offsets are the new process's to consume, not replay.
    predictions.send(_prediction(9_999))
    predictions.flush()

    sources = {
        topics.predictions: (
            PREDICTION,
            codec_for(kafka_settings, topics.predictions, "prediction"),
        ),
        topics.predictions_shadow: (
            PREDICTION,
            codec_for(kafka_settings, topics.predictions_shadow, "prediction"),
        ),
        topics.labels: (LABEL, codec_for(kafka_settings, topics.labels, "label")),
    }
    joiner = LabelJoiner(ttl_ms=10**13, max_entries=10**6)
    result = rebuild_joiner(kafka_settings, group, sources, joiner, per_partition=10_000)

    assert result.replayed == 600 + 300
    assert result.predictions_waiting == 300  # the odd events still wait for their labels
    assert result.labels_waiting == 0
    assert joiner.counts.joined == 0
    assert len(joiner.add_label(_label(1))) == 1  # joins across the restart
    assert joiner.add_label(_label(2)) == []  # already labelled before: a duplicate
    assert joiner.counts.duplicate_labels == 1


def test_a_group_that_never_committed_rebuilds_nothing(
    kafka_settings: KafkaSettings, topics: TopicCatalogue
) -> None:
    producer = RecordProducer(kafka_settings, topics.predictions, "prediction", "entity")
    producer.send(_prediction(1))
    producer.flush()
    joiner = LabelJoiner(ttl_ms=10**13, max_entries=100)
    sources = {topics.predictions: (PREDICTION, producer.codec)}
    result = rebuild_joiner(kafka_settings, "never-ran", sources, joiner, per_partition=100)
    assert (result.replayed, joiner.waiting()) == (0, (0, 0))
