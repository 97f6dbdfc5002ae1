"""The processes of a Bytewax cluster sharing one recovery directory and starting together:
one initialises it, none fails (initialising twice raised "UNIQUE constraint failed")."""

from __future__ import annotations

import multiprocessing
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

from streams.features.engines.bytewax_runner import RECOVERY_PARTITIONS, ensure_recovery_dir


def _start(path: Path, together: Barrier, outcomes: Any) -> None:
    together.wait()
    try:
        ensure_recovery_dir(path)
        outcomes.put("ok")
    except BaseException as exc:  # the panic Bytewax raises is not an Exception
        outcomes.put(f"{type(exc).__name__}: {exc}")


def test_processes_starting_together_share_one_initialised_directory(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    for round_ in range(5):
        path = tmp_path / f"recovery-{round_}"
        together, outcomes = ctx.Barrier(2), ctx.Queue()
        starters = [ctx.Process(target=_start, args=(path, together, outcomes)) for _ in "ab"]
        for starter in starters:
            starter.start()
        for starter in starters:
            starter.join(60)
        assert [outcomes.get(timeout=5) for _ in starters] == ["ok", "ok"]
        assert len(list(path.glob("part-*.sqlite3"))) == RECOVERY_PARTITIONS
