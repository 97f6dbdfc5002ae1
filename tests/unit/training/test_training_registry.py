from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from training.exceptions import ArtifactIntegrityError, NoPreviousVersionError
from training.onnx_export import sha256_hex
from training.registry import ModelRegistry
from training.tracking import MlflowTracking, embedded_artifact_location, embedded_client


@pytest.fixture
def setup(tmp_path: Path) -> tuple[ModelRegistry, MlflowTracking, list[dict[str, Any]]]:
    client = embedded_client(tmp_path / "mlflow")
    events: list[dict[str, Any]] = []
    ticks = itertools.count(1000)
    registry = ModelRegistry(
        client, "fraud", events.append, tmp_path / "cache", lambda: next(ticks)
    )
    tracking = MlflowTracking(client, "test", embedded_artifact_location(tmp_path / "mlflow"))
    return registry, tracking, events


def _register(registry: ModelRegistry, tracking: MlflowTracking, payload: bytes) -> str:
    run_id = tracking.start_run("r", {}, {})
    tracking.log_files(run_id, {"model/model.onnx": payload})
    return registry.register(run_id, sha256_hex(payload), ("a", "b"), 0.5)


def test_promote_and_rollback_publish_events_and_keep_history(setup) -> None:  # type: ignore[no-untyped-def]
    registry, tracking, events = setup
    v1, v2, v3 = (_register(registry, tracking, bytes([i])) for i in range(3))
    registry.promote(v1, "champion", "first", "alice")
    registry.promote(v2, "champion", "better", "bob")
    registry.promote(v3, "challenger", "gates passed", "trainer")
    registry.promote(v3, "champion", "canary ok", "bob")
    registry.rollback("champion", "alerts", "carol")
    registry.rollback("champion", "still bad", "carol")
    assert registry.resolve("champion").version == v1
    with pytest.raises(NoPreviousVersionError):
        registry.rollback("champion", "again", "carol")

    steps = [(c.alias, c.from_version, c.to_version, c.action, c.actor) for c in registry.history()]
    assert steps == [
        ("champion", None, v1, "PROMOTED", "alice"),
        ("champion", v1, v2, "PROMOTED", "bob"),
        ("challenger", None, v3, "ALIAS_SET", "trainer"),
        ("champion", v2, v3, "PROMOTED", "bob"),
        ("champion", v3, v2, "ROLLED_BACK", "carol"),
        ("champion", v2, v1, "ROLLED_BACK", "carol"),
    ]
    published = [(e["action"], e["alias"], e["previous_version"], e["version"]) for e in events]
    assert published == [
        ("REGISTERED", None, None, v1),
        ("REGISTERED", None, None, v2),
        ("REGISTERED", None, None, v3),
        *[(a, al, f, t) for al, f, t, a, _ in steps],
    ]
    assert events[-1]["reason"] == "still bad"
    assert events[-1]["artifact_sha256"] == sha256_hex(bytes([0]))
    assert [e["time"] for e in events] == sorted(e["time"] for e in events)


def test_download_verifies_the_sha256(setup) -> None:  # type: ignore[no-untyped-def]
    registry, tracking, _ = setup
    version = _register(registry, tracking, b"model-bytes")
    registry.promote(version, "champion", "first", "alice")
    ref = registry.resolve("champion")
    assert ref.feature_names == ("a", "b")
    assert registry.download(ref).read_bytes() == b"model-bytes"
    ref.path.write_bytes(b"tampered")
    with pytest.raises(ArtifactIntegrityError, match="sha256"):
        registry.download(ref)


def test_removing_an_alias_is_audited(setup) -> None:  # type: ignore[no-untyped-def]
    registry, tracking, events = setup
    version = _register(registry, tracking, b"x")
    registry.promote(version, "shadow", "try", "alice")
    registry.remove("shadow", "done", "alice")
    assert registry.holder("shadow") is None
    assert registry.history()[-1].action == "ALIAS_REMOVED"
    assert events[-1]["action"] == "ALIAS_REMOVED"
