from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import log_loss, precision_score, recall_score, roc_auc_score

from monitors import (
    AlertType,
    JoinedLabel,
    ModelKey,
    QualityMonitor,
    QualityReport,
    QualitySLO,
    RollingQuality,
    Severity,
)
from monitors.quality_metrics import expected_calibration_error, roc_auc

KEY = ModelKey("fraud", "1")


def outcomes(seed: int, n: int, noise: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.1).astype(int)
    scores = 1 / (1 + np.exp(-(-2.5 + 2.0 * y + rng.normal(0, noise, n))))
    return y, np.round(scores, 3)  # rounding creates ties, which AUC must count half


def test_metrics_match_scikit_learn() -> None:
    y, scores = outcomes(0, 5000)
    thresholds = np.full(y.size, 0.3)

    report = QualityReport.compute(y, scores, thresholds)

    assert report.roc_auc == pytest.approx(roc_auc_score(y, scores))
    assert report.log_loss == pytest.approx(log_loss(y, scores))
    assert report.precision == pytest.approx(precision_score(y, scores >= 0.3))
    assert report.recall == pytest.approx(recall_score(y, scores >= 0.3))
    assert report.n == 5000
    assert report.positives == int(y.sum())


def test_expected_calibration_error_by_hand() -> None:
    y = [0, 1, 1, 0]
    scores = [0.05, 0.15, 0.95, 1.0]
    # bin 0: mean score 0.05, rate 0; bin 1: 0.15 vs 1; bin 9: 0.975 vs 0.5
    expected = (0.05 + 0.85 + 2 * 0.475) / 4
    assert expected_calibration_error(y, scores) == pytest.approx(expected)
    assert roc_auc([1, 1], [0.1, 0.2]) is None


def joined(y: np.ndarray, scores: np.ndarray, key: ModelKey = KEY) -> list[JoinedLabel]:
    return [
        JoinedLabel(f"e{i}", key, float(s), 0.3, bool(t), i, i + 10)
        for i, (t, s) in enumerate(zip(y.tolist(), scores.tolist(), strict=True))
    ]


def test_quality_below_slo_pages_only_with_enough_labels() -> None:
    monitor = QualityMonitor([QualitySLO("roc_auc", 0.99, min_labeled=1000)], window=2000)
    y, scores = outcomes(1, 1500)

    assert monitor.update(joined(y[:999], scores[:999])) == []
    alerts = monitor.update(joined(y[999:], scores[999:]))

    assert [(a.type, a.severity, a.window) for a in alerts] == [
        (AlertType.QUALITY_SLO, Severity.PAGE, 1500)
    ]
    assert alerts[0].value == pytest.approx(roc_auc_score(y, scores))
    assert monitor.reports()[KEY].n == 1500


def test_concept_drift_is_detected_at_the_exact_index() -> None:
    good_y, good_scores = outcomes(2, 3000, noise=0.3)
    bad_y, bad_scores = outcomes(3, 3000, noise=3.0)
    y = np.concatenate([good_y, bad_y])
    scores = np.concatenate([good_scores, bad_scores])
    quality = RollingQuality(window=1000)

    detections = [i for i in range(y.size) if quality.update(y[i], scores[i], 0.3).drift_detected]

    assert detections[:1] == [3103]
