"""Input and score drift of every deployed model, from batches of prediction records."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from monitors.alert import Alert, AlertType, severity_for
from monitors.baseline import SCORE_COLUMN, Baseline
from monitors.column_drift import ColumnDrift, DriftConfig, DriftEvidence
from monitors.exceptions import InvalidRecordError
from monitors.model_key import ModelKey

Record = Mapping[str, Any]


@dataclass(frozen=True)
class RejectedRecord:
    """A record a monitor could not use, kept with its error for the dead-letter path."""

    record: Record
    error: InvalidRecordError


@dataclass(frozen=True)
class DriftResult:
    """What one batch produced: confirmed-drift alerts and the records that were rejected."""

    alerts: tuple[Alert, ...]
    rejected: tuple[RejectedRecord, ...]


@dataclass(frozen=True)
class DriftSnapshot:
    """The latest statistics of one column, for the metrics exporter."""

    key: ModelKey
    column: str
    psi: float
    ks_pvalue: float
    drifting: bool


class DriftMonitor:
    """Per (model version, variant) drift of each feature and of the score.

    Args:
        baselines: Training baseline per model version; the runner may add versions as the
            registry announces them. Predictions of other versions are counted and skipped.
        config: Windows, thresholds and detector, shared by every column.
    """

    def __init__(
        self,
        baselines: Mapping[str, Baseline],
        config: DriftConfig,
        exclude: Collection[str] = (),
    ) -> None:
        self._baselines = baselines
        self._config = config
        # Columns not watched: cyclical inputs (hour of day, counts "today") differ between
        # any one window and the training mix by design.
        self._exclude = frozenset(exclude)
        self._columns: dict[ModelKey, list[ColumnDrift | None]] = {}
        self.skipped_without_baseline = 0

    def update(self, predictions: Sequence[Record]) -> DriftResult:
        """Feeds prediction.v1 records in stream order."""
        groups: dict[ModelKey, list[Record]] = {}
        rejected: list[RejectedRecord] = []
        for record in predictions:
            try:
                key = self._validate(record)
            except InvalidRecordError as error:
                rejected.append(RejectedRecord(record, error))
                continue
            if key is not None:
                groups.setdefault(key, []).append(record)
        alerts = [alert for key, rows in groups.items() for alert in self._update_key(key, rows)]
        return DriftResult(tuple(alerts), tuple(rejected))

    def snapshot(self) -> list[DriftSnapshot]:
        """The latest PSI and KS p-value of every monitored column."""
        return [
            DriftSnapshot(key, c.name, c.last_psi, c.last_ks_pvalue, c.drifting)
            for key, columns in self._columns.items()
            for c in columns
            if c is not None
        ]

    def _validate(self, record: Record) -> ModelKey | None:
        key = ModelKey.of(record)
        baseline = self._baselines.get(key.model_version)
        if baseline is None:
            self.skipped_without_baseline += 1
            return None
        features = record.get("features")
        if not isinstance(features, Sequence) or len(features) != len(baseline.feature_names):
            raise InvalidRecordError(
                f"{record.get('event_id')}: expected {len(baseline.feature_names)} features"
            )
        score = record.get("score")
        if not isinstance(score, int | float) or not 0.0 <= score <= 1.0:
            raise InvalidRecordError(f"{record.get('event_id')}: score must be in [0, 1]")
        if not all(isinstance(v, int | float) and math.isfinite(v) for v in features):
            raise InvalidRecordError(f"{record.get('event_id')}: non-finite feature")
        return key

    def _update_key(self, key: ModelKey, rows: list[Record]) -> list[Alert]:
        columns = self._columns.get(key)
        if columns is None:
            baseline = self._baselines[key.model_version]
            columns = [
                None if column.name in self._exclude else ColumnDrift(column, self._config)
                for column in baseline.columns
            ]
            self._columns[key] = columns
        matrix = np.array([[*row["features"], row["score"]] for row in rows], dtype=np.float64)
        evidence = [
            e for i, c in enumerate(columns) if c is not None for e in c.update_many(matrix[:, i])
        ]
        drifting = sum(column.drifting for column in columns[:-1] if column is not None)
        return [self._alert(key, e, rows, drifting) for e in evidence]

    @staticmethod
    def _alert(key: ModelKey, evidence: DriftEvidence, rows: list[Record], drifting: int) -> Alert:
        is_score = evidence.column == SCORE_COLUMN
        alert_type = AlertType.SCORE_DRIFT if is_score else AlertType.FEATURE_DRIFT
        what = "score" if is_score else f"feature {evidence.column!r}"
        return Alert(
            type=alert_type,
            statistic=evidence.statistic,
            value=evidence.value,
            threshold=evidence.threshold,
            window=evidence.window,
            key=key,
            severity=severity_for(alert_type, drifting),
            # Event time, like every clock the monitors use: replays and simulated streams
            # then decide (cool-offs, retrain windows) exactly as live traffic does.
            time=int(rows[evidence.offset]["event_time"]),
            feature=None if is_score else evidence.column,
            message=(
                f"{what} of {key.model_name} {key.model_version} ({key.variant}) drifted: "
                f"{evidence.statistic}={evidence.value:.4g} vs {evidence.threshold:.4g}"
            ),
        )
