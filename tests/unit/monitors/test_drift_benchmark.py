from __future__ import annotations

from monitors.drift_benchmark import run_drift_benchmark


def test_small_benchmark_detects_every_drift_without_false_alarms() -> None:
    result = run_drift_benchmark(seeds=(2,), stationary_events=10_000, after_onset=3_000)

    assert result["drifts"] == 2
    assert result["missed_drifts"] == 0
    assert result["false_alarms_per_100k"] == 0
    assert result["detection_delay_events_max"] <= 2_000
    assert result["predictions_per_s"] > 0
