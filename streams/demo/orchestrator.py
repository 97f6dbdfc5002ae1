"""``eventml demo``: the closed loop, unattended, on the embedded (or given) infrastructure.

Bootstrap a first model from an initial period, run aggregator, inference, monitor and
trainer as separate processes, stream a seeded world with delayed labels, inject a drift
midway, and watch the monitor detect it, the trainer retrain, the canary win and the
promotion happen. Then account for every event and write the report.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.live import Live

from monitors.baseline import Baseline
from streams.bench_support import Samples, histogram_quantile
from streams.demo.generator import SyntheticWorld, WorldConfig
from streams.demo.observer import TopicObserver, wait_until
from streams.demo.progress import progress_panel
from streams.demo.services import ServiceGroup
from streams.demo.summary import Observed, loop_closed, served, summarize
from streams.demo.timeline import timeline
from streams.demo.walkthrough import BAD_RECORDS
from streams.exceptions import EventmlError
from streams.kafka.admin import create_topics
from streams.kafka.clients import make_admin, make_consumer
from streams.kafka.dead_letter import DeadLetter
from streams.kafka.topics import TopicCatalogue
from streams.producer import RecordProducer
from streams.reader import TopicReader
from streams.settings import KafkaSettings, RedisSettings


@dataclass(frozen=True)
class DemoConfig:
    """Options of ``eventml demo``."""

    events: int = 60_000
    rate: float = 400.0
    engine: str = "bytewax"
    seed: int = 7
    drift: bool = True
    out: Path = Path("reports/demo")
    keep_running: bool = False
    bootstrap_events: int = 26_000
    events_per_sim_hour: float = 500.0
    bootstrap_train_hours: float = 24.0
    canary_share: float = 0.3
    max_extra_events: int = 60_000
    timeout_s: float = 900.0

    @property
    def drift_at(self) -> int | None:
        """Event index where the drift starts: a third into the live stream."""
        if not self.drift:
            return None
        return self.bootstrap_events + (self.events - self.bootstrap_events) // 3


@dataclass
class DemoRun:
    """A run's state shared with the progress display."""

    config: DemoConfig
    prefix: str
    observed: Observed = field(default_factory=Observed)
    lock: threading.Lock = field(default_factory=threading.Lock)
    phase: str = "starting"
    metrics_at_live: Samples = field(default_factory=dict)
    ready_s: float | None = None  # from starting the live services to all of them ready
    started: float = field(default_factory=time.monotonic)


LIVE_SERVICES = ("inference", "monitor", "trainer")
READY_TIMEOUT_S = 180.0


class DemoError(EventmlError):
    """A service died or a step did not finish in time."""


def _service_env(
    kafka: KafkaSettings, redis: RedisSettings, home: Path, run: DemoRun
) -> dict[str, str]:
    c = run.config
    return {
        "KAFKA_BOOTSTRAP_SERVERS": str(kafka.bootstrap_servers),
        "REDIS_URL": str(redis.url),
        "EVENTML_HOME": str(home),
        "EVENTML_KAFKA_TOPIC_PREFIX": run.prefix,
        "EVENTML_AGGREGATOR_ENGINE": c.engine,
        "EVENTML_AGGREGATOR_APP_ID": f"agg-{run.prefix.strip('.')}",
        "EVENTML_AGGREGATOR_REDIS_PREFIX": f"feat-{run.prefix.strip('.')}",
        # Fresh features matter more than crash recovery here: a second of lag is most of a
        # simulated hour. (Recovery snapshots every epoch; see AggregatorSettings.recovery.)
        "EVENTML_AGGREGATOR_RECOVERY": "false",
        "EVENTML_AGGREGATOR_SNAPSHOT_INTERVAL_S": "0.2",
        # Training must not take both cores from the services that are serving.
        "OMP_NUM_THREADS": "1",
        "EVENTML_INFERENCE_GROUP_ID": f"inference-{run.prefix}",
        "EVENTML_INFERENCE_CANARY_SHARE": str(c.canary_share),
        "EVENTML_MONITOR_GROUP_ID": f"monitor-{run.prefix}",
        "EVENTML_MONITOR_CANARY_MIN_PER_ARM": "1500",
        "EVENTML_MONITOR_CANARY_LOOK_EVERY": "500",
        "EVENTML_MONITOR_CANARY_MAX_PER_ARM": "5000",
        "EVENTML_MONITOR_RETRAIN_COOLDOWN_MS": str(3 * 3_600_000),
        "EVENTML_MONITOR_RETRAIN_MAX_PER_DAY": "4",
        "EVENTML_TRAINING_TIMEOUT_S": "600",
        "EVENTML_TRAINING_MAX_ITER": "60",
        "EVENTML_TRAINING_CALIBRATION_FOLDS": "2",
        # Wait 3 simulated hours of confirmed drift (labels of the new regime arrive).
        "EVENTML_MONITOR_RETRAIN_PERSIST_MS": str(3 * 3_600_000),
        "EVENTML_MONITOR_RETRAIN_SIGNAL_WINDOW_MS": str(8 * 3_600_000),
        "PYTHONUNBUFFERED": "1",
    }


