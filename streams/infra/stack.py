"""Start, find and stop the embedded broker + Redis pair through a state file."""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from streams.exceptions import InfrastructureError
from streams.infra.broker import EmbeddedBroker, broker_answers
from streams.infra.process import pid_alive, stop_pid
from streams.infra.redis_server import EmbeddedRedis, redis_answers
from streams.settings import InfraSettings, KafkaSettings, RedisSettings

STATE_FILE = "infra.json"


@dataclass(frozen=True)
class InfraState:
    """What ``eventml infra up`` started, as written to ``<home>/infra.json``."""

    kafka_bootstrap_servers: str
    redis_url: str
    broker_pid: int
    redis_pid: int
    started_at: float

    @classmethod
    def read(cls, home: Path) -> InfraState | None:
        path = home / STATE_FILE
        if not path.exists():
            return None
        return cls(**json.loads(path.read_text()))

    def write(self, home: Path) -> None:
        home.mkdir(parents=True, exist_ok=True)
        tmp = home / f"{STATE_FILE}.tmp"
        tmp.write_text(json.dumps(asdict(self), indent=2))
        tmp.replace(home / STATE_FILE)


@dataclass(frozen=True)
class ServiceStatus:
    """Liveness of one embedded server."""

    name: str
    address: str
    pid: int
    process_alive: bool
    answering: bool


def start_stack(infra: InfraSettings) -> tuple[InfraState, bool]:
    """Start broker and Redis unless a live stack is already recorded.

    Returns:
        The state and whether anything was started.
    """
    current = InfraState.read(infra.home)
    if current is not None and all(s.answering for s in stack_status(current)):
        return current, False
    if current is not None:
        stop_stack(infra)
    broker, server = _start_servers(infra.home, infra.redis_server)
    state = InfraState(
        broker.bootstrap,
        server.url,
        broker.process.release(),
        server.process.release(),
        time.time(),
    )
    state.write(infra.home)
    return state, True


def _start_servers(home: Path, redis_kind: str) -> tuple[EmbeddedBroker, EmbeddedRedis]:
    """Broker (logs in ``home/logs``) then Redis (in ``home/redis``); the broker is stopped
    again when Redis cannot start."""
    broker = EmbeddedBroker(home / "logs").start()
    try:
        return broker, EmbeddedRedis(home / "redis", kind=redis_kind).start()
    except InfrastructureError:
        broker.stop()
        raise


def stop_stack(infra: InfraSettings) -> InfraState | None:
    """Stop what the state file records and remove it; None when nothing was recorded."""
    state = InfraState.read(infra.home)
    if state is None:
        return None
    for pid in (state.broker_pid, state.redis_pid):
        if pid_alive(pid):
            stop_pid(pid)
    (infra.home / STATE_FILE).unlink(missing_ok=True)
    return state


def stack_status(state: InfraState) -> list[ServiceStatus]:
    """Is each recorded process alive, and does it answer its protocol?"""
    return [
        ServiceStatus(
            "kafka",
            state.kafka_bootstrap_servers,
            state.broker_pid,
            pid_alive(state.broker_pid),
            broker_answers(state.kafka_bootstrap_servers),
        ),
        ServiceStatus(
            "redis",
            state.redis_url,
            state.redis_pid,
            pid_alive(state.redis_pid),
            redis_answers(state.redis_url),
        ),
    ]


def resolve_infra(
    kafka: KafkaSettings,
    redis_settings: RedisSettings,
    infra: InfraSettings,
    *,
    start: bool = True,
) -> tuple[KafkaSettings, RedisSettings]:
    """Fill unset Kafka/Redis addresses from the embedded stack, starting it when allowed.

    Raises:
        InfrastructureError: When an address is unset, no stack runs and ``start`` is False.
    """
    if kafka.bootstrap_servers and redis_settings.url:
        return kafka, redis_settings
    state = InfraState.read(infra.home)
    live = state is not None and all(s.answering for s in stack_status(state))
    if not live:
        if not start:
            raise InfrastructureError(
                "KAFKA_BOOTSTRAP_SERVERS/REDIS_URL are unset and no embedded stack runs: "
                "run `eventml infra up`"
            )
        state, _ = start_stack(infra)
    assert state is not None
    if not kafka.bootstrap_servers:
        kafka = kafka.model_copy(update={"bootstrap_servers": state.kafka_bootstrap_servers})
    if not redis_settings.url:
        redis_settings = redis_settings.model_copy(update={"url": state.redis_url})
    return kafka, redis_settings


@contextmanager
def private_stack(infra: InfraSettings) -> Iterator[tuple[str, str]]:
    """A broker and Redis of their own, stopped on exit: ``(bootstrap, redis_url)``.

    Benchmarks use it so that figures do not depend on what earlier runs left behind: the
    embedded broker keeps every record in memory, and it gets slower as that grows.
    """
    with tempfile.TemporaryDirectory(prefix="eventml-stack-") as workdir:
        broker, server = _start_servers(Path(workdir), infra.redis_server)
        try:
            yield broker.bootstrap, server.url
        finally:
            server.stop()
            broker.stop()
