"""The wired pipeline on prediction and label records: drift to retrain, canary to decision."""

from __future__ import annotations

from typing import Any

import numpy as np

from monitors import AlertType, Baseline, CanaryConfig, CanaryVerdict
from monitors.pipeline import MonitorPipeline, PipelineConfig
from monitors.retrain_policy import RetrainConfig

NAMES = ("amount", "count_1h")
T0 = 1_767_225_600_000


def _predictions(
    rng: np.random.Generator,
    n: int,
    start: int,
    version: str,
    variant: str,
    shift: float = 0.0,
    noise: float | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    features = rng.normal(0.0, 1.0, (n, 2)) + shift
    logit = -2.0 + features[:, 0]
    truth = rng.random(n) < 1 / (1 + np.exp(-logit))
    if noise is None:
        noise = 0.3 if variant == "CANARY" else 1.5
    score = 1 / (1 + np.exp(-(logit + rng.normal(0, noise, n))))
    preds, labels = [], []
    for i in range(n):
        event_id = f"{variant}-{start + i}"
        t = T0 + (start + i) * 1000
        preds.append(
            {
                "event_id": event_id,
                "entity": "c",
                "score": float(score[i]),
                "decision": False,
                "threshold": 0.5,
                "model_name": "fraud",
                "model_version": version,
                "variant": variant,
                "features_missing": False,
                "feature_freshness_ms": 0,
                "latency_ms": 1.0,
                "event_time": t,
                "scored_at": t,
                "features": [float(v) for v in features[i]],
            }
        )
        labels.append(
            {
                "event_id": event_id,
                "card_id": "c",
                "is_fraud": bool(truth[i]),
                "label_time": t + 60_000,
            }
        )
    return preds, labels


def _baseline(rng: np.random.Generator) -> Baseline:
    x = rng.normal(0.0, 1.0, (20_000, 2))
    scores = 1 / (1 + np.exp(-(-2.0 + x[:, 0] + rng.normal(0, 1.5, len(x)))))
    return Baseline.fit(NAMES, x, scores, seed=1)


def test_feature_drift_on_two_features_requests_a_retrain_once() -> None:
    rng = np.random.default_rng(3)
    retrain = RetrainConfig(min_signals=2, cooldown_ms=10**12, max_per_day=5)
    pipeline = MonitorPipeline(PipelineConfig(retrain=retrain))
    pipeline.add_baseline("1", _baseline(rng))
    stationary, _ = _predictions(rng, 3000, 0, "1", "CHAMPION")
    quiet = pipeline.on_predictions(stationary)
    assert quiet.alerts == [] and quiet.retrain_requests == []
    drifted, _ = _predictions(rng, 3000, 3000, "1", "CHAMPION", shift=1.0)
    outputs = [pipeline.on_predictions(drifted[i : i + 250]) for i in range(0, 3000, 250)]
    alerts = [a for out in outputs for a in out.alerts]
    requests = [r for out in outputs for r in out.retrain_requests]
    assert {a.feature for a in alerts if a.type is AlertType.FEATURE_DRIFT} == set(NAMES)
    assert len(requests) == 1
    assert requests[0]["model_name"] == "fraud" and len(requests[0]["signals"]) >= 2


def test_better_canary_is_promoted_from_records() -> None:
    rng = np.random.default_rng(5)
    canary = CanaryConfig(min_per_arm=1000, max_per_arm=4000, look_every=500)
    pipeline = MonitorPipeline(PipelineConfig(canary=canary))
    pipeline.start_canary("1", "2")
    decisions = []
    for step in range(8):
        champ, champ_labels = _predictions(rng, 500, step * 1000, "1", "CHAMPION")
        cand, cand_labels = _predictions(rng, 500, step * 1000 + 500, "2", "CANARY")
        pipeline.on_predictions(champ + cand)
        out = pipeline.on_labels(champ_labels + cand_labels)
        if out.canary is not None:
            decisions.append(out.canary)
            assert any(a.type is AlertType.CANARY_DECISION for a in out.alerts)
            break
    assert [d.verdict for d in decisions] == [CanaryVerdict.PROMOTE]
    assert decisions[0].evidence["champion"]["n"] >= 1000
    assert decisions[0].evidence["canary"]["model_version"] == "2"


def test_invalid_predictions_are_rejected_not_raised() -> None:
    pipeline = MonitorPipeline(PipelineConfig())
    out = pipeline.on_predictions([{"event_id": "x"}])
    assert len(out.rejected) == 1
    labels = pipeline.on_labels([{"event_id": "y"}])
    assert len(labels.rejected) == 1


def test_excluded_columns_are_not_watched() -> None:
    rng = np.random.default_rng(3)
    pipeline = MonitorPipeline(PipelineConfig(drift_exclude=("count_1h",)))
    pipeline.add_baseline("1", _baseline(rng))
    drifted, _ = _predictions(rng, 3000, 0, "1", "CHAMPION", shift=1.0)
    alerts = [
        a for i in range(0, 3000, 250) for a in pipeline.on_predictions(drifted[i : i + 250]).alerts
    ]
    assert {a.feature for a in alerts if a.type is AlertType.FEATURE_DRIFT} == {"amount"}
    assert {s.column for s in pipeline.drift.snapshot()} == {"amount", "__score__"}


def test_a_repeated_prediction_is_watched_and_joined_once() -> None:
    rng = np.random.default_rng(7)
    pipeline = MonitorPipeline(PipelineConfig())  # no baseline: drift counts what it skips
    preds, labels = _predictions(rng, 3, 0, "1", "CHAMPION")
    repeat = dict(preds[0])  # the same event scored by the same model, delivered again
    pipeline.on_predictions([preds[0], repeat, preds[1]])
    pipeline.on_predictions([dict(preds[0]), preds[2]])
    assert pipeline.drift.skipped_without_baseline == 3
    assert pipeline.joiner.counts.duplicate_predictions == 2
    out = pipeline.on_labels(labels)
    assert sorted(j.event_id for j in out.joined) == sorted(p["event_id"] for p in preds)
    # After the join, a late repeat is still recognised (the label remembers who joined).
    again = pipeline.on_predictions([dict(preds[1])])
    assert again.joined == [] and pipeline.joiner.counts.duplicate_predictions == 3


def test_a_repeat_of_a_rejected_prediction_is_rejected_alike() -> None:
    rng = np.random.default_rng(7)
    pipeline = MonitorPipeline(PipelineConfig())
    pipeline.add_baseline("1", _baseline(rng))
    preds, _ = _predictions(rng, 2, 0, "1", "CHAMPION")
    bad = {**preds[0], "features": [1.0]}  # one feature where the baseline has two
    out = pipeline.on_predictions([bad, dict(bad), preds[1]])
    assert [r.record for r in out.rejected] == [bad, bad]
    assert pipeline.joiner.waiting() == (1, 0)
