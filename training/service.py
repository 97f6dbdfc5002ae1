"""``eventml run trainer``: retrain requests in, one gated training job at a time.

Each job runs as a child process (``eventml train``) under a timeout, so a hung or crashed
job is killed and reported as ``TRAINING_FAILED`` without taking the service down. The
job itself publishes the outcome (``REGISTERED``, ``ALIAS_SET`` challenger, ``GATE_FAILED``).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from prometheus_client import Counter, Histogram

from streams.kafka.clients import make_background_consumer, make_producer
from streams.kafka.consume_loop import ConsumeLoop, Decoded
from streams.kafka.dead_letter import DeadLetter
from streams.kafka.topics import TopicCatalogue
from streams.producer import codec_for
from streams.settings import KafkaSettings
from training.model_events import ModelEvent
from training.registry import Publish
from training.settings import TrainingSettings

log = logging.getLogger(__name__)
STAGE = "trainer"

JOBS = Counter("eventml_trainer_jobs_total", "Training jobs by outcome.", ["outcome"])
JOB_SECONDS = Histogram(
    "eventml_trainer_job_seconds",
    "Wall time of one training job.",
    buckets=(5, 15, 30, 60, 120, 300, 600, 1200),
)
SKIPPED = Counter(
    "eventml_trainer_requests_superseded_total",
    "Retrain requests covered by a job that finished after they were made.",
)


@dataclass(frozen=True)
class JobResult:
    """How one training job ended."""

    request_id: str
    exit_code: int | None
    seconds: float
    timed_out: bool


def job_command(request: dict[str, Any], lookback_hours: float | None) -> list[str]:
    """The ``eventml train`` command line for a retrain request (pure)."""
    argv = [sys.executable, "-m", "streams.cli", "train", "--promote-to", "challenger"]
    if request.get("window_end") is not None:
        argv += ["--window-end-ms", str(int(request["window_end"]))]
    if lookback_hours is not None:
        argv += ["--lookback-hours", str(lookback_hours)]
    return argv


class TrainerService:
    """Consumes retrain requests and runs them one at a time."""

    def __init__(
        self,
        kafka: KafkaSettings,
        topics: TopicCatalogue,
        settings: TrainingSettings,
        publish: Publish,
        group_id: str = "eventml-trainer",
        lookback_hours: float | None = None,
        runner: Callable[[Sequence[str], float], int | None] | None = None,
    ) -> None:
        self.settings = settings
        self.lookback_hours = lookback_hours
        self._publish = publish
        self._runner = runner or _run_child
        self.results: list[JobResult] = []
        self.skipped: list[str] = []
        self._last_finished_ms = 0
        self.consumer = make_background_consumer(
            kafka, group_id, **{"max.poll.interval.ms": 3_600_000}
        )
        self.consumer.subscribe([topics.retrain_requests])
        codec = codec_for(kafka, topics.retrain_requests, "retrain_request")
        self.loop = ConsumeLoop(
            self.consumer, make_producer(kafka), codec, self.handle, STAGE, batch_size=1
        )

    def run(self, should_stop: Callable[[], bool]) -> None:
        """Serve requests until ``should_stop()``."""
        try:
            self.loop.run(should_stop)
        finally:
            self.consumer.close()

    def handle(self, records: Decoded) -> list[DeadLetter]:
        """Run each request's job (in order, one at a time).

        A request made before the previous job finished is covered by that job's data (the
        job read the event log after it was made), so it is skipped, not trained again.
        """
        for msg, request in records:
            requested_ms = msg.timestamp()[1]
            if requested_ms and requested_ms < self._last_finished_ms:
                log.info(
                    "retrain request %s superseded by the job that just finished",
                    request["request_id"],
                )
                self.skipped.append(request["request_id"])
                SKIPPED.inc()
                continue
            self.results.append(self._train(request))
            self._last_finished_ms = int(time.time() * 1000)
        return []

    def _train(self, request: dict[str, Any]) -> JobResult:
        log.info("retrain request %s: %s", request["request_id"], request["reason"])
        started = time.monotonic()
        argv = job_command(request, self.lookback_hours)
        code = self._runner(argv, self.settings.timeout_s)
        result = JobResult(request["request_id"], code, time.monotonic() - started, code is None)
        outcome = {0: "registered", 2: "gate_failed", None: "timeout"}.get(code, "failed")
        JOBS.labels(outcome).inc()
        JOB_SECONDS.observe(result.seconds)
        if code not in (0, 2):  # 2: trained, but a gate failed (already published)
            why = "timed out" if code is None else f"exited {code}"
            failed = ModelEvent(
                self.settings.model_name,
                "",
                "TRAINING_FAILED",
                int(time.time() * 1000),
                reason=f"request {request['request_id']}: job {why}",
                actor=STAGE,
            )
            self._publish(failed.to_record())
        log.info(
            "retrain request %s done: exit %s in %.1f s",
            request["request_id"],
            code,
            result.seconds,
        )
        return result


def _run_child(argv: Sequence[str], timeout_s: float) -> int | None:
    """Run a job; None when it had to be killed at the timeout."""
    try:
        return subprocess.run(argv, timeout=timeout_s, check=False, env=dict(os.environ)).returncode
    except subprocess.TimeoutExpired:
        return None
