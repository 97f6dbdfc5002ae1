"""A runner in a thread, events in, predictions read back: shared by the inference tests."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry

from inference.features import InMemoryFeatureSource
from inference.metrics import InferenceMetrics
from inference.model_provider import InMemoryModelProvider
from inference.runner import InferenceRunner
from inference.settings import InferenceSettings
from streams.kafka.topics import TopicCatalogue
from streams.producer import RecordProducer, codec_for
from streams.reader import TopicReader
from streams.settings import KafkaSettings
from tests.unit.inference.onnx_models import artifact, event, feature_source


def default_models() -> InMemoryModelProvider:
    """Champion v1, challenger (canary) c1 and shadow s1."""
    return InMemoryModelProvider(
        {"champion": artifact("1", 0), "challenger": artifact("c1", 1), "shadow": artifact("s1", 2)}
    )


def settings_for(group_id: str, **overrides: Any) -> InferenceSettings:
    """Small batches so that a few thousand events make many of them; no metrics port."""
    values: dict[str, Any] = {
        "group_id": group_id,
        "max_batch_size": 100,
        "max_wait_ms": 10.0,
        "canary_share": 0.2,
        "metrics_port": 0,
        "feature_retry_initial_s": 0.05,
        "feature_retry_max_s": 0.2,
    }
    return InferenceSettings(**{**values, **overrides})


@dataclass
class RunningService:
    """A runner on a thread, with its stop flag."""

    runner: InferenceRunner
    thread: threading.Thread
    stop: threading.Event
    errors: list[BaseException] = field(default_factory=list)

    def close(self, timeout_s: float = 30.0) -> None:
        """Clean stop: drain and commit."""
        self.stop.set()
        self.thread.join(timeout_s)
        assert not self.thread.is_alive(), "runner did not stop"
        assert not self.errors, self.errors

    def crash(self, timeout_s: float = 30.0) -> None:
        """Stop without finishing or committing in-flight batches."""
        self.runner.abort()
        self.thread.join(timeout_s)
        assert not self.thread.is_alive()


def start_runner(
    kafka: KafkaSettings,
    topics: TopicCatalogue,
    settings: InferenceSettings,
    models: InMemoryModelProvider,
    source: InMemoryFeatureSource | None = None,
) -> RunningService:
    """Start a runner on a daemon thread."""
    runner = InferenceRunner(
        kafka,
        topics,
        settings,
        models,
        source or feature_source(),
        InferenceMetrics(CollectorRegistry()),
    )
    stop = threading.Event()
    service = RunningService(runner, threading.Thread(target=lambda: None), stop)

    def target() -> None:
        try:
            runner.run(stop.is_set)
        except BaseException as exc:  # reported by close(); the thread must not die silently
            service.errors.append(exc)

    service.thread = threading.Thread(target=target, daemon=True, name="inference-runner")
    service.thread.start()
    return service


def produce_events(kafka: KafkaSettings, topics: TopicCatalogue, ids: Iterable[int]) -> int:
    """Produce valid events with these ids; returns how many."""
    producer = RecordProducer(kafka, topics.events, "transaction", "card_id")
    n = producer.send_many(event(i) for i in ids)
    producer.flush()
    return n


def wait_for(
    predicate: Callable[[], bool],
    timeout_s: float = 60.0,
    what: str = "",
    watch: Sequence[RunningService] = (),
    state: Callable[[], object] | None = None,
) -> None:
    """Poll ``predicate`` until true or fail: at the timeout, or at once when a runner in
    ``watch`` has died (with its error). ``state()`` is shown in the timeout's message."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        for service in watch:
            assert not service.errors, (
                f"a runner failed while waiting for {what}: {service.errors!r}"
            )
        shown = f" ({state()})" if state is not None else ""
        assert time.monotonic() < deadline, f"timed out waiting for {what}{shown}"
        time.sleep(0.05)


def read_predictions(kafka: KafkaSettings, topic: str) -> list[dict[str, Any]]:
    """Every decoded prediction on ``topic``, with its partition under ``_partition``."""
    reader = TopicReader(kafka, topic, codec_for(kafka, topic, "prediction"), idle_timeout_s=3)
    return [{**r.value, "_partition": r.partition} for r in reader if r.value is not None]


def served_counts(predictions: list[dict[str, Any]]) -> Counter[str]:
    """How many served predictions each event id has."""
    return Counter(p["event_id"] for p in predictions)
