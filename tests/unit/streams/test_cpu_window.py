"""Cores busy over a window, for processes and the machine; the process behind a port."""

from __future__ import annotations

import math
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from streams.proof.cpu import CpuWindow, listening_pid


def _child(code: str) -> Iterator[subprocess.Popen[bytes]]:
    """A Python child running ``code`` once its interpreter has started."""
    ready = "import sys; sys.stdout.write('ready\\n'); sys.stdout.flush()\n"
    with subprocess.Popen([sys.executable, "-c", ready + code], stdout=subprocess.PIPE) as child:
        try:
            assert child.stdout is not None and child.stdout.readline() == b"ready\n"
            yield child
        finally:
            child.kill()


@pytest.fixture
def spinner() -> Iterator[subprocess.Popen[bytes]]:
    yield from _child("while True: pass")


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    yield from _child("import time; time.sleep(60)")


def test_a_busy_process_shows_a_core_and_a_sleeping_one_none(
    spinner: subprocess.Popen[bytes], sleeper: subprocess.Popen[bytes]
) -> None:
    busy, idle = CpuWindow([spinner.pid]), CpuWindow([sleeper.pid])
    busy.open()
    idle.open()
    time.sleep(1.0)
    busy_cores, machine_cores = busy.close()
    idle_cores, _ = idle.close()
    # A spinning process takes most of a core even on a shared machine; the machine is at
    # least as busy as it.
    assert busy_cores > 0.5
    assert machine_cores >= busy_cores * 0.9
    assert idle_cores < 0.05


def test_a_window_never_opened_reports_nan() -> None:
    assert all(math.isnan(v) for v in CpuWindow([1]).close())


def test_the_process_listening_on_a_port_is_found() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    port = server.getsockname()[1]
    server.listen()
    try:
        assert listening_pid(port) == os.getpid()
    finally:
        server.close()
    assert listening_pid(port) is None
