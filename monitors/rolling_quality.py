"""Quality of one model over its last N labelled events, with concept-drift detection."""

from __future__ import annotations

from collections import deque

import numpy as np

from monitors.change_detector import DetectorSpec
from monitors.exceptions import MonitorConfigError
from monitors.quality_metrics import QualityReport


class RollingQuality:
    """Rolling quality metrics plus a change detector on the per-event error ``|y - score|``.

    A rise in the mean error while the inputs look stable is concept drift: the relation
    between features and fraud changed. The error is bounded in [0, 1], which suits ADWIN.

    Args:
        window: Labelled events the metrics cover.
        detector: Change detector on the error stream.

    Example:
        >>> quality = RollingQuality(window=3)
        >>> for y, score in [(1, 0.9), (0, 0.2), (0, 0.4), (1, 0.7)]:
        ...     _ = quality.update(y, score, threshold=0.5)
        >>> quality.n, quality.report().recall
        (3, 1.0)
    """

    def __init__(self, window: int = 5_000, detector: DetectorSpec | None = None) -> None:
        if window < 1:
            raise MonitorConfigError("window must be positive")
        self._events: deque[tuple[float, float, float]] = deque(maxlen=window)
        self._spec = detector or DetectorSpec("adwin", {"delta": 0.002})
        self._detector = self._spec.build()

    @property
    def n(self) -> int:
        """Labelled events currently in the window."""
        return len(self._events)

    @property
    def detector_name(self) -> str:
        """Name of the concept-drift detector."""
        return self._spec.name

    @property
    def drift_detected(self) -> bool:
        """Whether the last update found a change in the error stream."""
        return self._detector.drift_detected

    @property
    def mean_error(self) -> float:
        """Mean ``|y - score|`` over the window (0.0 when empty)."""
        if not self._events:
            return 0.0
        return float(np.mean([abs(y - score) for y, score, _ in self._events]))

    def update(self, y: int, score: float, threshold: float) -> RollingQuality:
        """Adds one labelled event."""
        self._events.append((float(y), score, threshold))
        self._detector.update(abs(y - score))
        return self

    def report(self) -> QualityReport | None:
        """Metrics over the window, or ``None`` before the first event."""
        if not self._events:
            return None
        y, scores, thresholds = np.array(self._events, dtype=np.float64).T
        return QualityReport.compute(y, scores, thresholds)
