"""The Faust executor of the feature core (``eventml run aggregator --engine faust``).

Topology (every topic has ``topics.partitions`` partitions, so Faust co-partitions them):

* ``card`` agent on the events topic (keyed by card): decodes each batch (undecodable →
  dead letters), folds it into the card view's :class:`PartitionedState` (table
  ``features-card``, changelog partition = source partition), and forwards each event's
  original bytes, keyed by merchant, to ``<app_id>-<events>-merchant_id-repartition`` with
  its source partition and offset in headers.
* ``merchant`` agent on that repartition topic: folds events into the merchant view's state
  (table ``features-merchant``, changelog partition = repartition partition). Events keep
  their *source* identity (events topic, partition, offset), so an event forwarded twice
  (the card agent replayed after a crash) is skipped by the merchant entity's offsets.

Both deliver rows, late events and rejected events through :class:`FeatureWriter`.
Commits are Faust's at-least-once: a batch is acked after its rows are in Redis and its dead
letters acknowledged; Faust flushes table changelogs and forwarded events before committing
offsets. Replays after a crash or a rebalance are skipped by the per-entity offsets.
Faust can also skip (and acknowledge) fetched messages around its start-up recovery, so each
view's state records the offset after the last message applied per partition; an agent that
sees a gap re-reads from it (:meth:`FeatureAgents._in_order`).

Security: PLAINTEXT, SSL and SASL (PLAIN, SCRAM-SHA-256/512, with or without SSL) are
translated to Faust credentials. GSSAPI/OAUTHBEARER and ``client_overrides`` (librdkafka
properties) are not: the first fails fast, the second is logged and ignored.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import ssl
import tempfile
import zlib
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import faust

from schemas import AvroCodec, DecodeError
from streams.exceptions import ConfigurationError
from streams.features.aggregator import AggregationResult, SourceEvent, merged
from streams.features.catalog import CARD, MERCHANT
from streams.features.definitions import FeatureView
from streams.features.engines.batch_decoder import BatchDecoder
from streams.features.engines.event_bundle import (
    BUNDLE_HEADER,
    BundledEvent,
    pack_bundle,
    unpack_bundle,
)
from streams.features.engines.faust_state import PartitionedState, contiguous_prefix
from streams.features.engines.settings import AggregatorSettings
from streams.features.engines.writer import STAGE, FeatureWriter
from streams.features.exceptions import BundleFormatError
from streams.features.metrics import FeatureMetrics
from streams.features.online_store import RedisOnlineStore
from streams.kafka.clients import make_producer
from streams.kafka.dead_letter import DeadLetter, DeadLetterPublisher
from streams.kafka.message import RawRecord
from streams.kafka.topics import DAY_MS, TopicCatalogue, TopicSpec
from streams.producer import codec_for
from streams.redis_client import make_redis
from streams.settings import KafkaSettings, RedisSettings

log = logging.getLogger(__name__)
SASL_MECHANISMS = frozenset({"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"})
H_PARTITION = "eventml.src.partition"
H_OFFSET = "eventml.src.offset"


def table_name(view: FeatureView) -> str:
    """Name of the Faust table of a view."""
    return f"features-{view.name}"


def repartition_topic(settings: AggregatorSettings, topics: TopicCatalogue) -> str:
    """The merchant-keyed copy of the events topic (Faust's ``group_by`` naming)."""
    return f"{settings.app_id}-{topics.events}-{MERCHANT.key_field}-repartition"


def internal_topics(settings: AggregatorSettings, topics: TopicCatalogue) -> list[TopicSpec]:
    """Changelogs and the repartition topic, with the source's partitions and explicit
    retention (brokers such as tansu auto-create with 4 partitions and no configs)."""
    n, week = topics.partitions, 7 * DAY_MS
    specs = [
        TopicSpec(
            repartition_topic(settings, topics),
            n,
            week,
            "delete",
            "events keyed by merchant",
            "transaction",
        )
    ]
    for view in (CARD, MERCHANT):
        specs.append(
            TopicSpec(
                f"{settings.app_id}-{table_name(view)}-changelog",
                n,
                view.ttl_seconds * 1000 + week,
                "compact",
                f"{view.name} entity states",
                None,
            )
        )
    return specs


def broker_credentials(kafka: KafkaSettings) -> Any:
    """Faust credentials for the configured security protocol (``None`` for PLAINTEXT).

    Raises:
        ConfigurationError: A SASL mechanism Faust is not set up for here.
    """
    if kafka.client_overrides:
        log.warning("faust engine ignores client_overrides %s", sorted(kafka.client_overrides))
    protocol = kafka.security_protocol
    if protocol == "PLAINTEXT":
        return None
    context = _ssl_context(kafka) if protocol in ("SSL", "SASL_SSL") else None
    if protocol == "SSL":
        return faust.SSLCredentials(context)
    mechanism = (kafka.sasl_mechanism or "PLAIN").upper()
    if mechanism not in SASL_MECHANISMS:
        raise ConfigurationError(f"faust engine does not support SASL mechanism {mechanism}")
    password = kafka.sasl_password.get_secret_value() if kafka.sasl_password else None
    return faust.SASLCredentials(
        username=kafka.sasl_username, password=password, mechanism=mechanism, ssl_context=context
    )


def _ssl_context(kafka: KafkaSettings) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=kafka.ssl_ca_location)
    if kafka.ssl_certificate_location:
        key_password = kafka.ssl_key_password.get_secret_value() if kafka.ssl_key_password else None
        context.load_cert_chain(
            kafka.ssl_certificate_location, kafka.ssl_key_location, key_password
        )
    return context


