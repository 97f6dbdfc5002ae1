"""``eventml bench faults``: every fault scenario on private infrastructure, one flat JSON."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rich.progress import Progress

from streams.cli.context import console
from streams.proof.bootstrap import train_champion
from streams.proof.pipeline import Pipeline
from streams.proof.restartable import RestartableInfra
from streams.proof.scenarios import SCENARIOS, SERVICES, FaultOutcome, ScenarioConfig, ready

# The S3-backed broker reads every fetch over HTTP from a Python server: keep its load low.
BROKER_RESTART = ScenarioConfig(events=600, rate=50.0, settle_timeout_s=240.0)


def run_scenarios(
    workdir: Path, names: Iterable[str], config: ScenarioConfig, seed: int = 7
) -> list[FaultOutcome]:
    """Train a champion once, then run each named scenario on a fresh service set."""
    names = list(names)
    shared = RestartableInfra(workdir / "infra")
    outcomes = []
    try:
        home = workdir / "home"
        train_champion(shared.kafka, shared.redis_settings, home, seed)
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("fault scenarios", total=len(names))
            for name in names:
                progress.update(task, description=f"scenario {name}")
                outcomes.append(_run_one(name, workdir, shared, home, config, seed))
                progress.advance(task)
    finally:
        shared.stop()
    return outcomes


def _run_one(
    name: str,
    workdir: Path,
    shared: RestartableInfra,
    home: Path,
    config: ScenarioConfig,
    seed: int,
) -> FaultOutcome:
    persistent = name == "restart_broker"
    infra = RestartableInfra(workdir / name, persistent=True) if persistent else shared
    run_config = BROKER_RESTART if persistent else config
    env = {"EVENTML_PROOF_SETTLE_S": str(run_config.settle_timeout_s)}
    pipeline = Pipeline(infra.kafka, infra.redis_settings, home, seed, env)
    try:
        pipeline.start(*SERVICES)
        ready(pipeline, 180 if persistent else 90)
        return SCENARIOS[name](pipeline, infra, run_config)
    finally:
        pipeline.close()
        if persistent:
            infra.stop()


def summarize(outcomes: list[FaultOutcome]) -> dict[str, Any]:
    """Totals across scenarios, then each scenario's own figures."""
    result: dict[str, Any] = {
        "lost_events": sum(o.lost_events for o in outcomes),
        "duplicate_predictions": sum(o.duplicate_predictions for o in outcomes),
        "dead_lettered": sum(o.dead_lettered for o in outcomes),
        "crashes": sum(o.crashes for o in outcomes),
        "recovery_seconds_max": max((o.recovery_seconds for o in outcomes), default=0.0),
        "scenarios": len(outcomes),
    }
    for o in outcomes:
        for key in ("produced", "lost_events", "duplicate_predictions", "recovery_seconds"):
            result[f"{o.scenario}_{key}"] = getattr(o, key)
        for key, value in o.detail.items():
            result[f"{o.scenario}_{key}"] = value
    return result


def faults_benchmark(context: Any, seed: int) -> dict[str, Any]:
    """The figures of ``eventml bench faults`` (private infrastructure, not the context's)."""
    workdir = Path(tempfile.mkdtemp(prefix="eventml-faults-"))
    try:
        return summarize(run_scenarios(workdir, SCENARIOS, ScenarioConfig(), seed))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
