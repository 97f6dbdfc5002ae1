"""The demo's services, each a process of its own as in production, and their logs."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from streams.bench_support import Samples, scrape
from streams.infra.process import free_port, stop_pid

SERVICES = ("aggregator", "inference", "monitor", "trainer")
# The services' default metrics ports, so `eventml status` finds a demo left running.
DEFAULT_PORTS = {"aggregator": 9101, "trainer": 9102, "monitor": 9103, "inference": 9104}


# Ready means answering on the metrics port and, for inference, owning partitions (its group
# join done): events streamed before that wait in the topic, and their latency would measure
# the service's start-up, not its serving.
READY_WHEN: dict[str, Callable[[Samples], bool]] = {
    "inference": lambda s: s.get(("eventml_inference_assigned_partitions", ()), 0.0) > 0,
}


def _port_for(name: str) -> int:
    port = DEFAULT_PORTS.get(_service(name))
    if port is not None:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                return free_port()
        return port
    return free_port()


@dataclass
class ServiceGroup:
    """Starts ``eventml run SERVICE`` processes sharing one environment; stops them all."""

    env: dict[str, str]
    log_dir: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    metrics_ports: dict[str, int] = field(default_factory=dict)

    def start(self, name: str, *args: str) -> None:
        """Start one service with a metrics port of its own."""
        port = _port_for(name)
        env = {**os.environ, **self.env, f"EVENTML_{_env_name(name)}_METRICS_PORT": str(port)}
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with (self.log_dir / f"{name}.log").open("ab") as log:
            self.processes[name] = subprocess.Popen(
                [sys.executable, "-m", "streams.cli", "run", _service(name), *args],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.metrics_ports[name] = port

    def metrics(self, name: str) -> Samples:
        """A started service's ``/metrics`` samples.

        Raises:
            KeyError: The service was never started.
            OSError: It does not answer.
        """
        return scrape(f"http://127.0.0.1:{self.metrics_ports[name]}/metrics")

    def ready(self, name: str) -> bool:
        """Whether a started service is ready (see :data:`READY_WHEN`)."""
        try:
            samples = self.metrics(name)
        except (KeyError, OSError):
            return False
        rule = READY_WHEN.get(_service(name))
        return rule is None or rule(samples)

    def wait_ready(self, names: Sequence[str], timeout_s: float) -> list[str]:
        """Wait until every named service is ready; returns those that are not, at once if
        one of them exited, else after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        waiting = list(names)
        while waiting:
            waiting = [name for name in waiting if not self.ready(name)]
            if not waiting or set(waiting) & set(self.dead()) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        return waiting

    def dead(self) -> list[str]:
        """Services that exited on their own."""
        return [name for name, p in self.processes.items() if p.poll() is not None]

    def stop(self) -> None:
        """SIGTERM every service (they drain and commit), SIGKILL stragglers."""
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                stop_pid(process.pid, 1)
                process.wait(5)

    def log_tail(self, name: str, chars: int = 1500) -> str:
        """The end of a service's log, for error messages."""
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""


def _service(name: str) -> str:
    return name.split("-", 1)[0]


def _env_name(name: str) -> str:
    return {"trainer": "TRAINING"}.get(_service(name), _service(name).upper())
