"""Per-variant quality of an A/B(/n) experiment with seeded bootstrap intervals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from monitors.arm_outcomes import ArmOutcomes
from monitors.label_joiner import JoinedLabel
from monitors.model_key import ModelKey
from monitors.quality_metrics import QualityReport

INTERVAL_METRICS = ("roc_auc", "log_loss", "precision", "recall")


@dataclass(frozen=True)
class ArmReport:
    """One arm's quality and its confidence intervals (``None`` where undefined)."""

    key: ModelKey
    quality: QualityReport
    intervals: dict[str, tuple[float, float] | None]


@dataclass(frozen=True)
class ExperimentReport:
    """Quality of every arm of an experiment, any number of arms.

    Attributes:
        arms: One report per model key, in key order.
        confidence: Coverage of the intervals.
        n_boot: Bootstrap resamples per metric and arm.
        seed: Seed of the resampling, so a report can be reproduced exactly.
    """

    arms: tuple[ArmReport, ...]
    confidence: float
    n_boot: int
    seed: int

    @classmethod
    def compute(
        cls,
        joined: Sequence[JoinedLabel],
        n_boot: int = 500,
        confidence: float = 0.95,
        seed: int = 0,
    ) -> ExperimentReport:
        """Groups labelled events by model key and bootstraps each arm independently."""
        outcomes: dict[ModelKey, ArmOutcomes] = {}
        for event in joined:
            outcomes.setdefault(event.key, ArmOutcomes()).add(event.y, event.score, event.threshold)
        rng = np.random.default_rng(seed)
        arms = tuple(
            ArmReport(
                key,
                arm.report(),
                {m: arm.bootstrap(m, n_boot, confidence, rng) for m in INTERVAL_METRICS},
            )
            for key, arm in sorted(outcomes.items())
        )
        return cls(arms, confidence, n_boot, seed)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view for the CLI and the experiment log."""
        return {
            "confidence": self.confidence,
            "n_boot": self.n_boot,
            "seed": self.seed,
            "arms": [
                {
                    "model_name": arm.key.model_name,
                    "model_version": arm.key.model_version,
                    "variant": arm.key.variant,
                    **arm.quality.__dict__,
                    "intervals": {
                        name: list(bounds) if bounds else None
                        for name, bounds in arm.intervals.items()
                    },
                }
                for arm in self.arms
            ],
        }
