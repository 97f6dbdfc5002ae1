"""A short ``eventml demo`` as a user runs it: every service a process, nothing lost.

The full closed loop (drift → retrain → canary → promotion) runs in ``make demo``; here the
short, drift-free version checks that the processes work together and account for every
event, so CI catches regressions in minutes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_short_demo_scores_every_event(
    kafka_bootstrap: str, redis_url: str, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "REDIS_URL": redis_url,
        "EVENTML_HOME": str(tmp_path / "home"),
        "COLUMNS": "120",
    }
    out = tmp_path / "report"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "streams.cli",
            "demo",
            "--no-drift",
            "--events",
            "30000",
            "--rate",
            "600",
            "--out",
            str(out),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["events"] == 4000
    assert summary["predictions"] == summary["events"]
    assert summary["lost_events"] == 0
    assert summary["services_ready_s"] > 0  # the live stream waited for the services
    assert summary["dead_lettered"] == summary["bad_records_produced"] > 0
    assert summary["auc_before_drift"] > 0.8
    for name in ("index.html", "scores.png", "auc.png", "latency.png", "drift.png"):
        assert (out / name).stat().st_size > 0
