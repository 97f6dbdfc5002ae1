"""``eventml bench report``: RESULTS.md is rebuilt from whatever benchmark JSON is there."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from streams.cli.app import app
from streams.cli.bench_cmd import BENCHMARKS, results_table


def test_table_holds_every_figure_with_its_machine(tmp_path: Path) -> None:
    (tmp_path / "faults.json").write_text(
        json.dumps({"lost_events": 0, "recovery_seconds_max": 16.14, "measured_at": "T1"})
    )
    (tmp_path / "inference.json").write_text(json.dumps({"events_per_s": 25282.4}))
    (tmp_path / "notes.json").write_text(json.dumps({"ignored": 1}))  # not a benchmark
    table = results_table(tmp_path).splitlines()
    assert table[:2] == ["| benchmark | figure | value |", "|---|---|---|"]
    assert "| faults | lost_events | 0 |" in table
    assert "| faults | recovery_seconds_max | 16.14 |" in table
    assert "| **faults** | *measured on* | T1 |" in table
    assert "| inference | events_per_s | 25,282 |" in table
    assert not any("ignored" in row for row in table)
    # Benchmarks in registration order, whatever the directory order.
    order = [row.split("|")[1].strip(" *") for row in table[2:]]
    assert order == sorted(order, key=list(BENCHMARKS).index)


def test_report_command_writes_results_md(tmp_path: Path) -> None:
    (tmp_path / "e2e.json").write_text(json.dumps({"events_per_s": 1890.96}))
    result = CliRunner().invoke(app, ["bench", "report", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "| e2e | events_per_s | 1,891 |" in (tmp_path / "RESULTS.md").read_text()
