"""Labelled outcomes of one experiment arm, and bootstrap intervals over them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from monitors.quality_metrics import FloatArray, QualityReport, metric_value, per_event_log_loss


@dataclass
class ArmOutcomes:
    """Scores, thresholds and labels of the events one arm served, in arrival order."""

    y: list[float] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    thresholds: list[float] = field(default_factory=list)

    @property
    def n(self) -> int:
        """Labelled events."""
        return len(self.y)

    def add(self, y: int, score: float, threshold: float) -> None:
        """Records one labelled event."""
        self.y.append(float(y))
        self.scores.append(score)
        self.thresholds.append(threshold)

    def losses(self) -> FloatArray:
        """Per-event log-loss."""
        return per_event_log_loss(self.y, self.scores)

    def report(self) -> QualityReport:
        """Quality over all events of the arm (at least one)."""
        return QualityReport.compute(self.y, self.scores, self.thresholds)

    def bootstrap(
        self, metric: str, n_boot: int, confidence: float, rng: np.random.Generator
    ) -> tuple[float, float] | None:
        """Percentile bootstrap interval of a ``QualityReport`` metric.

        Resamples events with replacement; resamples where the metric is undefined (one class
        only, for ROC AUC) are skipped, and ``None`` is returned if most of them were.
        """
        arrays = (np.asarray(self.y), np.asarray(self.scores), np.asarray(self.thresholds))

        def statistic(index: npt.NDArray[np.int64]) -> float | None:
            return metric_value(metric, *(a[index] for a in arrays))

        return percentile_interval(statistic, self.n, n_boot, confidence, rng)


def percentile_interval(
    statistic: Callable[[npt.NDArray[np.int64]], float | None],
    n: int,
    n_boot: int,
    confidence: float,
    rng: np.random.Generator,
) -> tuple[float, float] | None:
    """Two-sided percentile bootstrap interval of ``statistic`` over resampled indices."""
    values = []
    for _ in range(n_boot):
        value = statistic(rng.integers(0, n, size=n))
        if value is not None:
            values.append(value)
    if len(values) < n_boot / 2:
        return None
    tail = (1.0 - confidence) / 2.0 * 100.0
    low, high = np.percentile(values, [tail, 100.0 - tail])
    return float(low), float(high)
