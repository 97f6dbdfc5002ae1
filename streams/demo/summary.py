"""The demo's accounting, pure: which events were scored, how well, how fast, and when the
loop reacted. Input is what the demo observed on the topics; output is ``summary.json``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from monitors.quality_metrics import roc_auc

SERVED = ("CHAMPION", "CANARY")


@dataclass
class Observed:
    """Everything the demo saw, in arrival order."""

    produced: dict[str, tuple[int, float]] = field(default_factory=dict)  # id -> (index, wall s)
    labels: dict[str, bool] = field(default_factory=dict)
    predictions: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    model_events: list[dict[str, Any]] = field(default_factory=list)
    dead_lettered: int = 0  # distinct source records in the events dead-letter topic
    bad_produced: int = 0
    event_times: list[int] = field(default_factory=list)


def _auc(pairs: Sequence[tuple[bool, float]]) -> float | None:
    if not pairs:
        return None
    y, s = zip(*pairs, strict=True)
    return roc_auc(np.array(y), np.array(s))


def _index_at(event_times: Sequence[int], time_ms: int) -> int:
    """Index of the first event at or after ``time_ms``."""
    return int(np.searchsorted(np.asarray(event_times), time_ms, side="left"))


def _index_at_wall(observed: Observed, wall_ms: int) -> int:
    """Index of the first event produced at or after ``wall_ms``."""
    produced = sorted(observed.produced.values())
    return int(np.searchsorted(np.array([t for _, t in produced]) * 1000, wall_ms, "left"))


def served(observed: Observed) -> dict[str, dict[str, Any]]:
    """The served prediction of each event (first one wins; replays are duplicates)."""
    first: dict[str, dict[str, Any]] = {}
    for p in observed.predictions:
        if p["variant"] in SERVED:
            first.setdefault(p["event_id"], p)
    return first


def summarize(
    observed: Observed,
    drift_onset: int | None,
    seconds: float,
    freshness_p99_ms: float,
    services_ready_s: float | None,
) -> dict[str, Any]:
    """The figures of ``summary.json``. The live stream starts once the services are ready
    (``services_ready_s`` after they were started), so latency is the serving's alone."""
    scored = served(observed)
    lost = [eid for eid in observed.produced if eid not in scored]
    duplicates = sum(1 for p in observed.predictions if p["variant"] in SERVED) - len(scored)
    latencies = [p["_e2e_ms"] for p in scored.values() if "_e2e_ms" in p]
    promotions = [
        e for e in observed.model_events if e["action"] == "PROMOTED" and e["actor"] == "monitor"
    ]
    rollbacks = [
        e
        for e in observed.model_events
        if e["action"] == "ALIAS_REMOVED" and "rollback" in e["reason"]
    ]
    drift_alerts = [
        a
        for a in observed.alerts
        if a["type"] in {"FEATURE_DRIFT", "SCORE_DRIFT", "CONCEPT_DRIFT", "QUALITY_SLO"}
    ]
    alert_at = sorted(_index_at(observed.event_times, a["time"]) for a in drift_alerts)
    onset = drift_onset if drift_onset is not None else len(observed.event_times)
    false_alarms = sum(1 for i in alert_at if i < onset)
    detected = next((i for i in alert_at if i >= onset), None) if drift_onset is not None else None
    # Registry changes carry wall-clock times: place them by when events were produced.
    promoted_at = _index_at_wall(observed, promotions[0]["time"]) if promotions else None
    return {
        "events": len(observed.produced),
        "predictions": len(scored),
        "duplicate_predictions": duplicates,
        "shadow_predictions": sum(p["variant"] == "SHADOW" for p in observed.predictions),
        "dead_lettered": observed.dead_lettered,
        "bad_records_produced": observed.bad_produced,
        "lost_events": len(lost),
        "events_per_s": len(observed.produced) / max(seconds, 1e-9),
        "latency_p50_ms": float(np.percentile(latencies, 50)) if latencies else None,
        "latency_p99_ms": float(np.percentile(latencies, 99)) if latencies else None,
        "freshness_p99_ms": freshness_p99_ms,
        "services_ready_s": services_ready_s,
        "drift_onset_event": drift_onset,
        "drift_detected_event": detected,
        "drift_detection_delay_events": (
            detected - drift_onset if detected is not None and drift_onset is not None else None
        ),
        "promoted_at_event": promoted_at,
        "promotions": len(promotions),
        "rollbacks": len(rollbacks),
        "alerts": len(observed.alerts),
        "drift_alerts_before_onset": false_alarms,
        **_phase_aucs(observed, scored, drift_onset, promoted_at),
    }


def _phase_aucs(
    observed: Observed,
    scored: Mapping[str, dict[str, Any]],
    onset: int | None,
    promoted: int | None,
) -> dict[str, float | None]:
    phases: dict[str, list[tuple[bool, float]]] = {"before": [], "during": [], "after": []}
    for event_id, prediction in scored.items():
        if event_id not in observed.labels:
            continue
        index = observed.produced[event_id][0]
        if onset is None or index < onset:
            phase = "before"
        elif promoted is None or index < promoted:
            phase = "during"
        else:
            phase = "after"
        phases[phase].append((observed.labels[event_id], float(prediction["score"])))
    return {
        "auc_before_drift": _auc(phases["before"]),
        "auc_during_drift": _auc(phases["during"]),
        "auc_after_retrain": _auc(phases["after"]),
    }


def loop_closed(summary: Mapping[str, Any], expect_drift: bool) -> list[str]:
    """Why the loop did not close (empty when it did)."""
    problems = []
    if summary["lost_events"]:
        problems.append(f"{summary['lost_events']} events have no served prediction")
    if expect_drift and summary["drift_detected_event"] is None:
        problems.append("the drift was not detected")
    if expect_drift and summary["promotions"] < 1:
        problems.append("no challenger was promoted")
    return problems
