"""Every service's /metrics exposition passes ``promtool check metrics``."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

from prometheus_client import CollectorRegistry, generate_latest

from inference.metrics import InferenceMetrics
from monitors.metrics import MonitorMetrics
from streams.features.metrics import FeatureMetrics


def _exposition(build: Callable[[CollectorRegistry], object]) -> bytes:
    registry = CollectorRegistry()
    build(registry)
    return generate_latest(registry)


def test_service_metrics_pass_promtool(require_tool: Callable[[str], str]) -> None:
    promtool = require_tool("promtool")
    for name, build in {
        "aggregator": lambda r: FeatureMetrics("bytewax", r),
        "inference": InferenceMetrics,
        "monitor": MonitorMetrics,
    }.items():
        text = _exposition(build)
        assert b"# HELP" in text, name
        result = subprocess.run(
            [promtool, "check", "metrics"], input=text, capture_output=True, timeout=30, check=False
        )
        problems = (result.stdout + result.stderr).decode()
        assert result.returncode == 0, f"{name}: {problems}"


def test_trainer_metrics_pass_promtool(require_tool: Callable[[str], str]) -> None:
    from prometheus_client import REGISTRY

    import training.service  # noqa: F401  (registers the trainer's metrics on REGISTRY)

    text = generate_latest(REGISTRY)
    assert b"eventml_trainer_jobs_total" in text
    result = subprocess.run(
        [require_tool("promtool"), "check", "metrics"],
        input=text,
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, (result.stdout + result.stderr).decode()
