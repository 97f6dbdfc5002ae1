"""``train_and_register``: the whole training run the trainer service and ``eventml train`` call.

Dataset -> candidate -> tracked run -> registered version -> gates -> alias. The Kafka
reading, the CLI and the producer behind ``publish`` belong to the callers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from training.candidate import Candidate, fit_candidate
from training.dataset import Dataset, DatasetSpec, DatasetStats, build_dataset
from training.evaluation import Metrics
from training.exceptions import TrainingError
from training.feature_source import FeatureSource
from training.gates import (
    ChampionModel,
    GateConfig,
    GateReport,
    compatibility_gate,
    latency_gate,
    metric_floor_gates,
    parity_gate,
    regression_gate,
)
from training.model_events import ModelEvent
from training.registry import ModelRegistry, Publish
from training.tracking import Lineage, MlflowTracking
from training.trainer import TrainerConfig

Record = Mapping[str, Any]


@dataclass(frozen=True)
class TrainingConfig:
    """Everything one training run needs besides its inputs.

    Attributes:
        dataset: Window, label cut-off and split.
        trainer: Model family, hyper-parameters and seed.
        gates: Gate limits.
        lineage: Source topic, offsets and feature-definition hash for the run's tags.
        experiment: MLflow experiment name.
        artifact_location: Artifact root for a new experiment (``None``: store default).
        target_precision: Operating point; ``None`` picks the max-F1 threshold.
        live_feature_names: The feature spec serving uses now; ``None`` trusts the dataset.
        promote_to: Alias a version gets when it passes the gates.
        bootstrap_champion: Make a passing version champion when there is none yet.
        actor: Recorded as the author of registry changes.
    """

    dataset: DatasetSpec
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    gates: GateConfig = field(default_factory=GateConfig)
    lineage: Lineage = field(default_factory=Lineage)
    experiment: str = "eventml-training"
    artifact_location: str | None = None
    target_precision: float | None = None
    live_feature_names: tuple[str, ...] | None = None
    promote_to: str = "challenger"
    bootstrap_champion: bool = True
    actor: str = "trainer"


@dataclass(frozen=True)
class TrainingOutcome:
    """What a training run produced."""

    run_id: str
    version: str
    sha256: str
    metrics: Metrics
    parity_max_abs_diff: float
    gate_report: GateReport
    alias: str | None
    stats: DatasetStats
    train_seconds: float


def train_and_register(
    config: TrainingConfig,
    events: Sequence[Record],
    labels: Sequence[Record],
    feature_source: FeatureSource,
    registry: ModelRegistry,
    publish: Publish,
) -> TrainingOutcome:
    """Trains a candidate, tracks and registers it, runs the gates and sets its alias.

    A version is registered whether or not it passes (so failed candidates stay auditable);
    it gets ``config.promote_to`` (or ``champion`` when there is none and
    ``bootstrap_champion``) only if every gate passed. A failed gate publishes ``GATE_FAILED``.

    Raises:
        TrainingError: The dataset or the model could not be built; ``TRAINING_FAILED`` has
            been published.
    """
    try:
        dataset = build_dataset(events, labels, feature_source, config.dataset)
        candidate = fit_candidate(dataset, config.trainer, config.target_precision)
    except TrainingError as error:
        failed = ModelEvent(
            registry.model_name,
            "",
            "TRAINING_FAILED",
            registry.now_ms(),
            reason=f"{type(error).__name__}: {error}",
            actor=config.actor,
        )
        publish(failed.to_record())
        raise
    tracking = MlflowTracking(registry.client, config.experiment, config.artifact_location)
    run_id = _track(tracking, config, dataset, candidate)
    version = registry.register(
        run_id,
        candidate.sha256,
        dataset.feature_names,
        candidate.metrics.threshold,
        actor=config.actor,
    )
    report = run_gates(config, dataset, candidate, _champion(registry))
    tracking.log_files(run_id, {"gate_report.json": json.dumps(report.as_dict()).encode()})
    tracking.finish(run_id)
    alias = _apply_outcome(config, registry, publish, version, candidate, report, run_id)
    return TrainingOutcome(
        run_id,
        version,
        candidate.sha256,
        candidate.metrics,
        candidate.parity_max_abs_diff,
        report,
        alias,
        dataset.stats,
        candidate.model.train_seconds,
    )


def run_gates(
    config: TrainingConfig, dataset: Dataset, candidate: Candidate, champion: ChampionModel | None
) -> GateReport:
    """All gates of a candidate against the champion (if any)."""
    limits = config.gates
    live = config.live_feature_names or dataset.feature_names
    results = [
        *metric_floor_gates(candidate.metrics.as_dict(), limits.metric_floors),
        regression_gate(
            candidate.metrics.roc_auc,
            champion,
            dataset.feature_names,
            dataset.x_valid,
            dataset.y_valid,
            limits.max_regression,
        ),
        parity_gate(candidate.parity_max_abs_diff, limits.max_parity_diff),
        latency_gate(candidate.onnx, dataset.feature_names, dataset.x_valid, limits),
        compatibility_gate(dataset.feature_names, live),
    ]
    return GateReport(tuple(results))


def feature_definitions_hash(feature_names: Sequence[str]) -> str:
    """A stand-in definitions hash when the feature store gives none: sha256 of the names."""
    return hashlib.sha256(json.dumps(list(feature_names)).encode()).hexdigest()


def _track(
    tracking: MlflowTracking, config: TrainingConfig, dataset: Dataset, candidate: Candidate
) -> str:
    lineage = config.lineage
    if not lineage.feature_definitions_hash:
        lineage = replace(
            lineage, feature_definitions_hash=feature_definitions_hash(dataset.feature_names)
        )
    tags = {
        **lineage.tags(config.dataset, config.trainer.seed),
        "eventml.sha256": candidate.sha256,
        "eventml.model_family": config.trainer.family,
    }
    run_id = tracking.start_run(
        f"{config.trainer.family}-seed{config.trainer.seed}", config.trainer.params(), tags
    )
    figures = {
        **candidate.metrics.as_dict(),
        **{f"dataset_{k}": float(v) for k, v in asdict(dataset.stats).items()},
    }
    figures["onnx_parity_max_abs_diff"] = candidate.parity_max_abs_diff
    figures["train_seconds"] = candidate.model.train_seconds
    figures["converged"] = float(candidate.model.converged)
    tracking.log_metrics(run_id, figures)
    tracking.log_files(run_id, candidate.artifacts())
    return run_id


def _champion(registry: ModelRegistry) -> ChampionModel | None:
    if registry.holder("champion") is None:
        return None
    ref = registry.resolve("champion")
    model = registry.download(ref).read_bytes()
    return ChampionModel(ref.version, model, ref.feature_names)


def _apply_outcome(
    config: TrainingConfig,
    registry: ModelRegistry,
    publish: Publish,
    version: str,
    candidate: Candidate,
    report: GateReport,
    run_id: str,
) -> str | None:
    if not report.passed:
        reason = "; ".join(f"{r.name}: {r.message}" for r in report.failures)
        failed = ModelEvent(
            registry.model_name,
            version,
            "GATE_FAILED",
            registry.now_ms(),
            reason=reason,
            actor=config.actor,
            artifact_sha256=candidate.sha256,
            run_id=run_id,
        )
        publish(failed.to_record())
        return None
    alias = config.promote_to
    if config.bootstrap_champion and registry.holder("champion") is None:
        alias = "champion"
    registry.promote(version, alias, reason="passed all gates", actor=config.actor)
    return alias
