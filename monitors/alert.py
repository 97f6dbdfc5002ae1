"""The value every monitor emits when it finds something, and its alert.v1 form."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from monitors.model_key import ModelKey

# A fixed namespace makes alert ids deterministic: replaying a stream yields the same ids,
# so a sink can drop the duplicates at-least-once delivery produces.
_ALERT_NAMESPACE = uuid.UUID("6f1c2a53-0d8e-4d3b-9a57-5b0c1e7e4a10")

PAGE_FEATURE_COUNT = 3
"""Drift confirmed on this many features of one model at once is paged, not ticketed."""


class AlertType(StrEnum):
    """What an alert is about (alert.v1 ``AlertType``)."""

    FEATURE_DRIFT = "FEATURE_DRIFT"
    SCORE_DRIFT = "SCORE_DRIFT"
    CONCEPT_DRIFT = "CONCEPT_DRIFT"
    QUALITY_SLO = "QUALITY_SLO"
    CANARY_DECISION = "CANARY_DECISION"


class Severity(StrEnum):
    """Who should act on an alert (alert.v1 ``Severity``)."""

    PAGE = "PAGE"
    TICKET = "TICKET"
    INFO = "INFO"


def severity_for(alert_type: AlertType, drifting_features: int = 1) -> Severity:
    """The house severity of an alert.

    Quality below its objective pages someone; drift of one feature, of the score, or of the
    concept is a ticket (it may not hurt quality yet); drift on ``PAGE_FEATURE_COUNT`` or more
    features at once is paged; a canary decision is information.

    Args:
        alert_type: The kind of alert.
        drifting_features: Features of the same model currently confirmed as drifting.

    Returns:
        The severity.
    """
    if alert_type is AlertType.QUALITY_SLO:
        return Severity.PAGE
    if alert_type is AlertType.CANARY_DECISION:
        return Severity.INFO
    if alert_type is AlertType.FEATURE_DRIFT and drifting_features >= PAGE_FEATURE_COUNT:
        return Severity.PAGE
    return Severity.TICKET


@dataclass(frozen=True)
class Alert:
    """A monitor's finding.

    Attributes:
        type: What the alert is about.
        statistic: The statistic that fired (``psi``, ``ks``, ``adwin``, ``roc_auc``, ...).
        value: The statistic's value.
        threshold: The threshold it crossed.
        window: Number of observations the statistic covers.
        key: The model the finding is about.
        severity: Who should act.
        time: Epoch milliseconds, taken from the records that caused the alert.
        feature: The feature, for feature drift; ``None`` otherwise.
        message: A sentence for humans.
    """

    type: AlertType
    statistic: str
    value: float
    threshold: float
    window: int
    key: ModelKey
    severity: Severity
    time: int
    feature: str | None = None
    message: str = ""

    @property
    def alert_id(self) -> str:
        """A deterministic id derived from what, where and when."""
        key = self.key
        parts = (self.type, self.feature, *vars(key).values(), self.statistic, self.time)
        return str(uuid.uuid5(_ALERT_NAMESPACE, "|".join(str(part) for part in parts)))

    def to_record(self) -> dict[str, Any]:
        """The alert as an alert.v1 record."""
        return {
            "alert_id": self.alert_id,
            "type": self.type.value,
            "feature": self.feature,
            "statistic": self.statistic,
            "value": float(self.value),
            "threshold": float(self.threshold),
            "window": int(self.window),
            "model_name": self.key.model_name,
            "model_version": self.key.model_version,
            "variant": self.key.variant,
            "severity": self.severity.value,
            "message": self.message,
            "time": int(self.time),
        }
