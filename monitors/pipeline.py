"""All monitoring stages wired together, still pure: records and event time in, decisions out.

The runner feeds decoded predictions and labels; this class keeps drift, label join, quality,
alert de-duplication, the retrain policy and the canary evaluation in step. Time is event
time (the largest one seen), so simulated streams and replays decide the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from monitors.alert import Alert
from monitors.alert_deduplicator import AlertDeduplicator
from monitors.baseline import Baseline
from monitors.canary_evaluator import CanaryConfig, CanaryDecision, CanaryEvaluator, CanaryVerdict
from monitors.column_drift import DriftConfig
from monitors.drift_monitor import DriftMonitor, RejectedRecord
from monitors.exceptions import InvalidRecordError
from monitors.label_joiner import JoinedLabel, LabelJoiner
from monitors.model_key import ModelKey
from monitors.quality_monitor import QualityMonitor, QualitySLO
from monitors.retrain_policy import RetrainConfig, RetrainPolicy

Record = Mapping[str, Any]


@dataclass(frozen=True)
class PipelineConfig:
    """Knobs of every stage, with defaults that suit the card-fraud example."""

    model_name: str = "fraud"
    drift: DriftConfig = field(default_factory=DriftConfig)
    drift_exclude: tuple[str, ...] = ()
    slos: tuple[QualitySLO, ...] = (QualitySLO("roc_auc", 0.75),)
    quality_window: int = 5_000
    label_ttl_ms: int = 7 * 24 * 3_600_000
    label_max_entries: int = 500_000
    retrain: RetrainConfig = field(default_factory=RetrainConfig)
    canary: CanaryConfig = field(default_factory=CanaryConfig)
    alert_cooloff_ms: int = 3_600_000
    alerts_per_minute: int = 10


@dataclass
class MonitorOutput:
    """What one update decided; the runner publishes it."""

    alerts: list[Alert] = field(default_factory=list)
    retrain_requests: list[dict[str, Any]] = field(default_factory=list)
    canary: CanaryDecision | None = None
    rejected: list[RejectedRecord] = field(default_factory=list)
    joined: list[JoinedLabel] = field(default_factory=list)


class MonitorPipeline:
    """Drift, delayed-label quality, alerts, retrain policy and canary, in one pure object."""

    def __init__(self, config: PipelineConfig) -> None:
        self.config = config
        self.baselines: dict[str, Baseline] = {}
        self.drift = DriftMonitor(self.baselines, config.drift, config.drift_exclude)
        self.joiner = LabelJoiner(config.label_ttl_ms, config.label_max_entries)
        self.quality = QualityMonitor(config.slos, window=config.quality_window)
        self.dedup = AlertDeduplicator(config.alert_cooloff_ms, config.alerts_per_minute)
        self.policy = RetrainPolicy(config.model_name, config.retrain)
        self.canary: CanaryEvaluator | None = None
        self.watermark_ms = 0

    def add_baseline(self, version: str, baseline: Baseline) -> None:
        """Register the training baseline of a model version (drift waits for it)."""
        self.baselines[version] = baseline

    def start_canary(self, champion_version: str, challenger_version: str) -> None:
        """Begin a fresh canary period comparing the two versions."""
        name = self.config.model_name
        self.canary = CanaryEvaluator(
            ModelKey(name, champion_version, "CHAMPION"),
            ModelKey(name, challenger_version, "CANARY"),
            self.config.canary,
        )

    def stop_canary(self) -> None:
        """End the canary period (after a decision was acted on)."""
        self.canary = None

    def on_predictions(self, predictions: Sequence[Record]) -> MonitorOutput:
        """Drift on features and score; predictions wait in the joiner for their labels.
        Repeats of a prediction (at-least-once delivery) are kept out of drift and counted by
        the joiner; a repeat of a rejected record is rejected alike."""
        out = MonitorOutput()
        fresh = self._first_seen(predictions)
        result = self.drift.update(list(fresh.values()))
        out.rejected.extend(result.rejected)
        rejected = {id(r.record): r.error for r in result.rejected}
        by_identity = {identity: id(record) for identity, record in fresh.items()}
        for record in predictions:
            error = rejected.get(id(record))
            if error is None and (original := by_identity.get(_identity(record))) is not None:
                error = rejected.get(original)
                if error is not None:
                    out.rejected.append(RejectedRecord(record, error))
            if error is not None:
                continue
            self.watermark_ms = max(self.watermark_ms, int(record["event_time"]))
            try:
                out.joined.extend(self.joiner.add_prediction(record))
            except InvalidRecordError as exc:
                out.rejected.append(RejectedRecord(record, exc))
        self._conclude(out, list(result.alerts))
        return out

    def _first_seen(self, predictions: Sequence[Record]) -> dict[object, Record]:
        """By identity, the first of each prediction in the batch that the joiner does not
        hold yet (a record without an event id is its own identity, for drift's validation
        to reject)."""
        fresh: dict[object, Record] = {}
        for record in predictions:
            identity = _identity(record)
            if identity in fresh:
                continue
            try:
                held = isinstance(identity, tuple) and self.joiner.is_duplicate(record)
            except InvalidRecordError:
                held = False
            if not held:
                fresh[identity] = record
        return fresh

    def on_labels(self, labels: Sequence[Record]) -> MonitorOutput:
        """Join labels; quality per model; canary evidence."""
        out = MonitorOutput()
        for label in labels:
            try:
                out.joined.extend(self.joiner.add_label(label))
            except InvalidRecordError as exc:
                out.rejected.append(RejectedRecord(label, exc))
        self.joiner.expire(self.watermark_ms)
        self._conclude(out, self.quality.update(out.joined))
        return out

    def _conclude(self, out: MonitorOutput, raw_alerts: list[Alert]) -> None:
        if self.canary is not None and out.joined:
            self.canary.update(out.joined)
            decision = self.canary.evaluate()
            if decision.verdict is not CanaryVerdict.CONTINUE:
                out.canary = decision
                raw_alerts.append(self.canary.alert(decision, self.watermark_ms))
        request = self.policy.update(raw_alerts, self.watermark_ms)
        # A challenger on canary is the answer to the last request: wait for its verdict.
        if request is not None and self.canary is None:
            out.retrain_requests.append(request)
        out.alerts.extend(self.dedup.filter(raw_alerts))


def _identity(record: Record) -> object:
    """A prediction's event id and model fields, or the record object itself without an id
    (checked by the joiner and drift, not here: this runs for every prediction)."""
    event_id = record.get("event_id")
    if not isinstance(event_id, str):
        return id(record)
    return (event_id, record.get("model_name"), record.get("model_version"), record.get("variant"))
