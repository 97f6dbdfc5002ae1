"""The trainer service serves retrain requests one at a time and reports failed jobs."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

import pytest

from streams.kafka.topics import TopicCatalogue
from streams.producer import RecordProducer
from streams.settings import KafkaSettings
from tests.contract.samples import SAMPLES
from training.service import TrainerService, job_command
from training.settings import TrainingSettings

pytestmark = pytest.mark.integration


def test_job_command_carries_the_window() -> None:
    argv = job_command({**SAMPLES["retrain_request"], "window_end": 5000}, 12.0)
    assert argv[-6:] == [
        "--promote-to",
        "challenger",
        "--window-end-ms",
        "5000",
        "--lookback-hours",
        "12.0",
    ]


def test_requests_run_one_at_a_time_superseded_ones_skipped_timeouts_reported(
    kafka_settings: KafkaSettings, topics: TopicCatalogue, group_id: str
) -> None:
    ran: list[Sequence[str]] = []
    published: list[dict[str, Any]] = []

    def runner(argv: Sequence[str], timeout_s: float) -> int | None:
        ran.append(argv)
        return 0 if len(ran) == 1 else None  # the second job "hangs" and is killed

    service = TrainerService(
        kafka_settings,
        topics,
        TrainingSettings(timeout_s=1.0),
        published.append,
        group_id=group_id,
        runner=runner,
    )
    producer = RecordProducer(
        kafka_settings, topics.retrain_requests, "retrain_request", "model_name"
    )

    def request(i: int) -> None:
        producer.send({**SAMPLES["retrain_request"], "request_id": f"r{i}", "window_end": i})
        producer.flush()

    for i in range(3):  # all made before the first job ends: r1 and r2 are covered by r0
        request(i)
    stop = threading.Event()
    worker = threading.Thread(target=service.run, args=(stop.is_set,), daemon=True)
    worker.start()
    _wait(lambda: len(service.results) + len(service.skipped) == 3)
    request(3)
    _wait(lambda: len(service.results) == 2)
    stop.set()
    worker.join(10)
    assert [r.request_id for r in service.results] == ["r0", "r3"]
    assert service.skipped == ["r1", "r2"]
    assert [r.timed_out for r in service.results] == [False, True]
    assert [a[a.index("--window-end-ms") + 1] for a in ran] == ["0", "3"]
    assert [(e["action"], e["actor"]) for e in published] == [("TRAINING_FAILED", "trainer")]
    assert "r3" in published[0]["reason"]


def _wait(predicate: Any, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)
