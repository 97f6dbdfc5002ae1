"""infra/prometheus: promtool accepts config and rules, rule tests pass, SLO alerts complete."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.contract.ops.metric_names import PENDING, exported_series, raw_names, rules

SEVERITIES = {"critical", "warning"}
# (long window, short window, burn rate) per tier, from the SRE workbook.
BURN_TIERS = (("1h", "5m", "14.4"), ("6h", "30m", "6"), ("3d", "6h", "1"))
BUDGETS = {"availability": "0.001", "latency": "0.01"}


@pytest.fixture(scope="module")
def prometheus_dir(infra_dir: Path) -> Path:
    return infra_dir / "prometheus"


@pytest.fixture(scope="module")
def rule_file(prometheus_dir: Path) -> Path:
    return prometheus_dir / "rules" / "eventml.rules.yml"


@pytest.fixture(scope="module")
def alerts(rule_file: Path) -> list[dict[str, Any]]:
    return [rule for rule in rules(rule_file) if "alert" in rule]


def _promtool(
    require_tool: Callable[[str], str], cwd: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [require_tool("promtool"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_promtool_check_rules(require_tool: Callable[[str], str], rule_file: Path) -> None:
    done = _promtool(require_tool, rule_file.parent, "check", "rules", rule_file.name)
    assert done.returncode == 0, done.stdout + done.stderr


def test_promtool_check_config_and_its_rule_files(
    require_tool: Callable[[str], str], prometheus_dir: Path
) -> None:
    done = _promtool(require_tool, prometheus_dir, "check", "config", "prometheus.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 rule files found" in done.stdout + done.stderr


def test_promtool_rule_unit_tests(require_tool: Callable[[str], str], prometheus_dir: Path) -> None:
    done = _promtool(require_tool, prometheus_dir, "test", "rules", "tests/eventml.rules.test.yml")
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_alert_has_severity_summary_and_runbook(
    alerts: list[dict[str, Any]], infra_dir: Path
) -> None:
    readme = (infra_dir / "README.md").read_text().lower()
    for alert in alerts:
        assert alert["labels"]["severity"] in SEVERITIES, alert["alert"]
        assert alert["annotations"]["summary"].strip(), alert["alert"]
        anchor = alert["annotations"]["runbook"].partition("#")[2]
        # GitHub anchors of "### EventmlFoo" headings are the lower-cased names.
        assert f"### {anchor}" in readme, alert["alert"]


@pytest.mark.parametrize("slo", sorted(BUDGETS))
def test_multiwindow_multi_burn_rate_alerts(
    slo: str, alerts: list[dict[str, Any]], rule_file: Path
) -> None:
    recorded = {rule.get("record") for rule in rules(rule_file)}
    exprs = [
        re.sub(r"\s+", " ", alert["expr"]) for alert in alerts if alert["labels"].get("slo") == slo
    ]
    for long, short, rate in BURN_TIERS:
        names = [f"eventml:slo_{slo}_errors:ratio_rate{window}" for window in (long, short)]
        assert set(names) <= recorded
        wanted = (
            f"{names[0]} > ({rate} * {BUDGETS[slo]}) and {names[1]} > ({rate} * {BUDGETS[slo]})"
        )
        assert any(wanted in expr for expr in exprs), wanted


def test_prometheus_scrapes_every_eventml_service(prometheus_dir: Path) -> None:
    config = yaml.safe_load((prometheus_dir / "prometheus.yml").read_text())
    targets = {
        name: sd["port"]
        for job in config["scrape_configs"]
        for sd in job.get("dns_sd_configs", [])
        for name in sd["names"]
    }
    assert targets == {"aggregator": 9100, "inference": 9100, "monitor": 9100, "trainer": 9100}


def test_rules_read_only_metrics_the_code_exports_or_pending(rule_file: Path) -> None:
    unknown = raw_names(rule_file) - exported_series() - PENDING
    assert not unknown, f"rules read series no code exports: {sorted(unknown)}"
