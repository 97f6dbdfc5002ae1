"""Follows the output topics while the demo runs: predictions, alerts, model events."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, KafkaError, TopicPartition

from streams.demo.summary import Observed
from streams.kafka.clients import make_background_consumer
from streams.kafka.topics import TopicCatalogue
from streams.producer import codec_for
from streams.settings import KafkaSettings


class TopicObserver:
    """A background thread that decodes every record of the output topics into ``observed``."""

    def __init__(
        self, kafka: KafkaSettings, topics: TopicCatalogue, observed: Observed, lock: threading.Lock
    ) -> None:
        self.observed = observed
        self.lock = lock
        records = {
            topics.predictions: "prediction",
            topics.predictions_shadow: "prediction",
            topics.alerts: "alert",
            topics.model_events: "model_event",
        }
        self._codecs = {t: codec_for(kafka, t, r) for t, r in records.items()}
        self._sinks: dict[str, Callable[[dict[str, Any], Any], None]] = {
            topics.predictions: self._prediction,
            topics.predictions_shadow: self._prediction,
            topics.alerts: lambda r, m: self.observed.alerts.append(r),
            topics.model_events: lambda r, m: self.observed.model_events.append(r),
        }
        self._consumer = make_background_consumer(kafka, "demo-observer")
        assignment = []
        for topic in records:
            meta = self._consumer.list_topics(topic, timeout=10).topics[topic]
            assignment += [TopicPartition(topic, p, OFFSET_BEGINNING) for p in meta.partitions]
        self._consumer.assign(assignment)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="observer", daemon=True)
        self.lag: dict[int, int] = {}

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self._consumer.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            batch = self._consumer.consume(2000, 0.2)
            with self.lock:
                for msg in batch:
                    error = msg.error()
                    if error is not None:
                        if error.code() != KafkaError._PARTITION_EOF:
                            raise RuntimeError(f"observer: {error}")
                        continue
                    topic = msg.topic() or ""
                    record = self._codecs[topic].decode(msg.value() or b"")
                    self._sinks[topic](record, msg)

    def _prediction(self, record: dict[str, Any], msg: Any) -> None:
        produced = self.observed.produced.get(record["event_id"])
        if produced is not None:
            record["_e2e_ms"] = msg.timestamp()[1] - produced[1] * 1000
        self.observed.predictions.append(record)


def wait_until(predicate: Callable[[], bool], timeout_s: float, step_s: float = 0.2) -> bool:
    """Poll ``predicate`` until true or the time is up."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step_s)
    return predicate()
