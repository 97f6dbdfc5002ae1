"""``eventml run inference``: poll, batch, build features, score, produce, commit.

Commit strategy: acknowledge-then-commit. A batch's predictions and dead letters are produced
by an idempotent producer without waiting; once the broker acknowledged every record of a
batch, its offsets are committed in batch order (asynchronously; synchronously when
draining). A crash delivers again the predictions sent since the last confirmed commit: at
most ``max_batch_size`` messages of any partition. A partition's next batch is prepared and
scored meanwhile, and sent once that commit is confirmed (:mod:`inference.replay_window`).
At-least-once: consumers dedupe on ``(event_id, variant)``. With ``transactional_id`` set,
each batch's predictions and offsets commit in one Kafka transaction instead
(:mod:`inference.transactions`): exactly once for read_committed consumers on Apache Kafka;
the embedded broker delivers aborted records, so there a crash still replays that batch.

Preparing a batch is :mod:`inference.preparation`; scoring, sending and settling it
:mod:`inference.in_flight`; polling :mod:`inference.poll_plan`; model swaps
:mod:`inference.model_updates`. This module owns the loop, pausing and rebalances.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from confluent_kafka import Consumer, TopicPartition

from inference.batcher import MicroBatcher
from inference.commits import OffsetCommitter
from inference.features import FeatureBuilder, OnlineFeatureSource
from inference.in_flight import InFlightBatches
from inference.metrics import InferenceMetrics
from inference.model_loader import RouterLoader
from inference.model_provider import ModelProvider
from inference.model_updates import ModelUpdates
from inference.output import PredictionSink
from inference.pauses import PartitionPauses
from inference.poll_plan import plan_poll
from inference.preparation import BatchPreparer
from inference.replay_window import ReplayWindow, Spans
from inference.routing import Router
from inference.settings import InferenceSettings
from inference.stages import PreparedBatch, usable_messages
from inference.transactions import BatchTransactions
from schemas import TransactionDecoder
from streams.kafka.clients import make_consumer, make_producer
from streams.kafka.dead_letter import DeadLetterPublisher
from streams.kafka.topics import TopicCatalogue
from streams.producer import codec_for
from streams.settings import KafkaSettings

log = logging.getLogger(__name__)

LAG_REPORT_S = 1.0


class _Stopped(Exception):  # noqa: N818 - internal control flow, never escapes the runner
    """The runner was told to stop while waiting for the feature source."""


class InferenceRunner:
    """The inference service core. Call :meth:`run` from the process's main thread.

    Args:
        kafka: Resolved connection settings.
        topics: Topic names.
        settings: Batching, routing and scoring settings.
        models: Resolves the champion, canary and shadow aliases.
        features: Online features (Redis in production).
        metrics: Where to report.
    """

    def __init__(
        self,
        kafka: KafkaSettings,
        topics: TopicCatalogue,
        settings: InferenceSettings,
        models: ModelProvider,
        features: OnlineFeatureSource,
        metrics: InferenceMetrics,
    ) -> None:
        self._kafka, self._topics, self._settings, self._metrics = kafka, topics, settings, metrics
        builder = FeatureBuilder(features)
        self._loader = RouterLoader(models, settings, builder.names)
        self._preparer = BatchPreparer(
            TransactionDecoder(codec_for(kafka, topics.events, "transaction")),
            builder,
            metrics,
            settings.feature_retry_initial_s,
            settings.feature_retry_max_s,
        )
        self._batcher: MicroBatcher[tuple[Any, int]] = MicroBatcher(
            settings.max_batch_size, settings.max_wait_ms, key=_partition_of
        )
        self._models = ModelUpdates(self._loader, metrics)
        self._aborted = threading.Event()
        self._generation = 0
        self._holding = False  # every partition paused: backpressure or feature source down
        self._consumer: Consumer | None = None
        self._sink: PredictionSink | None = None
        self.router: Router | None = None
        self.replay = ReplayWindow(settings.max_batch_size)
        self._pauses = PartitionPauses(self._require_consumer, metrics)
        self._commits = OffsetCommitter(
            self._require_consumer,
            settings.max_batch_size,
            metrics,
            self.replay.committed,
            self.replay.filling,
        )
        self._transactions: BatchTransactions | None = None
        self._batches = InFlightBatches(
            self._require_sink,
            self._commits,
            self.replay,
            metrics,
            settings.flush_timeout_s,
            lambda: self._transactions,
        )

    def run(self, should_stop: Callable[[], bool]) -> int:
        """Serve until ``should_stop()``; drain in-flight batches; return events scored.

        Raises:
            ModelLoadError: The champion cannot be loaded at start.
            InfrastructureError: The broker did not acknowledge a batch in time.
        """
        s = self._settings
        self.router = self._loader.load()
        self._metrics.report_models(self.router)
        transactional = {"transactional.id": s.transactional_id} if s.transactional_id else {}
        producer = make_producer(self._kafka, **{"linger.ms": s.linger_ms, **transactional})
        sink = PredictionSink(producer, self._kafka, self._topics, self._metrics)
        # A transactional producer sends only inside transactions: the model-event watcher's
        # dead letters need a plain one.
        letters = make_producer(self._kafka) if transactional else None
        dead_letters = DeadLetterPublisher(letters) if letters else sink.dead_letters
        self._models.start(self._kafka, self._topics.model_events, s, dead_letters)
        consumer = make_consumer(self._kafka, s.group_id, on_commit=self._commits.confirmed)
        self._consumer, self._sink = consumer, sink
        if transactional:
            self._transactions = BatchTransactions(
                producer, self._require_consumer, s.flush_timeout_s
            )
            self._transactions.start()
        consumer.subscribe([self._topics.events], on_revoke=self._on_revoke)
        try:
            self._loop(should_stop)
            if not self._aborted.is_set():
                self._drain(final=True)
        finally:
            if letters is not None:
                letters.flush(s.flush_timeout_s)
            self._models.close()
            consumer.close()
            self._batches.close()
        return self.scored_events

    @property
    def scored_events(self) -> int:
        """Events whose predictions the broker acknowledged."""
        return self._batches.scored_events

    @property
    def dead_lettered(self) -> int:
        """Records whose dead letters the broker acknowledged."""
        return self._batches.dead_lettered

    @property
    def commit_failures(self) -> int:
        """Delivered batches whose offsets could not be committed (they may be replayed)."""
        return self._commits.failures

    def abort(self) -> None:
        """Stop at once without finishing or committing anything (simulates a crash)."""
        self._aborted.set()

    def _loop(self, should_stop: Callable[[], bool]) -> None:
        next_lag = 0.0
        while not should_stop() and not self._aborted.is_set():
            now = time.monotonic()
            # Between batches: batches already submitted keep the router they captured.
            self.router = self._models.poll() or self.router
            self._poll()
            # Scored batches move on and acknowledgements are seen before the next batch's work.
            self._batches.advance()
            # An idle pipeline takes what was polled at once; a busy one lets the batch grow.
            idle = not self._batches.scoring
            if self._batches.scoring < self._settings.queue_depth and self._batcher.ready(
                idle, self.replay.room
            ):
                generation = self._generation
                items, spans = self._take()
                started = self._preparer.start(items)
                self._batches.advance()  # while the feature source builds its reply
                try:
                    batch = self._preparer.finish(started, self._waiter(should_stop))
                except _Stopped:
                    return
                # A rebalance while the batch waited for features: its partitions may have
                # moved; the new owner reads it again from the committed offsets.
                if generation == self._generation:
                    self._submit(batch, spans)
            self._batches.advance()
            self._commits.flush()
            if now >= next_lag:
                next_lag = now + LAG_REPORT_S
                self._metrics.report_lag(self._require_consumer())

    def _poll(self) -> None:
        s, batcher, batches = self._settings, self._batcher, self._batches
        plan = plan_poll(
            scoring=batches.scoring,
            scored=batches.scored,
            acking=batches.acking,
            queue_depth=s.queue_depth,
            max_batch_size=s.max_batch_size,
            waiting=len(batcher),
            held=len(batcher) > 0 and not batcher.ready(True, self.replay.room),
            wait_s=batcher.wait_s(),
        )
        self._holding = plan.hold
        self._consume(plan.max_messages, plan.timeout_s)

    def _consume(self, max_messages: int, timeout_s: float) -> None:
        # Also what keeps the group membership alive and runs the rebalance and commit
        # callbacks.
        self._pauses.apply(self._holding)
        polled = self._require_consumer().consume(max_messages, timeout_s)
        now_ms = int(time.time() * 1000)
        self._batcher.add([(m, now_ms) for m in usable_messages(polled, self._metrics)])

    def _take(self) -> tuple[list[tuple[Any, int]], Spans]:
        items = self._batcher.take(self.replay.room)
        return items, self.replay.taken(m for m, _ in items)

    def _waiter(self, should_stop: Callable[[], bool]) -> Callable[[float], None]:
        return lambda seconds: self._wait_paused(seconds, should_stop)

    def _wait_paused(self, seconds: float, should_stop: Callable[[], bool]) -> None:
        self._holding = True
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if should_stop() or self._aborted.is_set():
                raise _Stopped
            self._batches.finish_done()
            self._consume(100, 0.05)

    def _submit(self, batch: PreparedBatch, spans: Spans) -> None:
        router = self.router
        assert router is not None
        self._batches.submit(router, batch, spans)

    def _drain(self, final: bool) -> None:
        if final and len(self._batcher):
            # One attempt only: with the feature source down, polled records are left to be
            # re-read rather than holding up the shutdown.
            try:
                items, spans = self._take()
                if items:
                    batch = self._preparer.prepare(items, self._waiter(lambda: True))
                    self._submit(batch, spans)
            except _Stopped:
                log.warning("feature source down at shutdown; last polled records re-read later")
        self._batches.drain()
        self._commits.commit_all()

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        # Finished work is committed while we still own the partitions; polled but unscored
        # messages are dropped: with the eager protocol every partition restarts from its
        # committed offset after the rebalance, so they are read again, not lost.
        self._generation += 1
        if self._aborted.is_set():
            return
        finished = self._batches.unsent
        self._drain(final=False)
        dropped = self._batcher.clear()
        revoked = [(tp.topic, tp.partition) for tp in partitions]
        self._pauses.revoked(revoked)
        self.replay.forget(revoked)
        log.info(
            "revoked %d partitions: %d batches committed, %d polled records left to re-read",
            len(partitions),
            finished,
            len(dropped),
        )

    def _require_consumer(self) -> Consumer:
        assert self._consumer is not None, "run() has not started"
        return self._consumer

    def _require_sink(self) -> PredictionSink:
        assert self._sink is not None, "run() has not started"
        return self._sink


def _partition_of(item: tuple[Any, int]) -> tuple[str, int]:
    message = item[0]
    return (message.topic(), message.partition())