def make_app(
    kafka: KafkaSettings, topics: TopicCatalogue, settings: AggregatorSettings, datadir: Path
) -> faust.App:
    """A bare Faust app with the settings that work on every supported broker."""
    servers = str(kafka.bootstrap_servers).split(",")
    return faust.App(
        settings.app_id,
        broker=[f"kafka://{server.strip()}" for server in servers],
        broker_credentials=broker_credentials(kafka),
        topic_partitions=topics.partitions,
        broker_session_timeout=6.0,
        broker_heartbeat_interval=0.5,
        datadir=str(datadir),
        web_enabled=False,
        processing_guarantee="at_least_once",
        store="memory://",
        autodiscover=False,
        consumer_auto_offset_reset="earliest",
    )


class FeatureAgents:
    """The batch handlers the two agents run, and what they deliver through.

    Args:
        app: The Faust app (its tables and topics are declared here).
        topics: Topic names.
        settings: Batch size, wait and lateness.
        codec: Decodes the events topic.
        writers: One :class:`FeatureWriter` per view name; each also publishes dead letters.
        metrics: Where to count offset gaps.
    """

    def __init__(
        self,
        app: faust.App,
        topics: TopicCatalogue,
        settings: AggregatorSettings,
        codec: AvroCodec,
        writers: dict[str, tuple[FeatureWriter, DeadLetterPublisher]],
        metrics: FeatureMetrics,
    ) -> None:
        self.app, self._topics, self._settings = app, topics, settings
        self._metrics = metrics
        # partition -> (its state, the offset it was sought back to), until re-read
        self._rereading: dict[Any, tuple[PartitionedState, int]] = {}
        self._decoder = BatchDecoder(codec)
        self._writers = writers
        self.events = app.topic(topics.events, key_serializer="raw", value_serializer="raw")
        self.merchants = app.topic(
            repartition_topic(settings, topics),
            key_serializer="raw",
            value_serializer="raw",
            partitions=topics.partitions,
        )
        self.card = self._state(CARD)
        self.merchant = self._state(MERCHANT)

    def _state(self, view: FeatureView) -> PartitionedState:
        table = self.app.Table(
            table_name(view),
            default=None,  # json keys and values
            partitions=self._topics.partitions,
        )
        return PartitionedState(
            view,
            self._settings.allowed_lateness_ms,
            table.data,
            table.send_changelog,
        )

    def forget(self) -> None:
        """Drop live state after a rebalance; the tables are reloaded on the next batch."""
        self._rereading.clear()
        self.card.forget()
        self.merchant.forget()

    async def batches(self, stream: Any) -> AsyncIterator[Sequence[Any]]:
        """The stream in batches of events, only of partitions this worker still owns
        (an event buffered before its partition was revoked is the new owner's to apply)."""
        within = self._settings.batch_wait_ms / 1000
        async for batch in stream.take_events(self._settings.batch_size, within=within):
            assigned = self.app.consumer.assignment()
            yield [event for event in batch if event.message.tp in assigned]

    async def on_events(self, batch: Sequence[Any]) -> None:
        """Card view: apply per source partition, forward bundles to the merchant topic."""
        parts: dict[int, list[SourceEvent]] = {}
        letters, arrivals = [], []
        bundles: dict[int, list[BundledEvent]] = {}
        messages, through = await self._in_order(batch, self.card)
        for msg, record in zip(
            messages, self._decoder.decode([m.value for m in messages]), strict=True
        ):
            if isinstance(record, DecodeError):
                letters.append(
                    DeadLetter.of(
                        _raw(msg, msg.partition, msg.offset), record, record.reason, STAGE
                    )
                )
                continue
            parts.setdefault(msg.partition, []).append(
                SourceEvent.of(
                    CARD, record, topic=msg.topic, partition=msg.partition, offset=msg.offset
                )
            )
            arrival = int(msg.timestamp * 1000)
            arrivals.append(arrival)
            merchant = record.get(MERCHANT.key_field)
            key = merchant.encode() if isinstance(merchant, str) else b""
            bundles.setdefault(zlib.crc32(key) % self._topics.partitions, []).append(
                BundledEvent(msg.partition, msg.offset, arrival, msg.value)
            )
        sent = [
            self.merchants.send_soon(
                key=str(partition).encode(),
                value=pack_bundle(events),
                partition=partition,
                headers=[(BUNDLE_HEADER, b"1")],
            )
            for partition, events in bundles.items()
        ]
        result = merged([self.card.apply(p, events) for p, events in parts.items()])
        for partition, next_offset in through.items():
            self.card.advance(partition, next_offset)
        await asyncio.to_thread(self._deliver, CARD, result, arrivals, letters)
        await _acknowledged([*sent, *self.card.send_changelog()])

    async def on_merchants(self, batch: Sequence[Any]) -> None:
        """Merchant view: apply per repartition partition, with the source identity."""
        parts: dict[int, list[SourceEvent]] = {}
        letters: list[DeadLetter] = []
        arrivals: list[int] = []
        messages, through = await self._in_order(batch, self.merchant)
        for msg in messages:
            bundle = self._unbundle(msg, letters)
            decoded = self._decoder.decode([bundled.value for bundled in bundle])
            for bundled, record in zip(bundle, decoded, strict=True):
                if isinstance(record, DecodeError):
                    raw = RawRecord(
                        self._topics.events, bundled.partition, bundled.offset, bundled.value
                    )
                    letters.append(DeadLetter.of(raw, record, record.reason, STAGE))
                    continue
                parts.setdefault(msg.partition, []).append(
                    SourceEvent.of(
                        MERCHANT,
                        record,
                        topic=self._topics.events,
                        partition=bundled.partition,
                        offset=bundled.offset,
                    )
                )
                arrivals.append(bundled.timestamp_ms)
        result = merged([self.merchant.apply(p, events) for p, events in parts.items()])
        for partition, next_offset in through.items():
            self.merchant.advance(partition, next_offset)
        await asyncio.to_thread(self._deliver, MERCHANT, result, arrivals, letters)
        await _acknowledged(self.merchant.send_changelog())

    async def _in_order(
        self, batch: Sequence[Any], state: PartitionedState
    ) -> tuple[list[Any], dict[int, int]]:
        """The batch's messages that continue each partition without a gap, and per
        partition the offset after the last of them. A partition with a gap (see
        :func:`contiguous_prefix`) is sought back to its first missing offset."""
        messages = [event.message for event in batch]
        offsets: dict[int, list[int]] = {}
        for msg in messages:
            offsets.setdefault(msg.partition, []).append(msg.offset)
        allowed: dict[int, int] = {}
        for partition, seen in offsets.items():
            allowed[partition], missing = contiguous_prefix(seen, state.resume_offset(partition))
            if missing is None:
                continue
            tp = next(m.tp for m in messages if m.partition == partition)
            if self._rereading.get(tp, (None, None))[1] != missing:
                self._rereading[tp] = (state, missing)
                log.warning(
                    "%s: offset %d was skipped before the %s agent saw it (next seen: %d); "
                    "re-reading from there",
                    tp,
                    missing,
                    state.view.name,
                    seen[allowed[partition]],
                )
                self._metrics.rereads.labels("faust", state.view.name).inc()
            # Again on every batch until the re-read arrives: Faust drops fetched messages
            # below the last offset it delivered, so a seek made while later messages were
            # still queued is undone by them.
            await _seek(self.app, tp, missing)
        kept: list[Any] = []
        through: dict[int, int] = {}
        for msg in messages:
            if allowed[msg.partition] > 0:
                allowed[msg.partition] -= 1
                kept.append(msg)
                through[msg.partition] = max(through.get(msg.partition, 0), msg.offset + 1)
        return kept, through

    async def reseek(self) -> None:
        """Seek again every partition whose re-read has not arrived (run on a timer: when a
        seek was undone by queued messages and the partition then went quiet, no batch
        would come to retry it)."""
        for tp, (state, missing) in list(self._rereading.items()):
            resume = state.resume_offset(tp.partition)
            if resume is not None and resume > missing:
                del self._rereading[tp]
            elif tp in self.app.consumer.assignment():
                await _seek(self.app, tp, missing)

    def _unbundle(self, msg: Any, letters: list[DeadLetter]) -> list[BundledEvent]:
        """The source events of one repartition message: a bundle, or one event forwarded
        by an older worker (source partition and offset in headers)."""
        headers = dict(msg.headers or ())
        if BUNDLE_HEADER not in headers:
            partition, offset = int(headers[H_PARTITION]), int(headers[H_OFFSET])
            return [BundledEvent(partition, offset, int(msg.timestamp * 1000), msg.value)]
        try:
            return unpack_bundle(msg.value or b"")
        except BundleFormatError as exc:
            letters.append(
                DeadLetter.of(_raw(msg, msg.partition, msg.offset), exc, exc.reason, STAGE)
            )
            return []

    def _deliver(
        self,
        view: FeatureView,
        result: AggregationResult,
        arrivals: list[int],
        letters: list[DeadLetter],
    ) -> None:
        writer, dead = self._writers[view.name]
        for letter in letters:
            dead.publish(letter)
        writer.deliver(view, result, arrivals)
        writer.flush()  # late events and dead letters acknowledged before the ack


