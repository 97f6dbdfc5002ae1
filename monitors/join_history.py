"""After a restart, the label joiner's pending state is rebuilt from the log it came from.

The monitor commits its offsets once a batch is handled, so predictions still waiting for
their labels (and labels waiting for their predictions) live only in memory. A restart used
to forget them: their later counterparts never joined, and quality ran on fewer labels.
Here the records just before the group's committed offsets are read back and replayed into
a fresh joiner in arrival order; the pairs that replay completes were already emitted before
the restart and are dropped, and the joiner's counters start from zero again.

Reads are by assignment (no group join) and stop at the committed offsets, detected from
the messages' own offsets, so the broker's ListOffsets answer is never relied on.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from confluent_kafka import KafkaError, TopicPartition

from monitors.exceptions import InvalidRecordError
from monitors.label_joiner import LabelJoiner
from schemas import AvroCodec, DecodeError
from streams.kafka.clients import make_consumer
from streams.settings import KafkaSettings

log = logging.getLogger(__name__)

PREDICTION, LABEL = "prediction", "label"


@dataclass(frozen=True)
class Replayed:
    """One record read back: its kind (prediction or label), arrival time and value."""

    kind: str
    timestamp_ms: int
    record: Mapping[str, Any]


@dataclass(frozen=True)
class RebuildResult:
    """What a rebuild replayed and what it left waiting."""

    replayed: int
    predictions_waiting: int
    labels_waiting: int
    seconds: float


def replay(joiner: LabelJoiner, records: Iterable[Replayed]) -> None:
    """Feed ``records`` (sorted by arrival) to ``joiner``, drop the pairs they complete and
    reset its counters: what is left is the state the joiner had when they were committed."""
    for item in sorted(records, key=lambda r: r.timestamp_ms):
        try:
            if item.kind == PREDICTION:
                joiner.add_prediction(item.record)
            else:
                joiner.add_label(item.record)
        except InvalidRecordError:
            continue  # dead-lettered the first time round
    joiner.reset_counts()


def committed_offsets(kafka: KafkaSettings, group_id: str, topic: str) -> dict[int, int]:
    """The group's committed offset of each partition of ``topic`` (partitions without one
    are left out)."""
    consumer = make_consumer(kafka, group_id)
    try:
        info = consumer.list_topics(topic, timeout=10).topics.get(topic)
        if info is None or info.error is not None:
            return {}
        asked = [TopicPartition(topic, p) for p in sorted(info.partitions)]
        return {
            tp.partition: tp.offset for tp in consumer.committed(asked, timeout=10) if tp.offset > 0
        }
    finally:
        consumer.close()


def read_before(
    kafka: KafkaSettings,
    topic: str,
    codec: AvroCodec,
    ends: Mapping[int, int],
    per_partition: int,
    deadline: float,
) -> list[tuple[int, dict[str, Any]]]:
    """Decoded records at offsets ``[end - per_partition, end)`` of each partition, with
    their timestamps; undecodable ones are skipped (they were dead-lettered already)."""
    wanted = {p: end for p, end in ends.items() if end > 0}
    if not wanted or per_partition <= 0:
        return []
    consumer = make_consumer(
        kafka, f"eventml-rebuild-{uuid.uuid4().hex[:8]}", **{"enable.partition.eof": True}
    )
    out: list[tuple[int, dict[str, Any]]] = []
    try:
        consumer.assign(
            [TopicPartition(topic, p, max(0, end - per_partition)) for p, end in wanted.items()]
        )
        while wanted and time.monotonic() < deadline:
            for msg in consumer.consume(1000, 0.2):
                partition, offset = msg.partition() or 0, msg.offset() or 0
                error = msg.error()
                if error is not None:
                    if error.code() == KafkaError._PARTITION_EOF:
                        wanted.pop(partition, None)
                    continue
                end = wanted.get(partition)
                if end is None:
                    continue
                if offset < end:
                    with contextlib.suppress(DecodeError):  # dead-lettered already
                        out.append((msg.timestamp()[1], codec.decode(msg.value() or b"")))
                if offset >= end - 1:
                    wanted.pop(partition)
        if wanted:
            log.warning("join state rebuild of %s stopped at its deadline", topic)
    finally:
        consumer.close()
    return out


def rebuild_joiner(
    kafka: KafkaSettings,
    group_id: str,
    sources: Mapping[str, tuple[str, AvroCodec]],
    joiner: LabelJoiner,
    per_partition: int,
    timeout_s: float = 60.0,
) -> RebuildResult:
    """Replay what ``group_id`` committed last on each source topic into ``joiner``.

    Args:
        kafka: Resolved connection settings.
        group_id: The monitor's consumer group.
        sources: Topic -> (``prediction`` or ``label``, its codec).
        joiner: A fresh joiner.
        per_partition: How many records before each committed offset to read back.
        timeout_s: Upper bound on the whole rebuild.
    """
    started = time.monotonic()
    deadline = started + timeout_s
    records: list[Replayed] = []
    for topic, (kind, codec) in sources.items():
        ends = committed_offsets(kafka, group_id, topic)
        for stamp, record in read_before(kafka, topic, codec, ends, per_partition, deadline):
            records.append(Replayed(kind, stamp, record))
    replay(joiner, records)
    waiting = joiner.waiting()
    return RebuildResult(len(records), waiting[0], waiting[1], time.monotonic() - started)


__all__ = [
    "LABEL",
    "PREDICTION",
    "RebuildResult",
    "Replayed",
    "rebuild_joiner",
    "replay",
]
