"""Starting test servers: testcontainers when Docker answers, else the embedded ones."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from streams.infra.broker import EmbeddedBroker
from streams.infra.redis_server import EmbeddedRedis


@dataclass
class RunningServer:
    """An address and how to stop what serves it."""

    address: str
    stop: Callable[[], None]


def docker_available() -> bool:
    """True when a Docker engine answers a ping within two seconds."""
    import os

    if not os.environ.get("DOCKER_HOST") and not os.path.exists("/var/run/docker.sock"):
        return False
    import docker

    try:
        client = docker.from_env(timeout=2)
    except docker.errors.DockerException:
        return False
    try:
        return bool(client.ping())
    except docker.errors.DockerException:
        return False
    except OSError:
        return False
    finally:
        client.close()


def start_broker(workdir: Path, use_docker: bool) -> RunningServer:
    """Apache Kafka in a container, or the embedded tansu broker."""
    if use_docker:
        from testcontainers.kafka import KafkaContainer

        container = KafkaContainer().with_kraft()
        container.start()
        return RunningServer(container.get_bootstrap_server(), container.stop)
    broker = EmbeddedBroker(workdir).start()
    return RunningServer(broker.bootstrap, broker.stop)


def start_redis(workdir: Path, use_docker: bool) -> RunningServer:
    """Redis in a container, or the embedded Valkey server."""
    if use_docker:
        from testcontainers.redis import RedisContainer

        container = RedisContainer()
        container.start()
        host = container.get_container_host_ip()
        port = container.get_exposed_port(6379)
        return RunningServer(f"redis://{host}:{port}/0", container.stop)
    server = EmbeddedRedis(workdir).start()
    return RunningServer(server.url, server.stop)
