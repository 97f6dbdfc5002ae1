"""Model updates while serving: model-events messages start a reload on a thread of its own,
and the loaded router is handed to the loop between batches."""

from __future__ import annotations

import time

from inference.metrics import InferenceMetrics
from inference.model_events import ModelEventWatcher
from inference.model_loader import ModelSwapper, RouterLoader
from inference.routing import Router
from inference.settings import InferenceSettings
from streams.kafka.dead_letter import DeadLetterPublisher
from streams.producer import codec_for
from streams.settings import KafkaSettings

MODEL_EVENT_POLL_S = 0.1


class ModelUpdates:
    """Watches the model-events topic for the served aliases and reloads on a change.

    Args:
        loader: Builds routers.
        metrics: Failed reloads are counted; loaded versions reported.
    """

    def __init__(self, loader: RouterLoader, metrics: InferenceMetrics) -> None:
        self._swapper = ModelSwapper(loader)
        self._metrics = metrics
        self._watcher: ModelEventWatcher | None = None
        self._next_poll = 0.0

    def start(
        self,
        kafka: KafkaSettings,
        topic: str,
        settings: InferenceSettings,
        dead_letters: DeadLetterPublisher,
    ) -> None:
        """Start watching ``topic`` (its undecodable messages go to ``dead_letters``)."""
        s = settings
        self._watcher = ModelEventWatcher(
            kafka,
            topic,
            codec_for(kafka, topic, "model_event"),
            dead_letters,
            frozenset(a for a in (s.champion_alias, s.canary_alias, s.shadow_alias) if a),
        )

    def poll(self) -> Router | None:
        """Read model events (at most every 100 ms); the new router once one is loaded."""
        now = time.monotonic()
        if self._watcher is not None and now >= self._next_poll:
            self._next_poll = now + MODEL_EVENT_POLL_S
            if self._watcher.poll():
                self._swapper.request()
        failures = self._swapper.failures
        router = self._swapper.ready()
        if self._swapper.failures > failures:
            self._metrics.errors.labels("model_load").inc()
        if router is not None:
            self._metrics.report_models(router)
        return router

    def close(self) -> None:
        """Stop watching; a reload in progress is abandoned."""
        if self._watcher is not None:
            self._watcher.close()
        self._swapper.close()