def _train_bootstrap(env: dict[str, str], home: Path, hours: float) -> None:
    """The first model: trained on the end of the bootstrap period (after the 24 h windows
    filled up) and made champion."""
    with (home / "logs" / "bootstrap-train.log").open("ab") as log:
        code = subprocess.run(
            [
                sys.executable,
                "-m",
                "streams.cli",
                "train",
                "--promote-to",
                "champion",
                "--lookback-hours",
                str(hours),
            ],
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
            timeout=600,
        ).returncode
    if code != 0:
        raise DemoError(f"bootstrap training failed (exit {code}); see logs/bootstrap-train.log")


class _Feeder:
    """Produces the world's timeline: events (with a few bad records), then labels."""

    def __init__(self, kafka: KafkaSettings, topics: TopicCatalogue, run: DemoRun) -> None:
        c = run.config
        world = SyntheticWorld(
            WorldConfig(
                seed=c.seed,
                drift_at=c.drift_at,
                events_per_sim_hour=c.events_per_sim_hour,
                drift_fraud_rate=0.015,
                label_delay_hours=(0.1, 0.6),
            )
        )
        self._items = timeline(world.events(c.events + c.max_extra_events))
        self._events = RecordProducer(kafka, topics.events, "transaction", "card_id")
        self._labels = RecordProducer(kafka, topics.labels, "label", "event_id")
        self._run = run
        self.count = 0

    def next_event(self) -> None:
        """Produce items until one event went out (labels due before it go first)."""
        for kind, record in self._items:
            if kind == "label":
                self._labels.send(record)
                with self._run.lock:
                    self._run.observed.labels[record["event_id"]] = bool(record["is_fraud"])
                continue
            with self._run.lock:
                produced = self._run.observed.produced
                produced[record["event_id"]] = (len(produced), time.time())
                self._run.observed.event_times.append(int(record["event_time"]))
            self._events.send(record)
            if self.count % 5000 == 2500:
                self._events.send_raw(BAD_RECORDS[(self.count // 5000) % len(BAD_RECORDS)])
                self._run.observed.bad_produced += 1
            self.count += 1
            return

    def flush(self) -> None:
        self._events.flush()
        self._labels.flush()


def _stream(feeder: _Feeder, run: DemoRun, n: int, rate: float | None) -> None:
    start = time.perf_counter()
    first = feeder.count
    while feeder.count < n:
        feeder.next_event()
        if rate is not None:
            due = start + (feeder.count - first) / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        if feeder.count % 500 == 0:
            feeder.flush()
    feeder.flush()


def run_demo(
    kafka: KafkaSettings, redis: RedisSettings, home: Path, config: DemoConfig, console: Console
) -> tuple[dict[str, Any], list[str], Path]:
    """Run the loop; returns the summary, what did not close, and the report folder."""
    run = DemoRun(config, f"demo-{uuid.uuid4().hex[:6]}.")
    home = home / run.prefix.strip(".")
    (home / "logs").mkdir(parents=True, exist_ok=True)
    topics = TopicCatalogue(run.prefix, kafka.topic_partitions)
    create_topics(make_admin(kafka), topics.specs())
    env = _service_env(kafka, redis, home, run)
    # What `eventml status` (or any command) needs to look at this run: source it.
    (home / "env.sh").write_text(
        "".join(
            f"export {key}={value}\n"
            for key, value in env.items()
            if key.startswith(
                (
                    "KAFKA_",
                    "REDIS_",
                    "EVENTML_HOME",
                    "EVENTML_KAFKA_",
                    "EVENTML_INFERENCE_GROUP",
                    "EVENTML_MONITOR_GROUP",
                    "EVENTML_AGGREGATOR_REDIS",
                )
            )
        )
    )
    services = ServiceGroup(env, home / "logs")
    observer = TopicObserver(kafka, topics, run.observed, run.lock)
    feeder = _Feeder(kafka, topics, run)
    try:
        with Live(progress_panel(run, services), console=console, refresh_per_second=2) as live:
            ticker = _Ticker(live, run, services)
            ticker.start()
            try:
                _loop(kafka, topics, run, env, home, services, observer, feeder)
            finally:
                ticker.stop()
        freshness = _freshness_ms(services, run.metrics_at_live)
    finally:
        if not config.keep_running:
            services.stop()
        observer.stop()
    run.observed.dead_lettered = _count_dead_letters(kafka, topics)
    seconds = time.monotonic() - run.started
    onset = None if config.drift_at is None else config.drift_at - config.bootstrap_events
    summary = summarize(run.observed, onset, seconds, freshness, run.ready_s)
    from streams.demo.report import write_report

    write_report(config.out, run.observed, summary, _first_baseline(home))
    return summary, loop_closed(summary, config.drift), home


def _loop(
    kafka: KafkaSettings,
    topics: TopicCatalogue,
    run: DemoRun,
    env: dict[str, str],
    home: Path,
    services: ServiceGroup,
    observer: TopicObserver,
    feeder: _Feeder,
) -> None:
    c = run.config
    run.phase = "bootstrap: producing the initial period"
    _stream(feeder, run, c.bootstrap_events, None)
    services.start("aggregator")
    run.phase = "bootstrap: training the first model"
    _train_bootstrap(env, home, c.bootstrap_train_hours)
    # The service goes live after the bootstrap period: its group starts at the live stream.
    _commit_end(kafka, topics.events, env["EVENTML_INFERENCE_GROUP_ID"])
    with run.lock:
        run.observed.produced.clear()
        run.observed.event_times.clear()
    started = time.monotonic()
    for name in LIVE_SERVICES:
        services.start(name)
    run.phase = "live: waiting for the services to be ready"
    not_ready = services.wait_ready(LIVE_SERVICES, READY_TIMEOUT_S)
    if not_ready:
        name = not_ready[0]
        raise DemoError(f"{name} did not get ready:\n{services.log_tail(name)}")
    run.ready_s = time.monotonic() - started
    observer.start()
    run.phase = "live: streaming"
    run.metrics_at_live = _aggregator_metrics(services)
    deadline = time.monotonic() + c.timeout_s
    _stream_checked(feeder, run, services, c.events, deadline)
    if c.drift:
        run.phase = "live: waiting for the promotion"
        target = c.events + c.max_extra_events
        while not _promoted(run) and feeder.count < target:
            _stream_checked(feeder, run, services, min(feeder.count + 1000, target), deadline)
        if _promoted(run):
            run.phase = "live: scoring after the promotion"
            after = min(feeder.count + 10_000, target)
            _stream_checked(feeder, run, services, after, deadline)
    run.phase = "draining"
    wait_until(lambda: _all_served(run), 90)


def _commit_end(kafka: KafkaSettings, topic: str, group_id: str) -> None:
    """Commit the end of ``topic`` for ``group_id`` (found by reading to EOF, which stays right
    on brokers whose ListOffsets is not)."""
    from confluent_kafka import OFFSET_BEGINNING, KafkaError, TopicPartition

    consumer = make_consumer(kafka, group_id, **{"enable.partition.eof": True})
    partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
    at_end: set[int] = set()
    while len(at_end) < len(partitions):
        for msg in consumer.consume(5000, 0.5):
            error = msg.error()
            if error is not None and error.code() == KafkaError._PARTITION_EOF:
                at_end.add(msg.partition() or 0)
    consumer.commit(offsets=consumer.position(consumer.assignment()), asynchronous=False)
    consumer.close()


def _stream_checked(
    feeder: _Feeder, run: DemoRun, services: ServiceGroup, n: int, deadline: float
) -> None:
    while feeder.count < n:
        _stream(feeder, run, min(feeder.count + 500, n), run.config.rate)
        dead = services.dead()
        if dead:
            raise DemoError(f"{dead[0]} exited:\n{services.log_tail(dead[0])}")
        if time.monotonic() > deadline:
            raise DemoError("the demo ran out of time")


def _promoted(run: DemoRun) -> bool:
    with run.lock:
        return any(
            e["action"] == "PROMOTED" and e["actor"] == "monitor" for e in run.observed.model_events
        )


def _all_served(run: DemoRun) -> bool:
    with run.lock:
        return len(served(run.observed)) >= len(run.observed.produced)


def _aggregator_metrics(services: ServiceGroup) -> Samples:
    try:
        return services.metrics("aggregator")
    except (KeyError, OSError):
        return {}


def _freshness_ms(services: ServiceGroup, before: Samples) -> float:
    """p99 freshness of the live stream only: the histogram now minus the one taken when the
    live stream began (the bootstrap backlog would otherwise dominate)."""
    now = _aggregator_metrics(services)
    live = {key: value - before.get(key, 0.0) for key, value in now.items()}
    engine = services.env.get("EVENTML_AGGREGATOR_ENGINE", "bytewax")
    p99 = histogram_quantile(
        live, "eventml_features_freshness_seconds", {"engine": engine, "view": "card"}, 0.99
    )
    return p99 * 1000


def _count_dead_letters(kafka: KafkaSettings, topics: TopicCatalogue) -> int:
    """Distinct source records dead-lettered (aggregator and inference each report a bad one)."""
    dlq = TopicCatalogue.dead_letter_of(topics.events)
    sources = set()
    for record in TopicReader(kafka, dlq, None, idle_timeout_s=2):
        letter = DeadLetter.from_wire(record.key, record.raw, record.headers)
        sources.add((letter.partition, letter.offset))
    return len(sources)


def _first_baseline(home: Path) -> Baseline | None:
    """The drift baseline of the bootstrap model (version 1), for the report."""
    from training.registry_access import read_only_registry
    from training.settings import TrainingSettings

    registry = read_only_registry(TrainingSettings(), home)
    try:
        return Baseline.from_json(registry.baseline_json("1"))
    except EventmlError:
        return None


class _Ticker:
    """Refreshes the live panel from a thread."""

    def __init__(self, live: Live, run: DemoRun, services: ServiceGroup) -> None:
        self._live, self._run, self._services = live, run, services
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._tick, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _tick(self) -> None:
        while not self._stop.wait(0.5):
            self._live.update(progress_panel(self._run, self._services))
