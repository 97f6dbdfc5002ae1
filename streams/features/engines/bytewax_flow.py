"""The Bytewax executor of the feature core (the default engine).

Flow: Kafka events (assigned partitions, offsets kept in Bytewax's recovery store) →
decode a batch and group it by ``<view>:<bucket of entity>`` (bad records → dead letters) →
``stateful_batch`` running one :class:`FeatureAggregator` per key bucket → a sink that writes
each view's rows to Redis in one call and late events to their topic. Recovery snapshots hold
the aggregators' plain-data snapshots (re-encoded only for entities changed since the last
epoch); replays after a restart are skipped by the core's per-offset check.

Items between steps are whole polls and whole groups of events, not single events: Bytewax
costs a few Python calls per item and step, which per event would be most of the budget
(:mod:`streams.features.engines.kafka_batches` is the source that emits whole polls).

Bytewax itself pickles the snapshot objects into its recovery database; what it pickles is
plain data produced here, and that database is local to the aggregator.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, cast

import bytewax.operators as op
from bytewax.dataflow import Dataflow, Stream
from bytewax.operators import StatefulBatchLogic
from bytewax.outputs import DynamicSink, StatelessSinkPartition
from confluent_kafka import TIMESTAMP_NOT_AVAILABLE

from schemas import AvroCodec, DecodeError
from streams.features.aggregator import (
    AggregationResult,
    FeatureAggregator,
    SourceEvent,
    merged,
)
from streams.features.definitions import FeatureView
from streams.features.engines.batch_decoder import BatchDecoder
from streams.features.engines.kafka_batches import Batch, ErrorHook, PartitionBatches
from streams.features.engines.settings import AggregatorSettings
from streams.features.engines.writer import STAGE, FeatureWriter
from streams.kafka.dead_letter import DeadLetter, DeadLetterPublisher
from streams.kafka.message import KafkaMessage


@dataclass
class EventGroup:
    """One view's events of one key bucket from one source batch, in source order.

    Attributes:
        view: The view's name.
        events: The decoded events.
        arrivals: When each entered Kafka (epoch ms), for the freshness metric.
    """

    view: str
    events: list[SourceEvent] = field(default_factory=list)
    arrivals: list[int] = field(default_factory=list)


# One item between steps: ("dlq", DeadLetter) or (bucket key, EventGroup).
Routed = tuple[str, Any]
Delivery = tuple[str, AggregationResult, list[int]]


def bucket_key(view: FeatureView, entity_id: str, buckets: int) -> str:
    """Stable key-bucket of an entity (crc32: the same in every process and run)."""
    return f"{view.name}:{zlib.crc32(entity_id.encode()) % buckets}"


def route(
    batches: Sequence[Batch], decoder: BatchDecoder, views: Sequence[FeatureView], buckets: int
) -> list[Routed]:
    """Decode the polls of one activation and group them per view and key bucket; bad records
    go to the DLQ."""
    messages = cast(list[KafkaMessage], [m for batch in batches for m in batch])
    out: list[Routed] = []
    groups: dict[str, EventGroup] = {}
    for msg, record in zip(messages, decoder.decode([m.value() for m in messages]), strict=True):
        if isinstance(record, DecodeError):
            out.append(("dlq", DeadLetter.of(msg, record, record.reason, STAGE)))
            continue
        topic, partition, offset = msg.topic() or "", msg.partition() or 0, msg.offset() or 0
        stamp_type, arrival = msg.timestamp()
        if stamp_type == TIMESTAMP_NOT_AVAILABLE:
            arrival = 0
        # Views reading time from the same field share one event object.
        made: dict[str, SourceEvent] = {}
        for view in views:
            event = made.get(view.event_time_field)
            if event is None:
                event = made[view.event_time_field] = SourceEvent.of(
                    view, record, topic=topic, partition=partition, offset=offset
                )
            key = bucket_key(view, str(record.get(view.key_field) or ""), buckets)
            group = groups.get(key)
            if group is None:
                group = groups[key] = EventGroup(view.name)
            group.events.append(event)
            group.arrivals.append(arrival)
    out.extend(groups.items())
    return out


class AggregateLogic(StatefulBatchLogic[Any, Delivery, dict[str, Any]]):
    """One key bucket's aggregator; snapshots are the core's plain-data snapshots."""

    def __init__(self, view: FeatureView, lateness_ms: int, resume: dict[str, Any] | None):
        self.view = view
        self.aggregator = (
            FeatureAggregator(view, allowed_lateness_ms=lateness_ms)
            if resume is None
            else FeatureAggregator.restore(view, resume, allowed_lateness_ms=lateness_ms)
        )

    def on_batch(self, values: list[EventGroup]) -> tuple[Iterable[Delivery], bool]:
        result = self.aggregator.apply(event for group in values for event in group.events)
        arrivals = [arrival for group in values for arrival in group.arrivals]
        return [(self.view.name, result, arrivals)], StatefulBatchLogic.RETAIN

    def snapshot(self) -> dict[str, Any]:
        return self.aggregator.snapshot()


class _WriterPartition(StatelessSinkPartition[Any]):
    def __init__(self, deliver: Callable[[list[Any]], None]) -> None:
        self._deliver = deliver

    def write_batch(self, items: list[Any]) -> None:
        self._deliver(items)


class FeatureSink(DynamicSink[Any]):
    """Hands aggregation results to a :class:`FeatureWriter` built once per worker."""

    def __init__(
        self, make_writer: Callable[[], FeatureWriter], views: Sequence[FeatureView]
    ) -> None:
        self._make_writer = make_writer
        self._views = {v.name: v for v in views}

    def build(self, step_id: str, worker_index: int, worker_count: int) -> _WriterPartition:
        writer = self._make_writer()

        def deliver(items: list[Any]) -> None:
            # One store write per view and activation, whatever the number of key buckets.
            per_view: dict[str, tuple[list[AggregationResult], list[int]]] = {}
            for _key, (view_name, result, arrivals) in items:
                results, times = per_view.setdefault(view_name, ([], []))
                results.append(result)
                times.extend(arrivals)
            for view_name, (results, times) in per_view.items():
                writer.deliver(self._views[view_name], merged(results), times)
            writer.flush()

        return _WriterPartition(deliver)


class DeadLetterSink(DynamicSink[Any]):
    """Publishes dead letters (and waits for the broker's acknowledgement per batch)."""

    def __init__(self, make_publisher: Callable[[], tuple[DeadLetterPublisher, Any]]) -> None:
        self._make_publisher = make_publisher

    def build(self, step_id: str, worker_index: int, worker_count: int) -> _WriterPartition:
        publisher, producer = self._make_publisher()

        def deliver(items: list[Any]) -> None:
            for _key, letter in items:
                publisher.publish(letter)
            producer.flush(30)

        return _WriterPartition(deliver)


def build_flow(
    *,
    brokers: list[str],
    events_topic: str,
    consumer_config: dict[str, str],
    codec: AvroCodec,
    views: Sequence[FeatureView],
    settings: AggregatorSettings,
    make_writer: Callable[[], FeatureWriter],
    make_publisher: Callable[[], tuple[DeadLetterPublisher, Any]],
    on_source_error: ErrorHook,
) -> Dataflow:
    """The aggregator dataflow (run it with ``bytewax.run.cli_main``)."""
    flow = Dataflow("eventml_features")
    source = op.input(
        "events",
        flow,
        PartitionBatches(
            brokers, events_topic, consumer_config, settings.batch_size, on_source_error
        ),
    )
    decoder = BatchDecoder(codec)
    routed: Stream[Routed] = op.flat_map_batch(
        "decode", source, lambda batches: route(batches, decoder, views, settings.key_buckets)
    )
    split = op.branch("split", routed, lambda item: item[0] != "dlq")
    op.output("dead_letters", split.falses, DeadLetterSink(make_publisher))
    results = [_aggregate(split.trues, view, settings.allowed_lateness_ms) for view in views]
    merged = op.merge("results", *results)
    op.output("online_store", merged, FeatureSink(make_writer, views))
    return flow


def _aggregate(payloads: Stream[Any], view: FeatureView, lateness_ms: int) -> Stream[Any]:
    """One view's share of the stream through its own stateful step (the builder gets only
    the resume state, so each view needs a step of its own)."""
    mine = op.filter(f"only_{view.name}", payloads, lambda kv: kv[1].view == view.name)
    return op.stateful_batch(
        f"aggregate_{view.name}",
        mine,
        lambda resume: AggregateLogic(view, lateness_ms, resume),
    )


def epoch_interval(settings: AggregatorSettings) -> timedelta:
    """How often Bytewax closes an epoch (and snapshots state when recovery is on)."""
    return timedelta(seconds=settings.snapshot_interval_s)
