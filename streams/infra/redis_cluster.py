"""A three-primary Redis Cluster of embedded servers, for tests of the cluster code path."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path

import redis

from streams.exceptions import InfrastructureError
from streams.infra.process import ServerProcess, free_port
from streams.infra.redis_server import redis_answers, server_binary

SLOTS = 16384


class EmbeddedRedisCluster:
    """Primaries on free loopback ports, slots split evenly, no replicas, no persistence.

    Args:
        data_dir: One sub-directory per node (its ``nodes.conf`` and log).
        nodes: Number of primaries.
    """

    def __init__(self, data_dir: Path, nodes: int = 3) -> None:
        self.ports = [_cluster_port() for _ in range(nodes)]
        self.processes: list[ServerProcess] = []
        for port in self.ports:
            node_dir = data_dir / f"node-{port}"
            node_dir.mkdir(parents=True, exist_ok=True)
            argv = [str(server_binary()), "--port", str(port), "--bind", "127.0.0.1"]
            argv += ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"]
            argv += ["--save", "", "--appendonly", "no", "--dir", str(node_dir.resolve())]
            url = f"redis://127.0.0.1:{port}/0"
            self.processes.append(
                ServerProcess("redis-cluster", argv, node_dir / "redis.log", _pinger(url))
            )

    @property
    def url(self) -> str:
        """A seed node's URL; cluster clients discover the others."""
        return f"redis://127.0.0.1:{self.ports[0]}/0"

    def start(self, timeout_s: float = 20.0) -> EmbeddedRedisCluster:
        """Start the nodes, assign slots, join them, wait for ``cluster_state:ok``."""
        for process in self.processes:
            process.start()
        clients = [redis.Redis(port=port) for port in self.ports]
        share = SLOTS // len(clients)
        for i, client in enumerate(clients):
            last = SLOTS - 1 if i == len(clients) - 1 else (i + 1) * share - 1
            client.execute_command("CLUSTER", "ADDSLOTSRANGE", i * share, last)  # type: ignore[no-untyped-call]
        for client in clients[1:]:
            client.execute_command("CLUSTER", "MEET", "127.0.0.1", self.ports[0])  # type: ignore[no-untyped-call]
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if all(c.cluster("info")["cluster_state"] == "ok" for c in clients):
                return self
            time.sleep(0.1)
        self.stop()
        raise InfrastructureError("the embedded Redis Cluster did not reach cluster_state:ok")

    def stop(self) -> None:
        for process in self.processes:
            process.stop()


def _pinger(url: str) -> Callable[[], bool]:
    return lambda: redis_answers(url)


def _cluster_port() -> int:
    """A free port whose cluster bus port (+10000) is free too."""
    while True:
        port = free_port()
        if port > 55535:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port
