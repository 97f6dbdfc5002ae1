"""Detection delay, misses, false alarms and throughput of the drift monitor on known onsets.

Synthetic card-fraud predictions with four features of different shapes (heavy-tailed amount,
a count, a very heavy-tailed distance, a rare binary flag) and a logistic score. A drifted
stream shifts one feature (rotating with the seed) from ``onset`` on, either abruptly or
gradually (the share of drifted events ramps from 0 to 1 over ``ramp`` events).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from monitors.baseline import Baseline
from monitors.column_drift import DriftConfig
from monitors.drift_monitor import DriftMonitor
from monitors.quality_metrics import FloatArray

FEATURES = ("amount", "velocity", "distance", "is_foreign")
_VERSION = "1"


def synthetic_features(rng: np.random.Generator, n: int, drifted: Sequence[str] = ()) -> FloatArray:
    """An ``n`` x 4 feature matrix; features named in ``drifted`` come from shifted laws."""
    shift = {name: name in drifted for name in FEATURES}
    matrix: FloatArray = np.column_stack(
        [
            rng.lognormal(3.5 if shift["amount"] else 3.0, 1.2, n),
            rng.poisson(3.0 if shift["velocity"] else 2.0, n).astype(np.float64),
            rng.pareto(2.5, n) * (15.0 if shift["distance"] else 10.0),
            (rng.random(n) < (0.2 if shift["is_foreign"] else 0.1)).astype(np.float64),
        ]
    )
    return matrix


def synthetic_scores(features: FloatArray) -> FloatArray:
    """The logistic fraud score the synthetic model gives each row."""
    logit = (
        -5.0
        + 0.4 * (np.log(features[:, 0]) - 3.0)
        + 0.3 * features[:, 1]
        + 0.02 * features[:, 2]
        + 1.5 * features[:, 3]
    )
    scores: FloatArray = 1.0 / (1.0 + np.exp(-logit))
    return scores


def synthetic_stream(
    seed: int, n: int, onset: int | None, drifted: str, kind: str = "abrupt", ramp: int = 1_000
) -> FloatArray:
    """Features of ``n`` events; from ``onset`` on, ``drifted`` moves (never if ``None``)."""
    rng = np.random.default_rng(seed)
    matrix = synthetic_features(rng, n)
    if onset is None:
        return matrix
    shifted = synthetic_features(rng, n, drifted=(drifted,))
    position = np.arange(n) - onset
    share = (position >= 0) if kind == "abrupt" else np.clip(position / ramp, 0.0, 1.0)
    take = rng.random(n) < share
    matrix[take] = shifted[take]
    return matrix


def fit_baseline(seed: int, n: int = 50_000) -> Baseline:
    """The baseline a trainer would store for the synthetic model."""
    matrix = synthetic_features(np.random.default_rng(10_000 + seed), n)
    return Baseline.fit(FEATURES, matrix, synthetic_scores(matrix), seed=seed)


def as_predictions(matrix: FloatArray, start: int = 0) -> list[dict[str, Any]]:
    """prediction.v1 records for feature rows; ``scored_at`` is the row's stream index."""
    scores = synthetic_scores(matrix)
    return [
        {
            "event_id": f"e{start + i}",
            "score": float(score),
            "model_name": "fraud",
            "model_version": _VERSION,
            "variant": "CHAMPION",
            "event_time": start + i,
            "scored_at": start + i,
            "features": row,
        }
        for i, (row, score) in enumerate(zip(matrix.tolist(), scores.tolist(), strict=True))
    ]


def alert_indices(
    monitor: DriftMonitor, matrix: FloatArray, batch_size: int = 1_000
) -> tuple[list[int], float]:
    """Stream indices at which ``monitor`` alerted, and the seconds it spent."""
    found: list[int] = []
    spent = 0.0
    for start in range(0, len(matrix), batch_size):
        batch = as_predictions(matrix[start : start + batch_size], start)
        began = time.perf_counter()
        result = monitor.update(batch)
        spent += time.perf_counter() - began
        found.extend(alert.time for alert in result.alerts)
    return found, spent


def run_drift_benchmark(
    seeds: Sequence[int] = (0, 1, 2, 3),
    stationary_events: int = 100_000,
    onset: int = 10_000,
    after_onset: int = 5_000,
    config: DriftConfig | None = None,
) -> dict[str, float]:
    """Runs abrupt and gradual drifts and stationary streams for every seed.

    Returns:
        ``detection_delay_events_mean`` and ``_max`` (events from onset to the first alert),
        ``missed_drifts``, ``drifts``, ``false_alarms_per_100k`` (alerts before an onset or on
        a stationary stream, per 100,000 drift-free events) and ``predictions_per_s``.
    """
    config = config or DriftConfig()
    delays: list[int] = []
    missed = false_alarms = clean_events = events = 0
    spent = 0.0
    for seed in seeds:
        baselines = {_VERSION: fit_baseline(seed)}
        drifted = FEATURES[seed % len(FEATURES)]
        for kind in ("abrupt", "gradual"):
            stream = synthetic_stream(seed, onset + after_onset, onset, drifted, kind)
            found, seconds = alert_indices(DriftMonitor(baselines, config), stream)
            false_alarms += sum(index < onset for index in found)
            after = [index - onset for index in found if index >= onset]
            delays.extend(after[:1])
            missed += not after
            clean_events += onset
            events, spent = events + len(stream), spent + seconds
        stream = synthetic_stream(seed + 1_000, stationary_events, None, drifted)
        found, seconds = alert_indices(DriftMonitor(baselines, config), stream)
        false_alarms += len(found)
        clean_events += stationary_events
        events, spent = events + len(stream), spent + seconds
    return {
        "drifts": float(2 * len(seeds)),
        "missed_drifts": float(missed),
        "detection_delay_events_mean": float(np.mean(delays)) if delays else float("nan"),
        "detection_delay_events_max": float(max(delays)) if delays else float("nan"),
        "false_alarms_per_100k": false_alarms * 100_000 / clean_events,
        "predictions_per_s": events / spent,
    }


def monitors_benchmark(context: object, seed: int) -> dict[str, float]:
    """``eventml bench monitors``: four seeds starting at ``seed``, with the drift settings
    the monitor service runs with."""
    from monitors.settings import MonitorSettings

    drift = MonitorSettings().pipeline_config("fraud").drift
    return run_drift_benchmark(seeds=tuple(range(seed, seed + 4)), config=drift)
