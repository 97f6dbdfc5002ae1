"""Batches in flight: scored on the scoring thread, sent in batch order once the replay
window lets them (a partition's batch waits for the commit of the one before it), and
reported to the offset committer in batch order once the broker has acknowledged every
record."""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from inference.commits import OffsetCommitter
from inference.exceptions import ScoringError
from inference.metrics import InferenceMetrics
from inference.output import PendingBatch, PredictionSink
from inference.replay_window import ReplayWindow, Spans, offsets_after
from inference.routing import Router
from inference.stages import InFlight, PreparedBatch, score_batch
from inference.transactions import BatchTransactions
from streams.exceptions import InfrastructureError

log = logging.getLogger(__name__)


class InFlightBatches:
    """Prepared batches from submission for scoring until their offsets are delivered.

    Args:
        sink: Returns the sink that produces predictions and dead letters.
        commits: Told the next offsets of each fully acknowledged batch.
        window: Says when a scored batch may be sent (and is told it was).
        metrics: Where to report.
        flush_timeout_s: How long the oldest sent batch may wait for its acknowledgements.
        transactions: Set: each batch is delivered in a transaction with its offsets.
    """

    def __init__(
        self,
        sink: Callable[[], PredictionSink],
        commits: OffsetCommitter,
        window: ReplayWindow,
        metrics: InferenceMetrics,
        flush_timeout_s: float,
        transactions: Callable[[], BatchTransactions | None] = lambda: None,
    ) -> None:
        self._sink, self._commits, self._metrics = sink, commits, metrics
        self._window = window
        self._transactions = transactions
        self._flush_timeout_s = flush_timeout_s
        self._inflight: deque[InFlight] = deque()  # submitted, waiting for scores
        self._scoring = ThreadPoolExecutor(1, thread_name_prefix="eventml-scoring")
        # Sent, waiting for acknowledgements; with each batch's messages per partition.
        self._acking: deque[tuple[PendingBatch, Spans]] = deque()
        self.scored_events = 0  # events whose predictions the broker acknowledged
        self.dead_lettered = 0  # records whose dead letters the broker acknowledged

    @property
    def unsent(self) -> int:
        """Batches submitted and not sent yet."""
        return len(self._inflight)

    @property
    def scored(self) -> int:
        """Batches scored and not sent yet (held back by the replay window, or behind one
        that is)."""
        return sum(1 for item in self._inflight if item.scores.done())

    @property
    def scoring(self) -> int:
        """Batches submitted whose scores are not ready yet."""
        return self.unsent - self.scored

    @property
    def acking(self) -> int:
        """Batches sent whose records the broker has not all acknowledged yet."""
        return len(self._acking)

    def submit(self, router: Router, batch: PreparedBatch, spans: Spans) -> None:
        """Score ``batch`` on the scoring thread with ``router`` (kept across model swaps);
        ``spans``: its messages per partition (what :meth:`ReplayWindow.taken` returned)."""
        future = self._scoring.submit(
            score_batch, router, batch, time.perf_counter(), self._metrics
        )
        self._inflight.append(InFlight(batch, future, spans))

    def advance(self) -> None:
        """:meth:`finish_done`, then :meth:`settle`."""
        self.finish_done()
        self.settle()

    def finish_done(self) -> None:
        """Send, in batch order, every batch whose scores are ready and that the replay
        window lets go."""
        while (
            self._inflight
            and self._inflight[0].scores.done()
            and self._window.may_send(self._inflight[0].spans)
        ):
            self._finish(self._inflight.popleft())

    def settle(self) -> None:
        """Commit, in order, every batch whose records the broker has all acknowledged.

        Raises:
            InfrastructureError: The oldest sent batch was not acknowledged in time.
        """
        sink = self._sink()
        sink.poll(0)
        while self._acking and self._acking[0][0].remaining == 0:
            pending, spans = self._acking.popleft()
            sink.complete(pending)
            self._commit(pending.batch, spans)
        if self._acking and (
            time.perf_counter() - self._acking[0][0].sent_at > self._flush_timeout_s
        ):
            self._metrics.errors.labels("produce_timeout").inc()
            raise InfrastructureError(
                f"predictions not acknowledged within {self._flush_timeout_s} s"
            )

    def drain(self) -> None:
        """Wait for every submitted batch's scores, send it, and settle what was sent."""
        while self._inflight:
            item = self._inflight.popleft()
            item.scores.result()
            if not self._window.may_send(item.spans):
                # Its partition's previous batch must be committed first: now, synchronously.
                self._sink().flush(self._flush_timeout_s)
                self.settle()
                self._commits.commit_all()
            self._finish(item)
        self._sink().flush(self._flush_timeout_s)
        self.settle()

    def close(self) -> None:
        """Stop the scoring thread without waiting; batches not yet scored are dropped."""
        self._scoring.shutdown(wait=False, cancel_futures=True)

    def _finish(self, item: InFlight) -> None:
        try:
            scored = item.scores.result()
        except ScoringError:
            self._metrics.errors.labels("scoring").inc()
            log.exception("scoring failed; stopping without committing the batch")
            raise
        sink, transactions = self._sink(), self._transactions()
        self._window.sent(item.spans)
        if transactions is None:
            pending = sink.send(item.batch, scored)
        else:
            send = lambda: sink.send(item.batch, scored)  # noqa: E731
            pending = transactions.deliver(send, offsets_after(item.spans))
        self._acking.append((pending, item.spans))

    def _commit(self, batch: PreparedBatch, spans: Spans) -> None:
        self.scored_events += len(batch.events)
        self.dead_lettered += len(batch.dead)
        offsets = offsets_after(spans)
        if self._transactions() is None:
            self._commits.delivered(offsets, len(batch.messages))
        else:
            self._commits.committed_in_transaction(offsets)
