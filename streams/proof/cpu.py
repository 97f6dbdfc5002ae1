"""CPU seconds spent by a set of processes (and their children): the cost figure; and cores
busy over a window of a measurement, for processes and for the whole machine."""

from __future__ import annotations

import time
from collections.abc import Iterable

import psutil


def cpu_seconds(pids: Iterable[int]) -> float:
    """User + system CPU seconds of the processes and all their live descendants."""
    total = 0.0
    for pid in pids:
        try:
            root = psutil.Process(pid)
            for process in (root, *root.children(recursive=True)):
                times = process.cpu_times()
                total += times.user + times.system
        except psutil.NoSuchProcess:
            continue
    return total


def machine_busy_seconds() -> float:
    """CPU seconds the machine's cores have spent busy (all but idle and I/O wait)."""
    times = psutil.cpu_times()
    return float(sum(times) - times.idle - getattr(times, "iowait", 0.0))


def listening_pid(port: int) -> int | None:
    """The process of this machine listening on TCP ``port``, if any (and visible to us)."""
    for conn in psutil.net_connections(kind="tcp"):
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port:
            return int(conn.pid) if conn.pid is not None else None
    return None


class CpuWindow:
    """Cores busy on average between :meth:`open` and :meth:`close`: by ``pids`` (and their
    children) and by the whole machine."""

    def __init__(self, pids: Iterable[int]) -> None:
        self.pids = tuple(pids)
        self._start: tuple[float, float, float] | None = None

    @property
    def opened(self) -> bool:
        return self._start is not None

    def open(self) -> None:
        self._start = (time.monotonic(), cpu_seconds(self.pids), machine_busy_seconds())

    def close(self) -> tuple[float, float]:
        """``(cores used by the processes, cores busy on the machine)`` since :meth:`open`
        (NaN for both if it was never opened)."""
        if self._start is None:
            return float("nan"), float("nan")
        wall, processes, machine = self._start
        seconds = max(time.monotonic() - wall, 1e-9)
        return (
            (cpu_seconds(self.pids) - processes) / seconds,
            (machine_busy_seconds() - machine) / seconds,
        )
