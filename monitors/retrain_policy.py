"""Decides when to ask the trainer for a new challenger, and says why."""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from monitors.alert import Alert, AlertType
from monitors.exceptions import MonitorConfigError

_DAY_MS = 86_400_000
_DRIFT_TYPES = frozenset({AlertType.FEATURE_DRIFT, AlertType.SCORE_DRIFT, AlertType.CONCEPT_DRIFT})
_REQUEST_NAMESPACE = uuid.UUID("0b6f7c1e-7f38-4a51-8f0c-3c1d2f9e5a27")


@dataclass(frozen=True)
class RetrainConfig:
    """When drift or quality justifies retraining.

    Attributes:
        min_labeled: Labelled events a quality alert must cover to count.
        min_signals: Distinct confirmed drift signals (type and feature) needed at once.
        signal_window_ms: How long a confirmed drift signal stays current.
        persist_ms: How long drift must have been confirmed before it justifies a retrain
            (the oldest current signal's age): labels of the new regime arrive meanwhile.
        cooldown_ms: Minimum time between two requests.
        max_per_day: Maximum requests in any 24 h.
        variants: Variants whose alerts count (a canary's drift is the canary's business).
    """

    min_labeled: int = 1_000
    min_signals: int = 2
    signal_window_ms: int = 3_600_000
    persist_ms: int = 0
    cooldown_ms: int = 6 * 3_600_000
    max_per_day: int = 2
    variants: tuple[str, ...] = ("CHAMPION",)

    def __post_init__(self) -> None:
        if self.min_signals < 1 or self.max_per_day < 1 or self.signal_window_ms <= 0:
            raise MonitorConfigError("need min_signals, max_per_day, signal_window_ms >= 1")


class RetrainPolicy:
    """Turns alerts into retrain requests for one model.

    Feed it every alert, before de-duplication: persistence is judged on the raw signals.

    Args:
        model_name: The model whose alerts count.
        config: Thresholds, cooldown and frequency cap.
    """

    def __init__(self, model_name: str, config: RetrainConfig) -> None:
        self._model_name = model_name
        self._config = config
        # signal name -> (first seen, last seen), event time
        self._signals: dict[str, tuple[int, int]] = {}
        self._requests: deque[int] = deque()
        self.last_reason = "no alert yet"

    def update(self, alerts: Sequence[Alert], now_ms: int) -> dict[str, Any] | None:
        """Takes a batch of alerts; returns a retrain_request.v1 record or ``None``.

        ``last_reason`` says why a request was or was not made.
        """
        quality: Alert | None = None
        for alert in alerts:
            if alert.key.model_name != self._model_name:
                continue
            if alert.key.variant not in self._config.variants:
                continue
            if alert.type in _DRIFT_TYPES:
                name = f"{alert.type.value}:{alert.feature or ''}"
                first, _ = self._signals.get(name, (alert.time, alert.time))
                self._signals[name] = (min(first, alert.time), alert.time)
            elif alert.type is AlertType.QUALITY_SLO and alert.window >= self._config.min_labeled:
                quality = quality or alert
        self._signals = {
            name: seen
            for name, seen in self._signals.items()
            if now_ms - seen[1] < self._config.signal_window_ms
        }
        reason = self._reason(quality, now_ms)
        if reason is None:
            return None
        return self._request(reason, quality, now_ms)

    def _reason(self, quality: Alert | None, now_ms: int) -> str | None:
        if quality is not None:
            return (
                f"quality below objective: {quality.statistic}={quality.value:.4g} "
                f"(objective {quality.threshold:.4g}) over {quality.window} labels"
            )
        if len(self._signals) >= self._config.min_signals:
            names = ", ".join(sorted(self._signals))
            age = now_ms - min(first for first, _ in self._signals.values())
            if age < self._config.persist_ms:
                self.last_reason = f"drift for {age} ms, waiting {self._config.persist_ms} ms"
                return None
            return f"drift confirmed by {len(self._signals)} signals for {age} ms: {names}"
        self.last_reason = f"{len(self._signals)} current drift signal(s), no quality breach"
        return None

    def _request(self, reason: str, quality: Alert | None, now_ms: int) -> dict[str, Any] | None:
        while self._requests and now_ms - self._requests[0] >= _DAY_MS:
            self._requests.popleft()
        if self._requests and now_ms - self._requests[-1] < self._config.cooldown_ms:
            self.last_reason = f"suppressed by cooldown: {reason}"
            return None
        if len(self._requests) >= self._config.max_per_day:
            self.last_reason = f"suppressed by max {self._config.max_per_day}/day: {reason}"
            return None
        self._requests.append(now_ms)
        self.last_reason = reason
        signals = [f"QUALITY_SLO:{quality.statistic}"] if quality else sorted(self._signals)
        start = quality.time if quality else min(first for first, _ in self._signals.values())
        request_id = uuid.uuid5(_REQUEST_NAMESPACE, f"{self._model_name}|{now_ms}")
        self._signals.clear()
        return {
            "request_id": str(request_id),
            "model_name": self._model_name,
            "reason": reason,
            "signals": signals,
            "window_start": start,
            "window_end": now_ms,
            "requested_at": now_ms,
        }
