"""Keeps a drifting system from flooding people: cool-off per alert key and a rate limit."""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from monitors.alert import Alert, Severity
from monitors.exceptions import MonitorConfigError

_MINUTE_MS = 60_000
_SEVERITY_ORDER = {Severity.PAGE: 0, Severity.TICKET: 1, Severity.INFO: 2}


class AlertDeduplicator:
    """Drops repeats of the same finding and caps the alert rate.

    Two alerts are the same finding when type, feature, model version and variant match; a
    repeat within ``cooloff_ms`` of the last admitted one is dropped. At most
    ``max_per_minute`` alerts are admitted in any 60 s of alert time. Within a batch, pages go
    first, so a flood of tickets cannot crowd out a page.

    Args:
        cooloff_ms: Quiet period per finding after it was admitted.
        max_per_minute: Alerts admitted per sliding minute.
    """

    def __init__(self, cooloff_ms: int = 3_600_000, max_per_minute: int = 10) -> None:
        if cooloff_ms < 0 or max_per_minute < 1:
            raise MonitorConfigError("need cooloff_ms >= 0 and max_per_minute >= 1")
        self._cooloff_ms = cooloff_ms
        self._max_per_minute = max_per_minute
        self._last_admitted: dict[tuple[str, str | None, str, str], int] = {}
        self._recent: list[int] = []  # admission times, sorted: pages jump the queue
        self.duplicates = 0
        self.rate_limited = 0

    def admit(self, alert: Alert) -> bool:
        """Whether to send this alert; remembers it if so."""
        key = (alert.type.value, alert.feature, alert.key.model_version, alert.key.variant)
        last = self._last_admitted.get(key)
        if last is not None and alert.time - last < self._cooloff_ms:
            self.duplicates += 1
            return False
        del self._recent[: bisect.bisect_right(self._recent, alert.time - _MINUTE_MS)]
        if len(self._recent) >= self._max_per_minute:
            self.rate_limited += 1
            return False
        bisect.insort(self._recent, alert.time)
        self._last_admitted[key] = alert.time
        return True

    def filter(self, alerts: Sequence[Alert]) -> list[Alert]:
        """The alerts of a batch worth sending, most severe first, then in time order."""
        ordered = sorted(alerts, key=lambda a: (_SEVERITY_ORDER[a.severity], a.time))
        return [alert for alert in ordered if self.admit(alert)]
