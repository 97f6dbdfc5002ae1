"""Real-infrastructure fixtures: a Kafka-protocol broker and a Redis server over TCP.

Each picks, in order: the address in the environment (KAFKA_BOOTSTRAP_SERVERS / REDIS_URL),
a testcontainers container when a Docker engine answers, else the embedded server the
project ships. Under CI=true a missing server fails the run instead of skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from streams.kafka.admin import create_topics
from streams.kafka.clients import make_admin
from streams.kafka.topics import TopicCatalogue
from streams.settings import KafkaSettings
from tests.support.servers import docker_available, start_broker, start_redis

IN_CI = os.environ.get("CI", "").lower() == "true"


def _unavailable(what: str, error: Exception) -> None:
    message = f"{what} unavailable: {error}"
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Bootstrap address of a Kafka-protocol broker for the whole session."""
    given = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if given:
        yield given
        return
    try:
        server = start_broker(tmp_path_factory.mktemp("broker"), docker_available())
    except Exception as exc:  # any failure to start is reported the same way
        _unavailable("Kafka broker", exc)
        raise
    yield server.address
    server.stop()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a Redis server for the whole session."""
    given = os.environ.get("REDIS_URL")
    if given:
        yield given
        return
    try:
        server = start_redis(tmp_path_factory.mktemp("redis"), docker_available())
    except Exception as exc:
        _unavailable("Redis", exc)
        raise
    yield server.address
    server.stop()


@pytest.fixture
def kafka_settings(kafka_bootstrap: str) -> KafkaSettings:
    """Settings pointing at the session broker."""
    return KafkaSettings(bootstrap_servers=kafka_bootstrap)


@pytest.fixture
def topics(kafka_settings: KafkaSettings) -> TopicCatalogue:
    """A catalogue with a unique prefix, all topics created: no test sees another's data."""
    catalogue = TopicCatalogue(prefix=f"t{uuid.uuid4().hex[:10]}.", partitions=4)
    create_topics(make_admin(kafka_settings), catalogue.specs())
    return catalogue


@pytest.fixture
def group_id() -> str:
    """A consumer group nobody else uses."""
    return f"g-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def eventml_home(tmp_path: Path) -> Path:
    """A private state directory for CLI runs."""
    return tmp_path / "eventml-home"
