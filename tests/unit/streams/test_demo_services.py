"""The demo streams live events only once its services are ready: readiness as read from each
service's real /metrics endpoint (a Prometheus server in a thread, as the services run it)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, start_http_server

from inference.metrics import InferenceMetrics
from streams.demo.services import ServiceGroup
from streams.infra.process import free_port


class _Assignment:
    """What ``report_lag`` reads of a consumer: its assignment and positions."""

    def __init__(self, partitions: int) -> None:
        self.partitions = partitions

    def assignment(self) -> list[object]:
        return [object() for _ in range(self.partitions)]

    def position(self, assignment: list[object]) -> list[object]:
        return []


@pytest.fixture
def inference_metrics() -> Iterator[tuple[InferenceMetrics, int]]:
    registry = CollectorRegistry()
    metrics = InferenceMetrics(registry)
    port = free_port()
    server, thread = start_http_server(port, addr="127.0.0.1", registry=registry)
    yield metrics, port
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_inference_is_ready_once_it_owns_partitions(
    inference_metrics: tuple[InferenceMetrics, int], tmp_path: Path
) -> None:
    metrics, port = inference_metrics
    group = ServiceGroup({}, tmp_path, metrics_ports={"inference": port})
    metrics.report_lag(_Assignment(0))  # answering, but the group join is not done
    assert not group.ready("inference")
    assert group.wait_ready(["inference"], 0.5) == ["inference"]
    joined = threading.Timer(0.5, metrics.report_lag, args=(_Assignment(4),))
    joined.start()
    assert group.wait_ready(["inference"], 30) == []
    joined.join()


def test_a_service_without_a_readiness_rule_is_ready_when_its_endpoint_answers(
    inference_metrics: tuple[InferenceMetrics, int], tmp_path: Path
) -> None:
    _, port = inference_metrics
    group = ServiceGroup({}, tmp_path, metrics_ports={"monitor": port, "trainer": free_port()})
    assert group.ready("monitor")
    assert not group.ready("trainer")  # nothing listens there
    assert not group.ready("aggregator")  # never started


def test_waiting_stops_when_a_service_exits(tmp_path: Path) -> None:
    exited = subprocess.Popen([sys.executable, "-c", "pass"])
    exited.wait(30)
    group = ServiceGroup(
        {}, tmp_path, processes={"monitor": exited}, metrics_ports={"monitor": free_port()}
    )
    started = time.monotonic()
    assert group.wait_ready(["monitor"], 60) == ["monitor"]
    assert time.monotonic() - started < 30  # not the whole timeout
