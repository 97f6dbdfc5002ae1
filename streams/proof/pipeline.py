"""The service set under test: aggregator, inference and monitor as separate processes on
one private topic catalogue, fed by a seeded world and watched on every output topic."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from streams.demo.observer import TopicObserver, wait_until
from streams.demo.services import ServiceGroup
from streams.demo.summary import SERVED, Observed, served
from streams.kafka.admin import create_topics
from streams.kafka.clients import make_admin
from streams.kafka.topics import TopicCatalogue
from streams.proof.feed import Feed
from streams.settings import KafkaSettings, RedisSettings
from streams.status import group_lag


@dataclass(frozen=True)
class Accounting:
    """Every produced event id against the predictions seen for it."""

    produced: int
    served: int
    lost: int
    duplicate_predictions: int


def service_env(
    kafka: KafkaSettings, redis: RedisSettings, home: Path, prefix: str
) -> dict[str, str]:
    """The environment every service of one run shares."""
    run = prefix.strip(".")
    return {
        "KAFKA_BOOTSTRAP_SERVERS": str(kafka.bootstrap_servers),
        "REDIS_URL": str(redis.url),
        "EVENTML_HOME": str(home),
        "EVENTML_KAFKA_TOPIC_PREFIX": prefix,
        "EVENTML_AGGREGATOR_APP_ID": f"agg-{run}",
        "EVENTML_AGGREGATOR_REDIS_PREFIX": f"feat-{run}",
        "EVENTML_AGGREGATOR_RECOVERY_DIR": str(home / run / "recovery"),
        "EVENTML_INFERENCE_GROUP_ID": f"inference-{run}",
        "EVENTML_MONITOR_GROUP_ID": f"monitor-{run}",
        "PYTHONUNBUFFERED": "1",
    }


@dataclass
class Pipeline:
    """One run: its topics, its service processes, its feed and its observer.

    Args:
        kafka: Broker settings.
        redis: Redis settings.
        home: EVENTML_HOME holding the model registry (a champion must exist).
        seed: World seed of the feed.
        extra_env: Overrides for the services (engine, batch sizes, ...).
    """

    kafka: KafkaSettings
    redis: RedisSettings
    home: Path
    seed: int = 7
    extra_env: dict[str, str] = field(default_factory=dict)
    prefix: str = field(default_factory=lambda: f"proof-{uuid.uuid4().hex[:6]}.")
    killed: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.topics = TopicCatalogue(self.prefix, self.kafka.topic_partitions)
        create_topics(make_admin(self.kafka), self.topics.specs())
        env = {**service_env(self.kafka, self.redis, self.home, self.prefix), **self.extra_env}
        self.services = ServiceGroup(env, self.home / "logs" / self.prefix.strip("."))
        self.observed, self.lock = Observed(), threading.Lock()
        self.observer = TopicObserver(self.kafka, self.topics, self.observed, self.lock)
        self.observer.start()
        self.feed = Feed(self.kafka, self.topics, self.observed, self.lock, self.seed)

    def start(self, *names: str) -> None:
        """Start services (``inference-2`` is a second inference process)."""
        for name in names:
            self.services.start(name)

    def kill(self, name: str) -> float:
        """kill -9 a service's whole process group; returns when it happened."""
        process = self.services.processes[name]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
        self.killed.add(name)
        return time.monotonic()

    def freeze(self, name: str) -> None:
        """SIGSTOP a service's process group: it keeps its sockets and partitions and does
        nothing until :meth:`thaw`."""
        os.killpg(self.services.processes[name].pid, signal.SIGSTOP)

    def thaw(self, name: str) -> None:
        """SIGCONT a service frozen by :meth:`freeze`."""
        os.killpg(self.services.processes[name].pid, signal.SIGCONT)

    def inference_scored(self) -> float:
        """Events the running inference process has scored (its own counter, which starts at
        0 with each process: no waiting on the predictions topic)."""
        return self.services.metrics("inference").get(("eventml_inference_events_total", ()), 0.0)

    def inference_lag(self) -> int:
        """Events of the events topic the inference group has not committed."""
        group = self.services.env["EVENTML_INFERENCE_GROUP_ID"]
        return sum(p.lag for p in group_lag(self.kafka, self.topics.events, group))

    def restart(self, name: str) -> None:
        """Start a killed service again with the same name, environment and port."""
        self.services.start(name)
        self.killed.discard(name)

    def run_cli(self, *args: str) -> subprocess.Popen[bytes]:
        """Start ``eventml ARGS`` with the services' environment (as an operator would)."""
        log = self.services.log_dir / f"cli-{args[0]}.log"
        with log.open("ab") as out:
            return subprocess.Popen(
                [sys.executable, "-m", "streams.cli", *args],
                env={**os.environ, **self.services.env},
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )

    def crashed(self) -> list[str]:
        """Services that exited without being killed by the run."""
        return [name for name in self.services.dead() if name not in self.killed]

    def served_all(self) -> bool:
        with self.lock:
            return len(served(self.observed)) >= len(self.observed.produced)

    def wait_served(self, timeout_s: float) -> bool:
        """Wait until every produced event has a served prediction."""
        return wait_until(self.served_all, timeout_s)

    def monitor_lag(self) -> int:
        """Records of the predictions and labels topics the monitor has not committed."""
        group = self.services.env["EVENTML_MONITOR_GROUP_ID"]
        topics = (self.topics.predictions, self.topics.labels)
        return sum(p.lag for t in topics for p in group_lag(self.kafka, t, group))

    def accounting(self) -> Accounting:
        with self.lock:
            first = served(self.observed)
            total = sum(1 for p in self.observed.predictions if p["variant"] in SERVED)
            produced = set(self.observed.produced)
        return Accounting(
            produced=len(produced),
            served=len(first),
            lost=len(produced - set(first)),
            duplicate_predictions=total - len(first),
        )

    def close(self) -> None:
        """SIGTERM every service (they drain), stop watching."""
        self.services.stop()
        self.observer.stop()
