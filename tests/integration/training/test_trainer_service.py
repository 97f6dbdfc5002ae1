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


def test_requests_run_in_order_and_a_timed_out_job_is_reported(
    kafka_settings: KafkaSettings, topics: TopicCatalogue, group_id: str
) -> None:
    ran: list[Sequence[str]] = []
    published: list[dict[str, Any]] = []

    def runner(argv: Sequence[str], timeout_s: float) -> int | None:
        ran.append(argv)
        return None if len(ran) == 2 else 0  # the second job "hangs" and is killed

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
    for i in range(3):
        producer.send({**SAMPLES["retrain_request"], "request_id": f"r{i}", "window_end": i})
    producer.flush()
    stop = threading.Event()
    worker = threading.Thread(target=service.run, args=(stop.is_set,), daemon=True)
    worker.start()
    deadline = time.monotonic() + 30
    while len(service.results) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    stop.set()
    worker.join(10)
    assert [r.request_id for r in service.results] == ["r0", "r1", "r2"]
    assert [r.timed_out for r in service.results] == [False, True, False]
    assert [a[a.index("--window-end-ms") + 1] for a in ran] == ["0", "1", "2"]
    assert [(e["action"], e["actor"]) for e in published] == [("TRAINING_FAILED", "trainer")]
    assert "r1" in published[0]["reason"]
