"""infra/compose: the stack file validates, names what the docs promise, and keeps secrets out."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

EVENTML_SERVICES = {
    "aggregator": "AGGREGATOR",
    "inference": "INFERENCE",
    "monitor": "MONITOR",
    "trainer": "TRAINING",
}
SERVICES = {"kafka", "topics", "redis", "postgres", "mlflow", "prometheus", "grafana"}
VOLUMES = {
    "kafka-data",
    "redis-data",
    "postgres-data",
    "mlflow-artifacts",
    "prometheus-data",
    "grafana-data",
}
_VARIABLE = re.compile(r"(?<!\$)\$\{([A-Z][A-Z0-9_]*)")


@pytest.fixture(scope="module")
def compose_dir(infra_dir: Path) -> Path:
    return infra_dir / "compose"


@pytest.fixture(scope="module")
def compose(compose_dir: Path) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((compose_dir / "compose.yaml").read_text())
    return document


def _config(command: list[str], compose_dir: Path) -> dict[str, Any]:
    done = subprocess.run(
        [*command, "-f", "compose.yaml", "--env-file", ".env.example", "config"],
        cwd=compose_dir,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    resolved: dict[str, Any] = yaml.safe_load(done.stdout)
    return resolved


def test_docker_compose_config_validates(
    require_tool: Callable[[str], str], compose_dir: Path
) -> None:
    resolved = _config([require_tool("docker-compose")], compose_dir)
    assert set(resolved["services"]) == SERVICES | set(EVENTML_SERVICES)
    assert resolved["services"]["inference"]["deploy"]["replicas"] == 2


def test_docker_compose_plugin_config_validates(compose_dir: Path) -> None:
    # The v2 plugin is optional (Debian does not package it): checked wherever it exists.
    try:
        probe = subprocess.run(
            ["docker", "compose", "version"], capture_output=True, timeout=30, check=False
        )
    except FileNotFoundError:
        pytest.skip("docker CLI not installed")
    if probe.returncode != 0:
        pytest.skip("docker compose plugin not installed")
    resolved = _config(["docker", "compose"], compose_dir)
    assert set(resolved["services"]) == SERVICES | set(EVENTML_SERVICES)


def test_services_and_volumes(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == SERVICES | set(EVENTML_SERVICES)
    assert set(compose["volumes"]) >= VOLUMES


def test_service_commands(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["topics"]["command"] == ["eventml", "topics", "create"]
    assert services["aggregator"]["command"] == [
        "eventml",
        "run",
        "aggregator",
        "--engine",
        "bytewax",
    ]
    for name in ("inference", "monitor", "trainer"):
        assert services[name]["command"] == ["eventml", "run", name]
    assert services["inference"]["deploy"]["replicas"] == 2


def test_kafka_is_single_kraft_node_without_auto_create(compose: dict[str, Any]) -> None:
    kafka = compose["services"]["kafka"]
    env = kafka["environment"]
    assert kafka["image"].startswith("apache/kafka:")
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    advertised = env["KAFKA_ADVERTISED_LISTENERS"]
    assert "INTERNAL://kafka:19092" in advertised and "EXTERNAL://localhost:" in advertised
    assert "healthcheck" in kafka


def test_eventml_services_reach_infra_inside_the_network(compose: dict[str, Any]) -> None:
    for name in ("topics", *EVENTML_SERVICES):
        service = compose["services"][name]
        env = service["environment"]
        assert service["build"]["dockerfile"] == "infra/compose/Dockerfile"
        assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:19092"
        # Redis AUTH travels in the URL the services are given.
        assert env["REDIS_URL"].startswith("redis://:${REDIS_PASSWORD")
        assert env["EVENTML_TRAINING_TRACKING_URI"] == "http://mlflow:5000"


def test_redis_requires_a_password(compose: dict[str, Any]) -> None:
    redis = compose["services"]["redis"]
    assert "--requirepass" in " ".join(redis["command"])
    assert redis["environment"]["REDIS_PASSWORD"].startswith("${REDIS_PASSWORD:?")


def test_metrics_listen_on_9100_inside_the_network_only(compose: dict[str, Any]) -> None:
    for name, prefix in EVENTML_SERVICES.items():
        service = compose["services"][name]
        env = service["environment"]
        assert env[f"EVENTML_{prefix}_METRICS_HOST"] == "0.0.0.0"
        assert env[f"EVENTML_{prefix}_METRICS_PORT"] == 9100
        assert "ports" not in service


def test_published_ports_bind_loopback(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for mapping in service.get("ports", []):
            assert str(mapping).startswith("127.0.0.1:"), (name, mapping)


def test_mlflow_uses_postgres_and_serves_artifacts(compose: dict[str, Any]) -> None:
    mlflow = compose["services"]["mlflow"]
    command = " ".join(mlflow["command"])
    assert "--serve-artifacts" in command and "--artifacts-destination /mlartifacts" in command
    assert mlflow["environment"]["MLFLOW_BACKEND_STORE_URI"].startswith("postgresql+psycopg2://")
    assert mlflow["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_services_wait_for_healthy_dependencies(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["topics"]["depends_on"]["kafka"]["condition"] == "service_healthy"
    for name in ("inference", "monitor", "trainer"):
        depends = services[name]["depends_on"]
        assert depends["topics"]["condition"] == "service_completed_successfully"
        assert depends["mlflow"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"


def test_env_example_names_every_variable(compose_dir: Path) -> None:
    text = (compose_dir / "compose.yaml").read_text()
    example = (compose_dir / ".env.example").read_text()
    defined = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", example, flags=re.MULTILINE))
    assert set(_VARIABLE.findall(text)) <= defined
    # Pass-through settings (keys without a value) are documented there as comments.
    passthrough = re.findall(r"^\s+(EVENTML_[A-Z_]+):\s*$", text, flags=re.MULTILINE)
    assert passthrough
    assert all(name in example for name in passthrough)


def test_dockerfile_installs_pinned_repo_as_non_root(compose_dir: Path) -> None:
    dockerfile = (compose_dir / "Dockerfile").read_text()
    assert "FROM python:3.11-slim" in dockerfile
    assert "pip install -c constraints.txt ." in dockerfile
    users = re.findall(r"^USER (\S+)", dockerfile, flags=re.MULTILINE)
    assert users and "root" not in users
