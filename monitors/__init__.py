"""Drift and quality monitors, alerts, the retrain policy and canary evaluation.

Every class here is a pure stage: records in, values out, no I/O and no clock of its own.
The monitor runner owns Kafka, (de)serialisation and the metrics endpoint.
"""

from __future__ import annotations

from monitors.alert import Alert, AlertType, Severity, severity_for
from monitors.alert_deduplicator import AlertDeduplicator
from monitors.baseline import SCORE_COLUMN, Baseline, ColumnBaseline
from monitors.canary_evaluator import CanaryConfig, CanaryDecision, CanaryEvaluator, CanaryVerdict
from monitors.change_detector import DetectorSpec
from monitors.column_drift import ColumnDrift, DriftConfig, DriftEvidence
from monitors.drift_monitor import DriftMonitor, DriftResult, DriftSnapshot, RejectedRecord
from monitors.exceptions import BaselineError, InvalidRecordError, MonitorConfigError, MonitorError
from monitors.experiment_report import ArmReport, ExperimentReport
from monitors.label_joiner import JoinCounts, JoinedLabel, LabelJoiner
from monitors.metrics import MonitorMetrics
from monitors.model_key import ModelKey
from monitors.quality_metrics import QualityReport
from monitors.quality_monitor import QualityMonitor, QualitySLO
from monitors.retrain_policy import RetrainConfig, RetrainPolicy
from monitors.rolling_quality import RollingQuality

__all__ = [
    "SCORE_COLUMN",
    "Alert",
    "AlertDeduplicator",
    "AlertType",
    "ArmReport",
    "Baseline",
    "BaselineError",
    "CanaryConfig",
    "CanaryDecision",
    "CanaryEvaluator",
    "CanaryVerdict",
    "ColumnBaseline",
    "ColumnDrift",
    "DetectorSpec",
    "DriftConfig",
    "DriftEvidence",
    "DriftMonitor",
    "DriftResult",
    "DriftSnapshot",
    "ExperimentReport",
    "InvalidRecordError",
    "JoinCounts",
    "JoinedLabel",
    "LabelJoiner",
    "ModelKey",
    "MonitorConfigError",
    "MonitorError",
    "MonitorMetrics",
    "QualityMonitor",
    "QualityReport",
    "QualitySLO",
    "RejectedRecord",
    "RetrainConfig",
    "RetrainPolicy",
    "RollingQuality",
    "Severity",
    "severity_for",
]