async def _seek(app: Any, tp: Any, offset: int) -> None:
    """Seek on Faust's consumer thread. ``Consumer.seek`` runs aiokafka's seek in the caller's
    thread, which deletes the partition's prefetched records while the consumer thread may be
    iterating them in ``Fetcher.fetched_records``: a ``KeyError`` that crashed a restarted
    worker once in CI (robinhood/aiokafka issue 19). ``seek_wait`` runs it on that thread."""
    await app.consumer.seek_wait({tp: offset})


async def _acknowledged(sent: Sequence[object]) -> None:
    """Wait until the broker has every forwarded bundle and changelog entry of a batch.

    Faust flushes its producer before committing, but that flush gives up after 0.1 s
    without a send, so it can commit offsets whose forwards are still queued; a kill -9 then
    loses them for good. Awaiting them here means a batch is acknowledged (and its offsets
    become committable) only once what it produced is stored.
    """
    await asyncio.gather(*(f for f in sent if inspect.isawaitable(f)))


def _raw(msg: Any, partition: int, offset: int, topic: str | None = None) -> RawRecord:
    return RawRecord(
        topic or msg.topic,
        partition,
        offset,
        msg.value,
        msg.key,
        [(k, bytes(v)) for k, v in (msg.headers or ()) if k not in (H_PARTITION, H_OFFSET)],
        int(msg.timestamp * 1000),
    )


