"""Reading the training window from the event log: events and labels, with lineage offsets."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from streams.kafka.topics import TopicCatalogue
from streams.producer import codec_for
from streams.reader import TopicReader
from streams.settings import KafkaSettings

Record = dict[str, Any]


@dataclass
class EventLogWindow:
    """Events (time-ordered) and labels read from the topics, and the offsets read."""

    events: list[Record] = field(default_factory=list)
    labels: list[Record] = field(default_factory=list)
    offsets: dict[int, tuple[int, int]] = field(default_factory=dict)
    undecodable: int = 0


def read_window(
    kafka: KafkaSettings, topics: TopicCatalogue, start_ms: int | None, end_ms: int | None
) -> EventLogWindow:
    """Read every event with ``start_ms <= event_time < end_ms`` and every label.

    Undecodable records are counted, not used (the consumers' dead-letter path owns them).
    """
    window = EventLogWindow()
    codec = codec_for(kafka, topics.events, "transaction")
    for item in TopicReader(kafka, topics.events, codec):
        if item.value is None:
            window.undecodable += 1
            continue
        t = item.value["event_time"]
        if (start_ms is not None and t < start_ms) or (end_ms is not None and t >= end_ms):
            continue
        window.events.append(item.value)
        first, last = window.offsets.get(item.partition, (item.offset, item.offset))
        window.offsets[item.partition] = (min(first, item.offset), max(last, item.offset))
    window.events.sort(key=lambda e: (e["event_time"], e["event_id"]))
    label_codec = codec_for(kafka, topics.labels, "label")
    for item in TopicReader(kafka, topics.labels, label_codec):
        if item.value is None:
            window.undecodable += 1
        else:
            window.labels.append(item.value)
    return window
