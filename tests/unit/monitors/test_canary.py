from __future__ import annotations

import numpy as np
import pytest

from monitors import (
    AlertType,
    CanaryConfig,
    CanaryEvaluator,
    CanaryVerdict,
    ExperimentReport,
    JoinedLabel,
    ModelKey,
    Severity,
)

CHAMPION = ModelKey("fraud", "1", "CHAMPION")
CANARY = ModelKey("fraud", "2", "CANARY")
CONFIG = CanaryConfig(min_per_arm=1000, max_per_arm=4000, look_every=1000, alpha=0.01)


def traffic(key: ModelKey, seed: int, n: int, noise: float) -> list[JoinedLabel]:
    """Labelled events of a model whose logit is the truth plus ``noise``."""
    rng = np.random.default_rng(seed)
    logit = rng.normal(-2.5, 1.5, n)
    y = rng.random(n) < 1 / (1 + np.exp(-logit))
    scores = 1 / (1 + np.exp(-(logit + rng.normal(0, noise, n))))
    return [
        JoinedLabel(f"{key.model_version}-{i}", key, float(s), 0.5, bool(t), i, i)
        for i, (t, s) in enumerate(zip(y.tolist(), scores.tolist(), strict=True))
    ]


def run(canary_noise: float, n: int) -> list[CanaryVerdict]:
    evaluator = CanaryEvaluator(CHAMPION, CANARY, CONFIG)
    champion, canary = traffic(CHAMPION, 1, n, 1.0), traffic(CANARY, 2, n, canary_noise)
    verdicts = []
    for start in range(0, n, 500):
        evaluator.update(champion[start : start + 500] + canary[start : start + 500])
        verdicts.append(evaluator.evaluate().verdict)
    return verdicts


def test_better_canary_is_promoted() -> None:
    verdicts = run(canary_noise=0.2, n=4000)
    assert verdicts[0] is CanaryVerdict.CONTINUE  # below the minimum sample
    assert verdicts[-1] is CanaryVerdict.PROMOTE


def test_worse_canary_is_rolled_back() -> None:
    assert run(canary_noise=2.0, n=2000)[-1] is CanaryVerdict.ROLLBACK


def test_undecided_canary_is_rolled_back_at_the_maximum_sample() -> None:
    verdicts = run(canary_noise=1.0, n=4000)
    assert verdicts[-2] is CanaryVerdict.CONTINUE
    assert verdicts[-1] is CanaryVerdict.ROLLBACK


def test_decision_carries_its_evidence_and_alert() -> None:
    evaluator = CanaryEvaluator(CHAMPION, CANARY, CONFIG)
    evaluator.update(traffic(CHAMPION, 1, 2000, 1.0) + traffic(CANARY, 2, 2000, 2.0))
    decision = evaluator.evaluate()

    evidence = decision.evidence
    assert evidence["champion"]["n"] == evidence["canary"]["n"] == 2000
    low, high = evidence["difference_ci"]
    assert 0 < low < evidence["log_loss_difference"] < high
    assert evidence["p_worse"] < evidence["alpha_per_look"] == pytest.approx(0.01 / 4)
    alert = evaluator.alert(decision, time_ms=99)
    assert (alert.type, alert.severity, alert.key) == (
        AlertType.CANARY_DECISION,
        Severity.INFO,
        CANARY,
    )


def test_experiment_report_intervals_contain_the_true_value() -> None:
    keys = [ModelKey("fraud", str(v)) for v in range(3)]
    noises = (0.5, 1.0, 1.5)
    samples = [
        traffic(k, 10 + i, 2000, noise)
        for i, (k, noise) in enumerate(zip(keys, noises, strict=True))
    ]
    truth = [
        traffic(k, 100 + i, 200_000, noise)
        for i, (k, noise) in enumerate(zip(keys, noises, strict=True))
    ]

    report = ExperimentReport.compute([e for s in samples for e in s], n_boot=200, seed=3)
    true_reports = [ExperimentReport.compute(t, n_boot=1).arms[0].quality for t in truth]

    assert [arm.key for arm in report.arms] == keys
    for arm, true in zip(report.arms, true_reports, strict=True):
        for metric in ("roc_auc", "log_loss"):
            interval = arm.intervals[metric]
            assert interval is not None
            assert interval[0] <= true.metric(metric) <= interval[1]
    assert report.to_dict()["arms"][2]["intervals"]["roc_auc"] is not None
