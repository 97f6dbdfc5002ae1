"""``eventml models list|show|history`` read the registry without Kafka."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from streams.cli.app import app
from training.onnx_export import sha256_hex
from training.registry import ModelRegistry
from training.tracking import MlflowTracking, embedded_artifact_location, embedded_client


def test_models_list_shows_versions_and_aliases(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "mlflow"
    client = embedded_client(store)
    registry = ModelRegistry(client, "fraud", lambda _: None, tmp_path / "cache")
    tracking = MlflowTracking(client, "test", embedded_artifact_location(store))
    for payload in (b"v1", b"v2"):
        run_id = tracking.start_run("r", {}, {})
        tracking.log_files(run_id, {"model/model.onnx": payload})
        registry.register(run_id, sha256_hex(payload), ("a", "b"), 0.5)
    registry.promote("2", "champion", "better", "test")
    monkeypatch.setenv("EVENTML_HOME", str(tmp_path))
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "unused:9092")
    monkeypatch.setenv("REDIS_URL", "redis://unused:6379/0")
    monkeypatch.setenv("COLUMNS", "200")
    result = CliRunner().invoke(app, ["models", "list"])
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if line.startswith("│")]
    assert [row.split("│")[1].strip() for row in rows] == ["1", "2"]
    assert "champion" in rows[1] and "champion" not in rows[0]
    history = CliRunner().invoke(app, ["models", "history"])
    assert history.exit_code == 0 and "better" in history.output
