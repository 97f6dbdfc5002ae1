"""A server child process on a free loopback port, with readiness and clean shutdown."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from streams.exceptions import InfrastructureError


def free_port(host: str = "127.0.0.1") -> int:
    """Ask the OS for a port nobody listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def pid_alive(pid: int) -> bool:
    """True when a process with ``pid`` exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.split(")")[-1].split()[0] != "Z"


def stop_pid(pid: int, timeout_s: float = 5.0) -> None:
    """SIGTERM, wait, then SIGKILL."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not pid_alive(pid):
                return
            time.sleep(0.02)


class ServerProcess:
    """Starts ``argv`` detached from the terminal, logs to a file, waits until ready.

    Args:
        name: For messages (``broker``, ``redis``).
        argv: The command line.
        log_path: Where stdout and stderr go.
        ready: Returns True once the server answers.
        env: Extra environment variables for the server.
    """

    def __init__(
        self,
        name: str,
        argv: list[str],
        log_path: Path,
        ready: Callable[[], bool],
        env: dict[str, str] | None = None,
    ) -> None:
        self.name = name
        self.argv = argv
        self.env = env
        self.log_path = log_path
        self._ready = ready
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        if self._proc is None:
            raise InfrastructureError(f"{self.name} is not started")
        return self._proc.pid

    def start(self, timeout_s: float = 20.0) -> None:
        """Spawn and block until ready; raise with the log's tail when it does not come up."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                self.argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                env={**os.environ, **self.env} if self.env else None,
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                break
            if self._ready():
                return
            time.sleep(0.05)
        self.stop()
        tail = self.log_path.read_text(errors="replace")[-2000:]
        raise InfrastructureError(f"{self.name} did not become ready:\n{tail}")

    def release(self) -> int:
        """Let the server outlive this object (``eventml infra up`` exits, servers stay).

        Returns the pid; stop it later with :func:`stop_pid`.
        """
        pid = self.pid
        assert self._proc is not None
        # Popen warns when collected while its child runs; this child is meant to.
        self._proc.returncode = 0
        self._proc = None
        return pid

    def kill(self) -> None:
        """SIGKILL, no shutdown of any kind (fault injection), and reap it."""
        if self._proc is None:
            return
        self._proc.kill()
        self._proc.wait(timeout=5)
        self._proc = None

    def stop(self) -> None:
        """Stop the process (and reap it)."""
        if self._proc is None:
            return
        stop_pid(self._proc.pid)
        self._proc.wait(timeout=5)
        self._proc = None
