"""Validation gates a registered version must pass before it may become the challenger.

Each gate gives a :class:`GateResult` (passed, value, limit, message); together they form a
:class:`GateReport` the CLI renders as a table. Failing a gate is an outcome, not an error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.metrics import roc_auc_score

from inference.scorer import OnnxScorer
from training.onnx_scoring import cpu_scorer, latency_p99_ms


@dataclass(frozen=True)
class GateConfig:
    """Limits of the gates.

    Attributes:
        metric_floors: Minimum value per validation metric (e.g. ``{"roc_auc": 0.75}``).
        max_regression: How much lower than the champion's ROC AUC on the same holdout the
            candidate's may be.
        max_parity_diff: Largest allowed |ONNX - native| score difference.
        latency_budget_ms: p99 budget for scoring a batch of ``latency_batch`` rows.
        latency_batch: Rows per timed batch.
    """

    metric_floors: Mapping[str, float] = field(
        default_factory=lambda: {"roc_auc": 0.75, "pr_auc": 0.1}
    )
    max_regression: float = 0.005
    max_parity_diff: float = 1e-5
    latency_budget_ms: float = 50.0
    latency_batch: int = 1000


@dataclass(frozen=True)
class GateResult:
    """The outcome of one gate; ``value`` is ``None`` when the gate could not measure."""

    name: str
    passed: bool
    value: float | None
    limit: float | None
    message: str


@dataclass(frozen=True)
class GateReport:
    """All gate results of a candidate."""

    results: tuple[GateResult, ...]

    @property
    def passed(self) -> bool:
        """True when every gate passed."""
        return all(r.passed for r in self.results)

    @property
    def failures(self) -> tuple[GateResult, ...]:
        """The gates that failed."""
        return tuple(r for r in self.results if not r.passed)

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (logged as ``gate_report.json``)."""
        return {"passed": self.passed, "results": [asdict(r) for r in self.results]}

    def render(self) -> str:
        """A plain-text table, one gate per line."""
        lines = [f"{'gate':<22} {'result':<6} {'value':>12} {'limit':>12}  message"]
        for r in self.results:
            value = "-" if r.value is None else f"{r.value:.6g}"
            limit = "-" if r.limit is None else f"{r.limit:.6g}"
            verdict = "PASS" if r.passed else "FAIL"
            lines.append(f"{r.name:<22} {verdict:<6} {value:>12} {limit:>12}  {r.message}")
        return "\n".join(lines)


@dataclass(frozen=True)
class ChampionModel:
    """The current champion as the regression gate needs it."""

    version: str
    model: bytes
    feature_names: tuple[str, ...]


def metric_floor_gates(
    metrics: Mapping[str, float], floors: Mapping[str, float]
) -> list[GateResult]:
    """One gate per floor: the validation metric must be at least the floor."""
    results = []
    for name, floor in sorted(floors.items()):
        value = metrics.get(name)
        passed = value is not None and value >= floor
        message = f"{name} {'meets' if passed else 'is below'} the floor"
        results.append(GateResult(f"floor:{name}", passed, value, floor, message))
    return results


def regression_gate(
    candidate_auc: float,
    champion: ChampionModel | None,
    feature_names: Sequence[str],
    x_valid: npt.NDArray[np.float32],
    y_valid: npt.NDArray[np.int64],
    tolerance: float,
) -> GateResult:
    """The candidate's ROC AUC must not trail the champion's on the candidate's holdout."""
    name = "no_regression"
    if champion is None:
        return GateResult(name, True, None, None, "no champion yet; nothing to compare")
    if tuple(feature_names) != champion.feature_names:
        return GateResult(
            name,
            True,
            None,
            None,
            f"champion v{champion.version} takes other features; not comparable on this holdout",
        )
    champion_scores = cpu_scorer(champion.model, champion.feature_names).score(x_valid)
    champion_auc = float(roc_auc_score(y_valid, champion_scores))
    limit = champion_auc - tolerance
    passed = candidate_auc >= limit
    verb = "keeps up with" if passed else "regresses against"
    message = (
        f"ROC AUC {candidate_auc:.4f} {verb} champion v{champion.version} ({champion_auc:.4f})"
    )
    return GateResult(name, passed, candidate_auc, limit, message)


def parity_gate(max_diff: float, limit: float) -> GateResult:
    """ONNX and native scores must agree on the validation set."""
    passed = max_diff <= limit
    message = "ONNX matches the native model" if passed else "ONNX disagrees with the native model"
    return GateResult("onnx_parity", passed, max_diff, limit, message)


def latency_gate(
    model: bytes, feature_names: Sequence[str], x: npt.NDArray[np.float32], config: GateConfig
) -> GateResult:
    """p99 ONNX Runtime time for a batch of ``latency_batch`` rows must fit the budget."""
    reps = int(np.ceil(config.latency_batch / max(len(x), 1)))
    batch = np.tile(x, (reps, 1))[: config.latency_batch]
    p99 = latency_p99_ms(OnnxScorer(model, None, feature_names), batch)
    passed = p99 <= config.latency_budget_ms
    message = f"p99 of a {len(batch)}-row batch {'within' if passed else 'over'} budget (ms)"
    return GateResult("latency_p99_ms", passed, p99, config.latency_budget_ms, message)


def compatibility_gate(model_features: Sequence[str], live_features: Sequence[str]) -> GateResult:
    """The model's inputs must be exactly the live feature spec, in order."""
    passed = tuple(model_features) == tuple(live_features)
    if passed:
        message = "inputs match the live feature definitions"
    else:
        missing = sorted(set(live_features) - set(model_features))
        extra = sorted(set(model_features) - set(live_features))
        message = f"inputs differ from live features: missing {missing}, extra {extra}"
        if not missing and not extra:
            message = "inputs are the live features in another order"
    return GateResult("feature_compatibility", passed, None, None, message)
