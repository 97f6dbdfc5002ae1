from __future__ import annotations

import numpy as np
import pytest

from monitors import (
    AlertType,
    ColumnBaseline,
    ColumnDrift,
    DetectorSpec,
    DriftConfig,
    DriftMonitor,
    MonitorConfigError,
    Severity,
)
from monitors.drift_benchmark import (
    alert_indices,
    as_predictions,
    fit_baseline,
    synthetic_features,
    synthetic_scores,
    synthetic_stream,
)


def test_feature_drift_is_confirmed_at_the_exact_index() -> None:
    rng = np.random.default_rng(7)
    column = ColumnDrift(ColumnBaseline.fit("x", rng.lognormal(size=20_000)), DriftConfig())
    stream = np.concatenate([rng.lognormal(size=3000), rng.lognormal(0.5, 1.0, size=3000)])

    detections = [i for i, x in enumerate(stream) if column.update(x).drift_detected]

    assert detections == [3499]
    assert column.drifting


def test_score_drift_is_confirmed_at_the_exact_index() -> None:
    rng = np.random.default_rng(3)
    training = synthetic_scores(synthetic_features(rng, 20_000))
    column = ColumnDrift(ColumnBaseline.fit("__score__", training), DriftConfig())
    before = synthetic_scores(synthetic_features(rng, 3000))
    after = synthetic_scores(synthetic_features(rng, 3000, drifted=("velocity",)))

    found = column.update_many(np.concatenate([before, after]))

    assert [(e.seen - 1, e.statistic) for e in found] == [(3499, "psi")]


def test_river_detector_alone_fires_on_the_score_at_the_exact_index() -> None:
    rng = np.random.default_rng(5)
    config = DriftConfig(psi_threshold=1e9, alpha=1e-300, confirm_windows=1)
    column = ColumnDrift(ColumnBaseline.fit("__score__", rng.beta(1, 30, 20_000)), config)
    stream = np.concatenate([rng.beta(1, 30, 2000), rng.beta(2, 30, 2000)])

    found = column.update_many(stream)

    assert [(e.seen - 1, e.statistic) for e in found] == [(2249, "adwin")]


def test_monitor_alerts_feature_then_score_drift_once_per_episode() -> None:
    monitor = DriftMonitor({"1": fit_baseline(0)}, DriftConfig())
    stream = synthetic_stream(0, 15_000, onset=10_000, drifted="amount")

    result = []
    for start in range(0, len(stream), 1000):
        result.extend(monitor.update(as_predictions(stream[start : start + 1000], start)).alerts)

    assert [(a.time, a.type, a.feature, a.statistic) for a in result] == [
        (10_499, AlertType.FEATURE_DRIFT, "amount", "psi"),
        (10_749, AlertType.SCORE_DRIFT, None, "chi2_pvalue"),
    ]
    assert {a.severity for a in result} == {Severity.TICKET}


def test_stationary_stream_of_100k_events_raises_no_alarm() -> None:
    monitor = DriftMonitor({"1": fit_baseline(1)}, DriftConfig())
    stream = synthetic_stream(11, 100_000, onset=None, drifted="amount")

    found, _ = alert_indices(monitor, stream, batch_size=5_000)

    assert found == []
    assert all(not s.drifting for s in monitor.snapshot())
    assert len(monitor.snapshot()) == 5


def test_bad_predictions_are_returned_with_their_error() -> None:
    monitor = DriftMonitor({"1": fit_baseline(0)}, DriftConfig())
    good = as_predictions(synthetic_features(np.random.default_rng(0), 3))
    short = {**good[0], "features": [1.0]}
    not_finite = {**good[1], "features": [float("nan"), 1.0, 1.0, 0.0]}
    bad_score = {**good[2], "score": 1.5}
    unknown = {**good[0], "model_version": "9"}

    result = monitor.update([short, not_finite, bad_score, unknown, *good])

    assert [r.record for r in result.rejected] == [short, not_finite, bad_score]
    assert monitor.skipped_without_baseline == 1
    assert result.alerts == ()


def test_detectors_are_configured_by_name() -> None:
    assert DetectorSpec("kswin", {"alpha": 0.001, "seed": 1}).build() is not None
    assert DetectorSpec("page_hinkley", {"threshold": 20}).build() is not None
    with pytest.raises(MonitorConfigError):
        DetectorSpec("cusum")
    with pytest.raises(MonitorConfigError):
        DetectorSpec("adwin", {"nope": 1}).build()
    with pytest.raises(MonitorConfigError):
        DriftConfig(step=600)
