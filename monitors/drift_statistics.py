"""Distances between a window of live values and a column's training baseline."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.special import kolmogi, kolmogorov
from scipy.stats import chi2

from monitors.baseline import ColumnBaseline

FloatArray = npt.NDArray[np.float64]

PSI_FLOOR = 1e-4
"""Proportions are floored here so that an empty bin gives a large, finite PSI."""


class ReferenceColumn:
    """A column baseline held as arrays, so each window costs a few vectorised calls.

    Args:
        baseline: The column's training baseline.
    """

    def __init__(self, baseline: ColumnBaseline) -> None:
        self.name = baseline.name
        self.edges: FloatArray = np.asarray(baseline.edges, dtype=np.float64)
        self.proportions: FloatArray = np.maximum(
            np.asarray(baseline.proportions, dtype=np.float64), PSI_FLOOR
        )
        self.sample: FloatArray = np.asarray(baseline.sample, dtype=np.float64)

    def psi(self, window: FloatArray) -> float:
        """Population stability index of the window against the training bins."""
        bins = np.searchsorted(self.edges, window, side="right")
        counts = np.bincount(bins, minlength=self.proportions.size)
        live = np.maximum(counts / window.size, PSI_FLOOR)
        return float(np.sum((live - self.proportions) * np.log(live / self.proportions)))

    def chi2(self, window: FloatArray) -> tuple[float, float]:
        """Pearson chi-square of the window's bin counts against the training proportions.

        The proportions come from the whole training set, not the small reference sample, so
        the test carries no reference-sampling noise; it catches what KS misses on discrete
        features (a binary flag from 10 % to 20 % is a 0.1 KS distance but chi-square 55).
        Bins empty in training count only when live values land in them.
        """
        bins = np.searchsorted(self.edges, window, side="right")
        counts = np.bincount(bins, minlength=self.proportions.size)
        expected = self.proportions * window.size
        statistic = float(np.sum((counts - expected) ** 2 / expected))
        dof = max(int(np.sum(self.proportions > PSI_FLOOR)) - 1, 1)
        return statistic, float(chi2.sf(statistic, dof))

    def ks(self, window: FloatArray) -> tuple[float, float]:
        """Two-sample Kolmogorov-Smirnov statistic and asymptotic p-value.

        Equal to ``scipy.stats.ks_2samp(window, sample, method="asymp")`` in the statistic;
        the p-value is Kolmogorov's limit law, a few times cheaper than scipy's wrapper.
        """
        ordered = np.sort(window)
        points = np.concatenate((ordered, self.sample))
        live_cdf = np.searchsorted(ordered, points, side="right") / ordered.size
        ref_cdf = np.searchsorted(self.sample, points, side="right") / self.sample.size
        statistic = float(np.max(np.abs(live_cdf - ref_cdf)))
        n, m = ordered.size, self.sample.size
        p_value = float(kolmogorov(statistic * np.sqrt(n * m / (n + m))))
        return statistic, min(max(p_value, 0.0), 1.0)

    def ks_critical(self, window_size: int, alpha: float) -> float:
        """The KS statistic whose asymptotic p-value is ``alpha`` for this window size."""
        m = self.sample.size
        return float(kolmogi(alpha) / np.sqrt(window_size * m / (window_size + m)))

    def pit(self, values: FloatArray) -> FloatArray:
        """Probability integral transform: each value's mid-rank in the reference sample.

        Near-uniform on [0, 1] with mean 1/2 when nothing drifted, whatever the feature's tails,
        which is what makes it a safe input for river's change detectors.
        """
        below = np.searchsorted(self.sample, values, side="left")
        at_or_below = np.searchsorted(self.sample, values, side="right")
        result: FloatArray = (below + at_or_below) / (2.0 * self.sample.size)
        return result
