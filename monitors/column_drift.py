"""Drift of one column (a feature or the score) against its training baseline."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from monitors.baseline import ColumnBaseline
from monitors.change_detector import DetectorSpec
from monitors.drift_statistics import FloatArray, ReferenceColumn
from monitors.exceptions import MonitorConfigError


@dataclass(frozen=True)
class DriftConfig:
    """How a column's drift is measured and when it is believed.

    Every ``step`` values the last ``window_size`` values are compared with the baseline. A
    window *signals* when PSI exceeds ``psi_threshold`` (an effect size), when the
    chi-square test of its bin counts or the KS test against the reference sample has a p-value
    below ``alpha``, or when the river detector fired since the previous window. Drift is
    *confirmed* after ``confirm_windows`` consecutive signalling windows and reported once;
    the episode ends after as many consecutive quiet windows.

    The detector sees each value's probability integral transform against the reference
    sample, not the raw value: bounded and uniform without drift, so heavy tails cannot fire it.

    Attributes:
        window_size: Values per compared window.
        step: Values between two comparisons.
        min_samples: Values needed before the first comparison.
        psi_threshold: PSI above this signals (0.1 is "moderate", 0.25 "major" by convention).
        alpha: A chi-square or KS p-value below this signals; small because every window of
            every column is tested.
        min_reference: Reference-sample size below which KS is not computed.
        confirm_windows: Consecutive signalling windows that confirm drift.
        min_effect: PSI a window needs before its significance tests count. Live values come
            in bursts (one card's card-testing run fills a window with alike rows), which
            makes tiny, harmless shifts "significant"; requiring some effect keeps them quiet.
        detector: River detector fed per value, or ``None`` for windowed tests only.
    """

    window_size: int = 500
    step: int = 250
    min_samples: int = 500
    psi_threshold: float = 0.2
    alpha: float = 1e-4
    min_reference: int = 100
    confirm_windows: int = 2
    min_effect: float = 0.0
    detector: DetectorSpec | None = field(
        default_factory=lambda: DetectorSpec("adwin", {"delta": 1e-3})
    )

    def __post_init__(self) -> None:
        if not 0 < self.step <= self.window_size:
            raise MonitorConfigError("need 0 < step <= window_size")
        if not 0 < self.min_samples <= self.window_size:
            raise MonitorConfigError("need 0 < min_samples <= window_size")
        if self.confirm_windows < 1 or self.psi_threshold <= 0 or not 0 < self.alpha < 1:
            raise MonitorConfigError("need confirm_windows >= 1, psi_threshold > 0, 0<alpha<1")


@dataclass(frozen=True)
class DriftEvidence:
    """A confirmed drift of one column.

    Attributes:
        column: Feature name, or ``SCORE_COLUMN``.
        statistic: What fired in the confirming window: ``psi``, ``ks`` or the detector name.
        value: That statistic's value (for a detector: the window's mean transformed value).
        threshold: Its threshold.
        window: Values in the confirming window.
        offset: Position in the batch passed to ``update_many`` at which drift was confirmed.
        seen: Values seen by the column up to and including that one.
    """

    column: str
    statistic: str
    value: float
    threshold: float
    window: int
    offset: int
    seen: int


class ColumnDrift:
    """Windowed PSI and KS plus a river detector for one column, river style.

    Args:
        baseline: The column's training baseline.
        config: Windows, thresholds and detector.

    Example:
        >>> import numpy as np
        >>> from monitors.baseline import ColumnBaseline
        >>> rng = np.random.default_rng(7)
        >>> column = ColumnDrift(ColumnBaseline.fit("x", rng.normal(size=5000)), DriftConfig())
        >>> stream = np.concatenate([rng.normal(size=2000), rng.normal(1.0, 1.0, size=2000)])
        >>> [column.seen - 1 for x in stream if column.update(x).drift_detected]
        [2499]
    """

    def __init__(self, baseline: ColumnBaseline, config: DriftConfig) -> None:
        self._reference = ReferenceColumn(baseline)
        self._config = config
        self._detector = config.detector.build() if config.detector else None
        self._buffer: FloatArray = np.zeros(config.window_size)
        self._seen = 0
        self._since_check = 0
        self._detector_fired = False
        self._streak = 0
        self._quiet = 0
        self._drifting = False
        self._drift_detected = False
        self.last_psi = float("nan")
        self.last_chi2_pvalue = float("nan")
        self.last_ks_pvalue = float("nan")

    @property
    def name(self) -> str:
        """The column's name (``SCORE_COLUMN`` for the score)."""
        return self._reference.name

    @property
    def seen(self) -> int:
        """Values seen so far."""
        return self._seen

    @property
    def drift_detected(self) -> bool:
        """Whether the last update confirmed a drift (true once per drift episode)."""
        return self._drift_detected

    @property
    def drifting(self) -> bool:
        """Whether the column is in a confirmed drift that has not calmed down yet."""
        return self._drifting

    def update(self, x: float) -> ColumnDrift:
        """Feeds one value."""
        self.update_many(np.array([x], dtype=np.float64))
        return self

    def update_many(self, values: npt.ArrayLike) -> list[DriftEvidence]:
        """Feeds a batch of values in stream order and returns the drifts they confirmed."""
        data = np.asarray(values, dtype=np.float64)
        found: list[DriftEvidence] = []
        position = 0
        while position < data.size:
            chunk = data[position : position + self._config.step - self._since_check]
            self._append(chunk)
            position += chunk.size
            if self._since_check == self._config.step:
                self._since_check = 0
                evidence = self._check(offset=position - 1)
                if evidence is not None:
                    found.append(evidence)
        self._drift_detected = bool(found)
        return found

    def _append(self, chunk: FloatArray) -> None:
        slots = (self._seen + np.arange(chunk.size)) % self._config.window_size
        self._buffer[slots] = chunk
        self._seen += chunk.size
        self._since_check += chunk.size
        if self._detector is not None:
            for u in self._reference.pit(chunk).tolist():
                self._detector.update(u)
                self._detector_fired = self._detector_fired or self._detector.drift_detected

    def _check(self, offset: int) -> DriftEvidence | None:
        config = self._config
        if self._seen < config.min_samples:
            return None
        window = self._buffer[: min(self._seen, config.window_size)]
        fired = self._signals(window)
        self._detector_fired = False
        if not fired:
            self._streak, self._quiet = 0, self._quiet + 1
            if self._quiet >= config.confirm_windows:
                self._drifting = False
            return None
        self._streak, self._quiet = self._streak + 1, 0
        if self._streak < config.confirm_windows or self._drifting:
            return None
        self._drifting = True
        statistic, value, threshold = fired[0]
        return DriftEvidence(
            self._reference.name, statistic, value, threshold, window.size, offset, self._seen
        )

    def _signals(self, window: FloatArray) -> list[tuple[str, float, float]]:
        """Each statistic over its threshold in this window, strongest evidence first."""
        config = self._config
        fired: list[tuple[str, float, float]] = []
        self.last_psi = self._reference.psi(window)
        if self.last_psi > config.psi_threshold:
            fired.append(("psi", self.last_psi, config.psi_threshold))
        if self.last_psi < config.min_effect:
            return fired
        statistic, self.last_chi2_pvalue = self._reference.chi2(window)
        if self.last_chi2_pvalue < config.alpha:
            fired.append(("chi2_pvalue", self.last_chi2_pvalue, config.alpha))
        if self._reference.sample.size >= config.min_reference:
            statistic, self.last_ks_pvalue = self._reference.ks(window)
            if self.last_ks_pvalue < config.alpha:
                critical = self._reference.ks_critical(window.size, config.alpha)
                fired.append(("ks", statistic, critical))
        if self._detector_fired and config.detector is not None:
            mean_pit = float(np.mean(self._reference.pit(window)))
            fired.append((config.detector.name, mean_pit, 0.5))
        return fired
