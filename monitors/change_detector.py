"""River change detectors chosen by name and parameters, as configuration allows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from river import drift

from monitors.exceptions import MonitorConfigError

_DETECTORS: Mapping[str, Any] = {
    "adwin": drift.ADWIN,
    "kswin": drift.KSWIN,
    "page_hinkley": drift.PageHinkley,
}


class ChangeDetector(Protocol):
    """The part of river's ``DriftDetector`` interface the monitors use."""

    @property
    def drift_detected(self) -> bool:
        """Whether the last update found a change."""

    def update(self, x: float) -> Any:
        """Feeds one value."""


@dataclass(frozen=True)
class DetectorSpec:
    """A river detector by name with its constructor parameters.

    Attributes:
        name: ``adwin``, ``kswin`` or ``page_hinkley``.
        params: Keyword arguments for the river class, e.g. ``{"delta": 0.002}``.
    """

    name: str = "adwin"
    params: Mapping[str, float | int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.name not in _DETECTORS:
            known = ", ".join(sorted(_DETECTORS))
            raise MonitorConfigError(f"unknown detector {self.name!r}; known: {known}")

    def build(self) -> ChangeDetector:
        """A fresh detector.

        Raises:
            MonitorConfigError: If river rejects the parameters.
        """
        try:
            detector: ChangeDetector = _DETECTORS[self.name](**self.params)
        except (TypeError, ValueError) as error:
            raise MonitorConfigError(f"{self.name}: {error}") from error
        return detector
