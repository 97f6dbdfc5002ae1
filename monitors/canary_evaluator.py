"""Promote or roll back a canary from its labelled traffic against the champion's."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
from scipy.stats import norm

from monitors.alert import Alert, AlertType, severity_for
from monitors.arm_outcomes import ArmOutcomes
from monitors.exceptions import MonitorConfigError
from monitors.label_joiner import JoinedLabel
from monitors.model_key import ModelKey


class CanaryVerdict(StrEnum):
    """What to do with the canary."""

    PROMOTE = "PROMOTE"
    ROLLBACK = "ROLLBACK"
    CONTINUE = "CONTINUE"


@dataclass(frozen=True)
class CanaryConfig:
    """The test plan.

    Attributes:
        min_per_arm: Labelled events per arm before the first look.
        max_per_arm: Labelled events per arm after which an undecided canary is rolled back.
        look_every: Labelled events per arm between two looks.
        alpha: Family-wise error rate of each one-sided test over all planned looks.
        margin: Non-inferiority margin, relative to the champion's log-loss (0.05 = 5 %).
    """

    min_per_arm: int = 2_000
    max_per_arm: int = 20_000
    look_every: int = 1_000
    alpha: float = 0.01
    margin: float = 0.05

    def __post_init__(self) -> None:
        if not 0 < self.min_per_arm <= self.max_per_arm or self.look_every < 1:
            raise MonitorConfigError("need 0 < min_per_arm <= max_per_arm, look_every >= 1")
        if not 0 < self.alpha < 1 or self.margin < 0:
            raise MonitorConfigError("need 0 < alpha < 1 and margin >= 0")

    @property
    def looks(self) -> int:
        """Planned looks: at min_per_arm, then every look_every, up to max_per_arm."""
        return (self.max_per_arm - self.min_per_arm) // self.look_every + 1


@dataclass(frozen=True)
class CanaryDecision:
    """A verdict with the evidence behind it (a JSON-ready dict)."""

    verdict: CanaryVerdict
    evidence: dict[str, Any]


class CanaryEvaluator:
    """Compares a canary with the champion on mean per-event log-loss.

    Why this test: log-loss is a proper scoring rule, so it rewards calibrated scores and
    ranking alike, and the mean of per-event losses is a mean of independent terms, so the
    difference of two arms' means is asymptotically normal (Welch, unequal variances). Arms
    serve disjoint traffic, so the comparison is unpaired. ROC AUC is reported but not tested:
    it is not a per-event mean and ignores calibration, which the decision threshold needs.

    With ``d`` = canary minus champion log-loss and ``delta`` = margin x champion log-loss,
    at each look (Bonferroni: ``alpha / looks`` per test, so peeking costs no error rate):

    * ROLLBACK if the canary is significantly worse (H0 ``d <= 0`` rejected);
    * PROMOTE if it is non-inferior (H0 ``d >= delta`` rejected) and not worse on the point
      estimate (``d <= 0``);
    * ROLLBACK once ``max_per_arm`` is reached without a promotion: unproven is not shipped;
    * CONTINUE otherwise.

    Args:
        champion: The champion's key (variant ``CHAMPION``).
        canary: The challenger's key (variant ``CANARY``).
        config: The test plan.
    """

    def __init__(self, champion: ModelKey, canary: ModelKey, config: CanaryConfig) -> None:
        self._keys = (champion, canary)
        self._config = config
        self._arms = (ArmOutcomes(), ArmOutcomes())
        self._last_look = -1
        self._decision = CanaryDecision(CanaryVerdict.CONTINUE, {"reason": "no look yet"})

    @property
    def versions(self) -> tuple[str, str]:
        """(champion version, canary version) under comparison."""
        return (self._keys[0].model_version, self._keys[1].model_version)

    def update(self, joined: Sequence[JoinedLabel]) -> CanaryEvaluator:
        """Adds labelled canary-period events; events of other models are ignored."""
        for event in joined:
            for key, arm in zip(self._keys, self._arms, strict=True):
                if event.key == key and arm.n < self._config.max_per_arm:
                    arm.add(event.y, event.score, event.threshold)
        return self

    def evaluate(self) -> CanaryDecision:
        """The decision at the latest planned look (unchanged between looks)."""
        config = self._config
        n = min(arm.n for arm in self._arms)
        if n < config.min_per_arm:
            reason = f"{n} labelled events in the smaller arm; need {config.min_per_arm}"
            return CanaryDecision(CanaryVerdict.CONTINUE, {"reason": reason, "n_min": n})
        look = (n - config.min_per_arm) // config.look_every
        if look != self._last_look or n >= config.max_per_arm:
            self._last_look = look
            self._decision = self._test(at_max=n >= config.max_per_arm)
        return self._decision

    def alert(self, decision: CanaryDecision, time_ms: int) -> Alert:
        """The decision as a ``CANARY_DECISION`` alert about the canary."""
        evidence = decision.evidence
        canary = self._keys[1]
        return Alert(
            type=AlertType.CANARY_DECISION,
            statistic="log_loss_difference",
            value=float(evidence.get("log_loss_difference", 0.0)),
            threshold=float(evidence.get("margin", 0.0)),
            window=min(arm.n for arm in self._arms),
            key=canary,
            severity=severity_for(AlertType.CANARY_DECISION),
            time=time_ms,
            message=f"{decision.verdict.value} {canary.model_version}: {evidence['reason']}",
        )

    def _test(self, at_max: bool) -> CanaryDecision:
        config = self._config
        champion, canary = (arm.losses() for arm in self._arms)
        difference = float(canary.mean() - champion.mean())
        se = math.sqrt(canary.var(ddof=1) / canary.size + champion.var(ddof=1) / champion.size)
        se = max(se, 1e-12)
        delta = config.margin * float(champion.mean())
        p_worse = float(norm.sf(difference / se))
        p_noninferior = float(norm.cdf((difference - delta) / se))
        alpha = config.alpha / config.looks
        if p_worse < alpha:
            verdict, reason = CanaryVerdict.ROLLBACK, "canary log-loss significantly worse"
        elif p_noninferior < alpha and difference <= 0:
            verdict, reason = CanaryVerdict.PROMOTE, "canary non-inferior and not worse"
        elif at_max:
            verdict, reason = CanaryVerdict.ROLLBACK, "no promotion after the maximum sample"
        else:
            verdict, reason = CanaryVerdict.CONTINUE, "inconclusive"
        z = float(norm.ppf(1 - alpha))
        evidence = {
            "reason": reason,
            "test": "welch one-sided on mean log-loss, bonferroni over looks",
            "log_loss_difference": difference,
            "difference_ci": [difference - z * se, difference + z * se],
            "margin": delta,
            "p_worse": p_worse,
            "p_noninferior": p_noninferior,
            "alpha_per_look": alpha,
            **self._arm_evidence(),
        }
        return CanaryDecision(verdict, evidence)

    def _arm_evidence(self) -> dict[str, Any]:
        evidence: dict[str, Any] = {}
        for name, key, arm in zip(("champion", "canary"), self._keys, self._arms, strict=True):
            report = arm.report()
            evidence[name] = {
                "model_version": key.model_version,
                "n": arm.n,
                "positives": report.positives,
                "log_loss": report.log_loss,
                "roc_auc": report.roc_auc,
                "precision": report.precision,
                "recall": report.recall,
                "mean_score": float(np.mean(arm.scores)),
            }
        return evidence
