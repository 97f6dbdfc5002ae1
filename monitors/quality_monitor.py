"""Quality of every deployed model from joined labels: SLO and concept-drift alerts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from monitors.alert import Alert, AlertType, severity_for
from monitors.change_detector import DetectorSpec
from monitors.exceptions import MonitorConfigError
from monitors.label_joiner import JoinedLabel
from monitors.model_key import ModelKey
from monitors.quality_metrics import QualityReport
from monitors.rolling_quality import RollingQuality

_LOWER_IS_BETTER = frozenset({"log_loss", "ece"})
_METRICS = frozenset({"roc_auc", "precision", "recall", "log_loss", "ece"})


@dataclass(frozen=True)
class QualitySLO:
    """A quality objective, judged only on enough labelled events.

    Attributes:
        metric: ``roc_auc``, ``precision``, ``recall`` (minimums) or ``log_loss``, ``ece``
            (maximums).
        objective: The minimum (or maximum) acceptable value.
        min_labeled: Labelled events needed before the objective is judged.
    """

    metric: str
    objective: float
    min_labeled: int = 500

    def __post_init__(self) -> None:
        if self.metric not in _METRICS:
            raise MonitorConfigError(f"unknown quality metric {self.metric!r}")

    def breached(self, report: QualityReport) -> bool:
        """Whether the report misses the objective (never on too small a sample)."""
        value = report.metric(self.metric)
        if value is None or report.n < self.min_labeled:
            return False
        if self.metric in _LOWER_IS_BETTER:
            return value > self.objective
        return value < self.objective


class QualityMonitor:
    """Rolling quality per (model version, variant).

    Args:
        slos: Objectives checked after every batch.
        window: Labelled events each rolling window covers.
        detector: Concept-drift detector on the per-event error (default ADWIN).
    """

    def __init__(
        self,
        slos: Sequence[QualitySLO],
        window: int = 5_000,
        detector: DetectorSpec | None = None,
    ) -> None:
        self._slos = tuple(slos)
        self._window = window
        self._detector = detector
        self._models: dict[ModelKey, RollingQuality] = {}

    def update(self, joined: Sequence[JoinedLabel]) -> list[Alert]:
        """Feeds joined labels; returns concept-drift and SLO alerts for this batch."""
        alerts: list[Alert] = []
        last_seen: dict[ModelKey, JoinedLabel] = {}
        for event in joined:
            quality = self._models.get(event.key)
            if quality is None:
                quality = RollingQuality(self._window, self._detector)
                self._models[event.key] = quality
            if quality.update(event.y, event.score, event.threshold).drift_detected:
                alerts.append(_concept_alert(event, quality))
            last_seen[event.key] = event
        for key, event in last_seen.items():
            alerts.extend(self._slo_alerts(key, event.label_time))
        return alerts

    def reports(self) -> dict[ModelKey, QualityReport]:
        """Current metrics of every model seen."""
        found = {key: quality.report() for key, quality in self._models.items()}
        return {key: report for key, report in found.items() if report is not None}

    def _slo_alerts(self, key: ModelKey, time: int) -> list[Alert]:
        report = self._models[key].report()
        if report is None:
            return []
        return [
            Alert(
                type=AlertType.QUALITY_SLO,
                statistic=slo.metric,
                value=float(report.metric(slo.metric) or 0.0),
                threshold=slo.objective,
                window=report.n,
                key=key,
                severity=severity_for(AlertType.QUALITY_SLO),
                time=time,
                message=(
                    f"{slo.metric} of {key.model_name} {key.model_version} ({key.variant}) "
                    f"is {report.metric(slo.metric):.4g} over {report.n} labels; "
                    f"objective {slo.objective:.4g}"
                ),
            )
            for slo in self._slos
            if slo.breached(report)
        ]


def _concept_alert(event: JoinedLabel, quality: RollingQuality) -> Alert:
    return Alert(
        type=AlertType.CONCEPT_DRIFT,
        statistic=quality.detector_name,
        value=quality.mean_error,
        threshold=0.0,  # a change detector has no fixed threshold on the error itself
        window=quality.n,
        key=event.key,
        severity=severity_for(AlertType.CONCEPT_DRIFT),
        time=event.label_time,
        message=(
            f"error of {event.key.model_name} {event.key.model_version} ({event.key.variant}) "
            f"changed ({quality.detector_name} on |y - score|)"
        ),
    )
