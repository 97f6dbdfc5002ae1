from __future__ import annotations

from prometheus_client import CollectorRegistry

from monitors import (
    Alert,
    AlertType,
    JoinCounts,
    ModelKey,
    MonitorMetrics,
    QualityReport,
    severity_for,
)
from monitors.drift_monitor import DriftSnapshot

KEY = ModelKey("fraud", "1")


def test_series_follow_the_stage_outputs() -> None:
    registry = CollectorRegistry()
    metrics = MonitorMetrics(registry)

    metrics.observe_drift([DriftSnapshot(KEY, "amount", 0.3, float("nan"), True)])
    metrics.observe_quality({KEY: QualityReport.compute([0, 1], [0.2, 0.7], [0.5, 0.5])})
    kind = AlertType.QUALITY_SLO
    metrics.observe_alerts([Alert(kind, "roc_auc", 0.7, 0.8, 10, KEY, severity_for(kind), 1)])
    metrics.observe_join(JoinCounts(joined=3))
    metrics.observe_join(JoinCounts(joined=5, duplicate_labels=1))

    labels = {"model_name": "fraud", "model_version": "1", "variant": "CHAMPION"}
    value = registry.get_sample_value
    assert (
        value(
            "eventml_monitor_drift_statistic", {**labels, "feature": "amount", "statistic": "psi"}
        )
        == 0.3
    )
    assert (
        value(
            "eventml_monitor_drift_statistic",
            {**labels, "feature": "amount", "statistic": "ks_pvalue"},
        )
        is None
    )
    assert value("eventml_monitor_drifting", {**labels, "feature": "amount"}) == 1
    assert value("eventml_monitor_quality", {**labels, "metric": "roc_auc"}) == 1.0
    assert value("eventml_monitor_alerts_total", {"type": "QUALITY_SLO", "severity": "PAGE"}) == 1
    assert value("eventml_monitor_label_join_total", {"outcome": "joined"}) == 5
    assert value("eventml_monitor_label_join_total", {"outcome": "duplicate_labels"}) == 1
