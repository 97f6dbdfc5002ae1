from __future__ import annotations

import pytest

from monitors import (
    Alert,
    AlertType,
    ModelKey,
    MonitorConfigError,
    RetrainConfig,
    RetrainPolicy,
    severity_for,
)

HOUR = 3_600_000
CHAMPION = ModelKey("fraud", "1")


def drift(t: int, feature: str | None, kind: AlertType = AlertType.FEATURE_DRIFT) -> Alert:
    return Alert(kind, "psi", 0.3, 0.2, 500, CHAMPION, severity_for(kind), t, feature)


def quality(t: int, labelled: int, key: ModelKey = CHAMPION) -> Alert:
    kind = AlertType.QUALITY_SLO
    return Alert(kind, "roc_auc", 0.7, 0.85, labelled, key, severity_for(kind), t)


def policy() -> RetrainPolicy:
    return RetrainPolicy("fraud", RetrainConfig(min_labeled=1000, cooldown_ms=6 * HOUR))


def test_quality_breach_needs_enough_labels() -> None:
    retrain = policy()

    assert retrain.update([quality(0, 999)], now_ms=0) is None
    assert retrain.update([quality(0, 5000, ModelKey("fraud", "2", "CANARY"))], now_ms=0) is None
    request = retrain.update([quality(0, 1000)], now_ms=10)

    assert request is not None
    assert request["model_name"] == "fraud"
    assert request["signals"] == ["QUALITY_SLO:roc_auc"]
    assert request["requested_at"] == 10
    assert "roc_auc=0.7" in retrain.last_reason


def test_drift_needs_two_distinct_current_signals() -> None:
    retrain = policy()

    assert retrain.update([drift(0, "amount"), drift(10, "amount")], now_ms=10) is None
    assert retrain.update([drift(2 * HOUR, "velocity")], now_ms=2 * HOUR) is None  # amount aged
    request = retrain.update([drift(2 * HOUR + 5, None, AlertType.SCORE_DRIFT)], 2 * HOUR + 5)

    assert request is not None
    assert request["signals"] == ["FEATURE_DRIFT:velocity", "SCORE_DRIFT:"]
    assert request["window_start"] == 2 * HOUR


def test_cooldown_and_daily_maximum() -> None:
    retrain = RetrainPolicy("fraud", RetrainConfig(cooldown_ms=HOUR, max_per_day=2))
    times = [0, HOUR // 2, HOUR, 2 * HOUR, 24 * HOUR]

    made = [retrain.update([quality(t, 5000)], now_ms=t) is not None for t in times]

    assert made == [True, False, True, False, True]
    assert retrain.last_reason.startswith("quality below objective")
    retrain.update([quality(24 * HOUR + 1, 5000)], now_ms=24 * HOUR + 1)
    assert retrain.last_reason.startswith("suppressed by cooldown")


def test_invalid_config() -> None:
    with pytest.raises(MonitorConfigError):
        RetrainConfig(max_per_day=0)


def test_drift_must_persist_before_a_retrain_is_requested() -> None:
    config = RetrainConfig(min_signals=2, persist_ms=2 * HOUR, signal_window_ms=6 * HOUR)
    retrain = RetrainPolicy("fraud", config)
    assert retrain.update([drift(0, "amount"), drift(10, "count_1h")], now_ms=10) is None
    assert "waiting" in retrain.last_reason
    assert retrain.update([], now_ms=2 * HOUR - 1) is None
    request = retrain.update([drift(2 * HOUR, "amount")], now_ms=2 * HOUR)
    assert request is not None
    assert request["window_start"] == 0  # from the first sighting, not the latest one
    assert request["signals"] == ["FEATURE_DRIFT:amount", "FEATURE_DRIFT:count_1h"]