def build_app(
    kafka: KafkaSettings,
    topics: TopicCatalogue,
    settings: AggregatorSettings,
    redis_settings: RedisSettings,
    datadir: Path | None = None,
    metrics: FeatureMetrics | None = None,
) -> faust.App:
    """The aggregator's Faust app with its two agents, ready for a worker.

    Args:
        kafka: Resolved Kafka settings.
        topics: Topic catalogue (``partitions`` becomes ``topic_partitions``).
        settings: Aggregator settings.
        redis_settings: The online store (single server or cluster).
        datadir: Faust's data directory (``settings.recovery_dir`` or a temporary one).
        metrics: Where to count (a ``faust``-labelled default if ``None``).
    """
    home = datadir or settings.recovery_dir or Path(tempfile.mkdtemp(prefix="eventml-faust-"))
    app = make_app(kafka, topics, settings, home)
    codec = codec_for(kafka, topics.events, "transaction")
    counted = metrics or FeatureMetrics("faust")
    writers = {}
    for view in (CARD, MERCHANT):
        producer = make_producer(kafka)
        store = RedisOnlineStore(
            make_redis(redis_settings, large_values=True), prefix=settings.redis_prefix
        )
        writers[view.name] = (
            FeatureWriter(
                store, producer, topics.late_events, codec, counted, retry_s=settings.redis_retry_s
            ),
            DeadLetterPublisher(producer),
        )
    agents = FeatureAgents(app, topics, settings, codec, writers, counted)

    async def card(stream: Any) -> None:
        async for batch in agents.batches(stream):
            await agents.on_events(batch)

    async def merchant(stream: Any) -> None:
        async for batch in agents.batches(stream):
            await agents.on_merchants(batch)

    async def on_rebalance(*_: Any, **__: Any) -> None:
        agents.forget()

    app.agent(agents.events, name="features-card")(card)
    app.agent(agents.merchants, name="features-merchant")(merchant)
    app.timer(1.0)(agents.reseek)
    app.on_partitions_revoked.connect(on_rebalance)
    app.on_partitions_assigned.connect(on_rebalance)
    return app
