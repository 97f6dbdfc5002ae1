"""The proof runs' input: a seeded card world's events and delayed labels, paced, with the
wall time each event id was produced (what every later count is checked against)."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from typing import Any

from streams.demo.generator import SyntheticWorld, WorldConfig
from streams.demo.summary import Observed
from streams.demo.timeline import Item, timeline
from streams.kafka.topics import TopicCatalogue
from streams.producer import RecordProducer
from streams.settings import KafkaSettings


class Feed:
    """Produces events (labels due before an event go first) into one topic catalogue.

    Args:
        kafka: Broker settings.
        topics: Where events and labels go.
        observed: Receives each event id's production time and each label.
        lock: Guards ``observed`` (an observer thread reads it).
        seed: World seed.
        events_per_sim_hour: Simulated pace; labels arrive 0.1 to 0.6 simulated hours later.
    """

    def __init__(
        self,
        kafka: KafkaSettings,
        topics: TopicCatalogue,
        observed: Observed,
        lock: threading.Lock,
        seed: int,
        events_per_sim_hour: float = 500.0,
    ) -> None:
        world = SyntheticWorld(
            WorldConfig(
                seed=seed, events_per_sim_hour=events_per_sim_hour, label_delay_hours=(0.1, 0.6)
            )
        )
        self._items: Iterator[Item] = timeline(world.events(10**9))
        self._events = RecordProducer(kafka, topics.events, "transaction", "card_id")
        self._labels = RecordProducer(kafka, topics.labels, "label", "event_id")
        self._observed, self._lock = observed, lock
        self.count = 0
        self.records: list[dict[str, Any]] = []  # every event produced, for parity checks

    def prepare(self, n: int) -> None:
        """Generate the next ``n`` events (and their labels) now, so that producing them
        measures the pipeline rather than the world's generator."""
        ready: list[Item] = []
        events = 0
        for item in self._items:
            ready.append(item)
            events += item[0] == "event"
            if events == n:
                break
        self._items = itertools.chain(ready, self._items)

    def _next_event(self) -> None:
        for kind, record in self._items:
            if kind == "label":
                self._labels.send(record)
                with self._lock:
                    self._observed.labels[record["event_id"]] = bool(record["is_fraud"])
                continue
            with self._lock:
                produced = self._observed.produced
                produced[record["event_id"]] = (len(produced), time.time())
                self._observed.event_times.append(int(record["event_time"]))
            self._events.send(record)
            self.records.append(record)
            self.count += 1
            return

    def produce(self, n: int, rate: float | None = None) -> None:
        """Produce ``n`` more events, at ``rate`` per second (None: as fast as possible)."""
        start, first = time.perf_counter(), self.count
        while self.count < first + n:
            self._next_event()
            if rate is not None:
                delay = start + (self.count - first) / rate - time.perf_counter()
                if delay > 0.001:
                    time.sleep(delay)
            if self.count % 250 == 0:
                self.flush()
        self.flush()

    def flush(self) -> None:
        """Wait until the broker acknowledged everything produced so far."""
        self._events.flush()
        self._labels.flush()
