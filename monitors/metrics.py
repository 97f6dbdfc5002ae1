"""Prometheus series the monitor runner exports, fed from the stages' outputs."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import fields

from prometheus_client import CollectorRegistry, Counter, Gauge

from monitors.alert import Alert
from monitors.drift_monitor import DriftSnapshot
from monitors.label_joiner import JoinCounts
from monitors.model_key import ModelKey
from monitors.quality_metrics import QualityReport

_MODEL_LABELS = ("model_name", "model_version", "variant")
_QUALITY_METRICS = ("roc_auc", "precision", "recall", "log_loss", "ece")


class MonitorMetrics:
    """The monitor's series, registered on the registry the runner serves.

    Args:
        registry: Where to register (a fresh one per test avoids duplicate-name errors).
    """

    def __init__(self, registry: CollectorRegistry) -> None:
        self.drift = Gauge(
            "eventml_monitor_drift_statistic",
            "Latest drift statistic per column (psi, or ks_pvalue).",
            [*_MODEL_LABELS, "feature", "statistic"],
            registry=registry,
        )
        self.drifting = Gauge(
            "eventml_monitor_drifting",
            "1 while a column is in confirmed drift.",
            [*_MODEL_LABELS, "feature"],
            registry=registry,
        )
        self.quality = Gauge(
            "eventml_monitor_quality",
            "Rolling quality over the last labelled events.",
            [*_MODEL_LABELS, "metric"],
            registry=registry,
        )
        self.alerts = Counter(
            "eventml_monitor_alerts", "Alerts emitted.", ["type", "severity"], registry=registry
        )
        self.label_join = Counter(
            "eventml_monitor_label_join", "Label-join outcomes.", ["outcome"], registry=registry
        )
        self._join_seen = JoinCounts()

    def observe_drift(self, snapshot: Sequence[DriftSnapshot]) -> None:
        """Sets the drift gauges from ``DriftMonitor.snapshot()``."""
        for item in snapshot:
            labels = (*_key_labels(item.key), item.column)
            for statistic, value in (("psi", item.psi), ("ks_pvalue", item.ks_pvalue)):
                if not math.isnan(value):
                    self.drift.labels(*labels, statistic).set(value)
            self.drifting.labels(*labels).set(int(item.drifting))

    def observe_quality(self, reports: Mapping[ModelKey, QualityReport]) -> None:
        """Sets the quality gauges from ``QualityMonitor.reports()``."""
        for key, report in reports.items():
            for metric in _QUALITY_METRICS:
                value = report.metric(metric)
                if value is not None:
                    self.quality.labels(*_key_labels(key), metric).set(value)
            self.quality.labels(*_key_labels(key), "labelled").set(report.n)

    def observe_alerts(self, alerts: Sequence[Alert]) -> None:
        """Counts alerts by type and severity."""
        for alert in alerts:
            self.alerts.labels(alert.type.value, alert.severity.value).inc()

    def observe_join(self, counts: JoinCounts) -> None:
        """Advances the join counters to ``LabelJoiner.counts``."""
        for field in fields(JoinCounts):
            delta = getattr(counts, field.name) - getattr(self._join_seen, field.name)
            if delta > 0:
                self.label_join.labels(field.name).inc(delta)
        self._join_seen = counts


def _key_labels(key: ModelKey) -> tuple[str, str, str]:
    return key.model_name, key.model_version, key.variant
