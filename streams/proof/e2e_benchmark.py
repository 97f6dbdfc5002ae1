"""``eventml bench e2e``: aggregator, inference and monitor as separate processes on private
embedded infrastructure, at a fixed offered load and at max load, one and two inference
processes. Latency is event production → prediction on the broker (its timestamp)."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from rich.progress import Progress

from streams.bench_support import Samples, histogram_quantile
from streams.cli.context import console
from streams.demo.summary import served
from streams.proof.bootstrap import train_champion
from streams.proof.cpu import cpu_seconds
from streams.proof.pipeline import Pipeline
from streams.proof.restartable import RestartableInfra
from streams.proof.scenarios import SERVICES, ready

FIXED_RATE = 2000.0
FIXED_SECONDS = 15.0
MAX_EVENTS = 30_000
SETTLE_S = 180.0


def _aggregator_samples(pipeline: Pipeline) -> Samples:
    return pipeline.services.metrics("aggregator")


def _freshness_p99_ms(before: Samples, after: Samples) -> float:
    delta = {key: value - before.get(key, 0.0) for key, value in after.items()}
    p99 = histogram_quantile(delta, "eventml_features_freshness_seconds", {"view": "card"}, 0.99)
    return p99 * 1000


def _served_window(pipeline: Pipeline, since: float) -> tuple[int, float, list[float]]:
    """Events produced after ``since``: how many were served, the time from the first one's
    production to the last one's prediction, and their end-to-end latencies (ms)."""
    with pipeline.lock:
        first = served(pipeline.observed)
        rows = [
            (wall, first[eid].get("_e2e_ms"))
            for eid, (_, wall) in pipeline.observed.produced.items()
            if wall >= since and eid in first
        ]
    latencies = [float(ms) for _, ms in rows if ms is not None]
    if not rows:
        return 0, float("nan"), latencies
    start = min(wall for wall, _ in rows)
    end = max(wall + (ms or 0.0) / 1000 for wall, ms in rows)
    return len(rows), end - start, latencies


def _run(
    infra: RestartableInfra, home: Path, inference: int, rate: float | None, n: int, seed: int
) -> dict[str, float]:
    names = (*SERVICES, *(f"inference-{i}" for i in range(2, inference + 1)))
    pipeline = Pipeline(infra.kafka, infra.redis_settings, home, seed)
    try:
        pipeline.start(*names)
        ready(pipeline, 180)
        pids = [p.pid for p in pipeline.services.processes.values()]
        infra_pids = [infra.broker.process.pid, infra.redis.process.pid]
        cpu0, infra0 = cpu_seconds(pids), cpu_seconds(infra_pids)
        pipeline.feed.prepare(n)
        metrics0 = _aggregator_samples(pipeline)
        since = time.time()
        pipeline.feed.produce(n, rate)
        offered = n / (time.time() - since)
        pipeline.wait_served(SETTLE_S)
        count, seconds, latencies = _served_window(pipeline, since)
        cpu, infra_cpu = cpu_seconds(pids) - cpu0, cpu_seconds(infra_pids) - infra0
        freshness = _freshness_p99_ms(metrics0, _aggregator_samples(pipeline))
        lost = pipeline.accounting().lost
    finally:
        pipeline.close()
    return {
        "events": n,
        "offered_per_s": offered,
        "lost": lost,
        "events_per_s": count / seconds,
        "latency_p50_ms": float(np.percentile(latencies, 50)),
        "latency_p99_ms": float(np.percentile(latencies, 99)),
        "freshness_p99_ms": freshness,
        "cpu_s_per_1k_predictions": 1000 * cpu / max(count, 1),
        "cpu_s_per_1k_predictions_with_infra": 1000 * (cpu + infra_cpu) / max(count, 1),
    }


def e2e_benchmark(context: Any, seed: int) -> dict[str, Any]:
    """The figures of ``eventml bench e2e`` (private infrastructure, not the context's)."""
    workdir = Path(tempfile.mkdtemp(prefix="eventml-e2e-"))
    infra = RestartableInfra(workdir / "infra")
    result: dict[str, Any] = {"offered_events_per_s": FIXED_RATE}
    try:
        train_champion(infra.kafka, infra.redis_settings, workdir / "home", seed)
        runs = {
            "": (1, FIXED_RATE, int(FIXED_RATE * FIXED_SECONDS)),
            "max_": (1, None, MAX_EVENTS),
            "max_2_consumers_": (2, None, MAX_EVENTS),
        }
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("e2e runs", total=len(runs))
            for prefix, (inference, rate, n) in runs.items():
                progress.update(task, description=f"e2e {prefix or 'fixed_'}load")
                figures = _run(infra, workdir / "home", inference, rate, n, seed)
                result.update({f"{prefix}{k}": v for k, v in figures.items()})
                progress.advance(task)
    finally:
        infra.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    result["events_per_s_2_consumers"] = result["max_2_consumers_events_per_s"]
    result["scale_out_2_consumers"] = (
        result["max_2_consumers_events_per_s"] / result["max_events_per_s"]
    )
    return result
