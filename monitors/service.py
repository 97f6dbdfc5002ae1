"""``eventml run monitor``: the thin runner around :class:`MonitorPipeline`.

Consumes predictions, shadow predictions, labels and model events; publishes alerts and
retrain requests; acts on canary decisions through the registry (promote or roll back, each a
model event with its evidence). Offsets are committed only after everything a batch caused
was acknowledged (the shared consume loop).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any, Protocol

from monitors.baseline import Baseline
from monitors.canary_evaluator import CanaryDecision, CanaryVerdict
from monitors.drift_monitor import RejectedRecord
from monitors.exceptions import BaselineError
from monitors.join_history import LABEL, PREDICTION, rebuild_joiner
from monitors.metrics import MonitorMetrics
from monitors.pipeline import MonitorOutput, MonitorPipeline
from monitors.settings import MonitorSettings
from streams.exceptions import EventmlError
from streams.kafka.clients import make_background_consumer, make_producer
from streams.kafka.consume_loop import ConsumeLoop, Decoded
from streams.kafka.dead_letter import DeadLetter
from streams.kafka.message import KafkaMessage
from streams.kafka.topics import TopicCatalogue
from streams.producer import RecordProducer, codec_for
from streams.settings import KafkaSettings

log = logging.getLogger(__name__)
STAGE = "monitor"


class Registry(Protocol):
    """What the monitor needs of the model registry."""

    model_name: str

    def holder(self, alias: str) -> str | None: ...
    def baseline_json(self, version: str) -> str: ...
    def promote(self, version: str, alias: str, reason: str, actor: str) -> Any: ...
    def remove(self, alias: str, reason: str, actor: str) -> Any: ...


class MonitorService:
    """Wires Kafka, the registry and the metrics around the pure pipeline."""

    def __init__(
        self,
        kafka: KafkaSettings,
        topics: TopicCatalogue,
        settings: MonitorSettings,
        registry: Registry,
        metrics: MonitorMetrics,
    ) -> None:
        self.topics = topics
        self.settings = settings
        self.registry = registry
        self.metrics = metrics
        self.pipeline = MonitorPipeline(settings.pipeline_config(registry.model_name))
        self._alerts = RecordProducer(kafka, topics.alerts, "alert", key_field="model_version")
        self._retrain = RecordProducer(
            kafka, topics.retrain_requests, "retrain_request", key_field="model_name"
        )
        consumed = {
            topics.predictions: "prediction",
            topics.predictions_shadow: "prediction",
            topics.labels: "label",
            topics.model_events: "model_event",
        }
        codecs = {topic: codec_for(kafka, topic, record) for topic, record in consumed.items()}
        self.consumer = make_background_consumer(kafka, settings.group_id)
        self.consumer.subscribe(list(consumed))
        self.loop = ConsumeLoop(
            self.consumer,
            make_producer(kafka),
            codecs,
            self.handle,
            STAGE,
            batch_size=settings.batch_size,
        )
        if settings.join_rebuild_records > 0:
            self._rebuild_join(kafka, codecs)
        self.decisions: list[CanaryDecision] = []
        self._without_baseline: set[str] = set()
        self._refresh_canary()

    def _rebuild_join(self, kafka: KafkaSettings, codecs: dict[str, Any]) -> None:
        topics = self.topics
        sources = {
            topics.predictions: (PREDICTION, codecs[topics.predictions]),
            topics.predictions_shadow: (PREDICTION, codecs[topics.predictions_shadow]),
            topics.labels: (LABEL, codecs[topics.labels]),
        }
        done = rebuild_joiner(
            kafka,
            self.settings.group_id,
            sources,
            self.pipeline.joiner,
            self.settings.join_rebuild_records,
            self.settings.join_rebuild_timeout_s,
        )
        log.info(
            "label join rebuilt from %d records in %.1f s: %d predictions and %d labels waiting",
            done.replayed,
            done.seconds,
            done.predictions_waiting,
            done.labels_waiting,
        )

    def run(self, should_stop: Callable[[], bool]) -> None:
        """Consume until ``should_stop()``; then close the consumer (committing nothing new)."""
        try:
            self.loop.run(should_stop)
        finally:
            self.consumer.close()

    def handle(self, records: Decoded) -> list[DeadLetter]:
        """Route one decoded batch through the pipeline and publish what it decided."""
        by_topic: dict[str, list[tuple[KafkaMessage, dict[str, Any]]]] = {}
        for msg, record in records:
            by_topic.setdefault(msg.topic() or "", []).append((msg, record))
        if by_topic.get(self.topics.model_events):
            self._refresh_canary()
        dead: list[DeadLetter] = []
        predictions = by_topic.get(self.topics.predictions, []) + by_topic.get(
            self.topics.predictions_shadow, []
        )
        if predictions:
            self._load_baselines(r for _, r in predictions)
            dead += self._publish(
                self.pipeline.on_predictions([r for _, r in predictions]), predictions
            )
        labels = by_topic.get(self.topics.labels, [])
        if labels:
            dead += self._publish(self.pipeline.on_labels([r for _, r in labels]), labels)
        self.metrics.observe_join(self.pipeline.joiner.counts)
        self.metrics.observe_drift(self.pipeline.drift.snapshot())
        self.metrics.observe_quality(self.pipeline.quality.reports())
        return dead

    def _publish(self, out: MonitorOutput, source: Decoded) -> list[DeadLetter]:
        for alert in out.alerts:
            self._alerts.send(alert.to_record())
        for request in out.retrain_requests:
            log.info("retrain requested: %s", request["reason"])
            self._retrain.send(request)
        self.metrics.observe_alerts(out.alerts)
        if out.canary is not None:
            self._act_on(out.canary)
        self._alerts.flush()
        self._retrain.flush()
        return _dead_letters(out.rejected, source)

    def _act_on(self, decision: CanaryDecision) -> None:
        self.decisions.append(decision)
        evidence = json.dumps(decision.evidence, sort_keys=True, default=str)
        challenger = self.registry.holder("challenger")
        if not self.settings.auto_promote or challenger is None:
            log.warning("canary decision %s not acted on: %s", decision.verdict, evidence)
            return
        reason = f"canary {decision.verdict.value.lower()}: {evidence}"
        if decision.verdict is CanaryVerdict.PROMOTE:
            self.registry.promote(challenger, "champion", reason, actor=STAGE)
        self.registry.remove("challenger", reason, actor=STAGE)
        self.pipeline.stop_canary()
        log.info("canary %s for version %s", decision.verdict.value, challenger)

    def _refresh_canary(self) -> None:
        champion = self.registry.holder("champion")
        challenger = self.registry.holder("challenger")
        current = self.pipeline.canary
        if champion is None or challenger is None:
            self.pipeline.stop_canary()
        elif current is None or current.versions != (champion, challenger):
            self.pipeline.start_canary(champion, challenger)
            log.info("canary period: champion %s vs challenger %s", champion, challenger)

    def _load_baselines(self, predictions: Any) -> None:
        for version in {str(p["model_version"]) for p in predictions}:
            if version in self.pipeline.baselines or version in self._without_baseline:
                continue
            try:
                baseline = Baseline.from_json(self.registry.baseline_json(version))
            except (EventmlError, BaselineError) as exc:
                log.warning("no drift baseline for version %s: %s", version, exc)
                self._without_baseline.add(version)
                continue
            self.pipeline.add_baseline(version, baseline)


def _dead_letters(rejected: list[RejectedRecord], source: Decoded) -> list[DeadLetter]:
    by_identity = {id(record): msg for msg, record in source}
    letters = []
    for item in rejected:
        msg = by_identity.get(id(item.record))
        if msg is not None:
            letters.append(DeadLetter.of(msg, item.error, "invalid_record", STAGE))
    return letters
