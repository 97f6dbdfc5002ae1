"""infra/grafana: dashboards are valid, provisioned, and query series that exist."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.contract.ops.metric_names import PENDING, exported_series, names_in, rules

DASHBOARDS = sorted(
    (Path(__file__).resolve().parents[3] / "infra/grafana/dashboards").glob("*.json")
)


def _panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    flat: list[dict[str, Any]] = []
    for panel in dashboard["panels"]:
        flat.extend(panel.get("panels", []) if panel["type"] == "row" else [panel])
    return flat


@pytest.fixture(scope="module")
def known_names(infra_dir: Path) -> set[str]:
    """Recorded rule names, series the rules read, and series the code exports."""
    rule_file = infra_dir / "prometheus/rules/eventml.rules.yml"
    in_rules = set().union(
        *(names_in(str(rule["expr"])) | {str(rule.get("record", ""))} for rule in rules(rule_file))
    )
    return in_rules | exported_series() | PENDING


@pytest.fixture(scope="module")
def datasource_uid(infra_dir: Path) -> str:
    provisioning = yaml.safe_load(
        (infra_dir / "grafana/provisioning/datasources/prometheus.yml").read_text()
    )
    (source,) = provisioning["datasources"]
    assert source["type"] == "prometheus" and source["url"] == "http://prometheus:9090"
    return str(source["uid"])


def test_dashboards_exist() -> None:
    assert DASHBOARDS


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_dashboard_panels_query_known_series(
    path: Path, known_names: set[str], datasource_uid: str
) -> None:
    dashboard = json.loads(path.read_text())
    assert isinstance(dashboard["schemaVersion"], int) and dashboard["uid"]
    panels = _panels(dashboard)
    assert panels
    for panel in panels:
        assert panel["datasource"]["uid"] == datasource_uid, panel["title"]
        exprs = [target.get("expr", "") for target in panel.get("targets", [])]
        assert exprs and all(expr.strip() for expr in exprs), panel["title"]
        for expr in exprs:
            assert names_in(expr), (panel["title"], expr)
            assert names_in(expr) <= known_names, (panel["title"], names_in(expr) - known_names)


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_model_promotions_are_annotated(path: Path, known_names: set[str]) -> None:
    annotations = json.loads(path.read_text())["annotations"]["list"]
    queried = [a for a in annotations if a.get("expr")]
    assert any("eventml_inference_model_loaded" in a["expr"] for a in queried)
    for annotation in queried:
        assert names_in(annotation["expr"]) <= known_names, annotation["name"]


def test_dashboard_provider_reads_the_mounted_directory(infra_dir: Path) -> None:
    provider = yaml.safe_load(
        (infra_dir / "grafana/provisioning/dashboards/eventml.yml").read_text()
    )
    compose = yaml.safe_load((infra_dir / "compose/compose.yaml").read_text())
    mounts = compose["services"]["grafana"]["volumes"]
    (entry,) = provider["providers"]
    assert f"../grafana/dashboards:{entry['options']['path']}:ro" in mounts
