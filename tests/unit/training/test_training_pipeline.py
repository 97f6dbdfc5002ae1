from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.unit.training.training_testkit import FAST
from training.dataset import DatasetSpec
from training.exceptions import EmptyWindowError
from training.gates import GateConfig
from training.pipeline import TrainingConfig, train_and_register
from training.registry import ModelRegistry
from training.synthetic import CardHistoryFeatures, synthetic_events
from training.tracking import embedded_artifact_location, embedded_client


def test_champion_then_a_worse_model_is_stopped_by_the_gates(tmp_path: Path) -> None:
    published: list[dict[str, Any]] = []
    ticks = itertools.count(1)
    client = embedded_client(tmp_path)
    registry = ModelRegistry(
        client, "fraud", published.append, tmp_path / "cache", lambda: next(ticks)
    )
    events, labels = synthetic_events(3000, 5, cards=60)
    source = CardHistoryFeatures(events)
    cutoff = max(int(x["label_time"]) for x in labels)
    config = TrainingConfig(
        dataset=DatasetSpec(cutoff),
        trainer=FAST,
        gates=GateConfig(metric_floors={"roc_auc": 0.6}, latency_budget_ms=1000.0),
        artifact_location=embedded_artifact_location(tmp_path),
    )
    first = train_and_register(config, events, labels, source, registry, published.append)
    assert first.gate_report.passed, first.gate_report.render()
    assert first.alias == "champion"
    assert first.parity_max_abs_diff <= 1e-5

    flags = np.random.default_rng(0).permutation([bool(x["is_fraud"]) for x in labels])
    shuffled = [dict(x, is_fraud=bool(f)) for x, f in zip(labels, flags, strict=True)]
    second = train_and_register(config, events, shuffled, source, registry, published.append)
    report = second.gate_report
    assert not report.passed
    assert "floor:roc_auc" in {r.name for r in report.failures}
    table = report.render()
    assert "FAIL" in table and "floor:roc_auc" in table
    assert second.alias is None
    assert registry.resolve("champion").version == first.version
    assert [e["action"] for e in published] == [
        "REGISTERED",
        "PROMOTED",
        "REGISTERED",
        "GATE_FAILED",
    ]
    assert published[-1]["version"] == second.version

    run = client.get_run(first.run_id)
    assert run.data.tags["eventml.sha256"] == first.sha256
    assert run.data.tags["lineage.label_cutoff_ms"] == str(cutoff)
    artifacts = {a.path for a in client.list_artifacts(first.run_id)}
    assert {"baseline.json", "gate_report.json", "model"} <= artifacts


def test_training_failure_is_published_and_raised(tmp_path: Path) -> None:
    published: list[dict[str, Any]] = []
    registry = ModelRegistry(embedded_client(tmp_path), "fraud", published.append, tmp_path)
    events, labels = synthetic_events(50, 1)
    config = TrainingConfig(dataset=DatasetSpec(label_cutoff_ms=0))
    with pytest.raises(EmptyWindowError):
        train_and_register(
            config, events, labels, CardHistoryFeatures(events), registry, published.append
        )
    assert [e["action"] for e in published] == ["TRAINING_FAILED"]
    assert "EmptyWindowError" in published[0]["reason"]


def test_a_model_for_other_features_than_the_live_spec_fails_compatibility(tmp_path: Path) -> None:
    published: list[dict[str, Any]] = []
    registry = ModelRegistry(embedded_client(tmp_path), "fraud", published.append, tmp_path / "c")
    events, labels = synthetic_events(1500, 2, cards=40)
    cutoff = max(int(x["label_time"]) for x in labels)
    config = TrainingConfig(
        dataset=DatasetSpec(cutoff),
        trainer=dataclasses.replace(FAST, max_iter=5),
        gates=GateConfig(metric_floors={}, latency_budget_ms=1000.0),
        artifact_location=embedded_artifact_location(tmp_path),
        live_feature_names=("card_count_1h",),
    )
    outcome = train_and_register(
        config, events, labels, CardHistoryFeatures(events), registry, published.append
    )
    assert [r.name for r in outcome.gate_report.failures] == ["feature_compatibility"]
