"""``eventml bench ...``: every benchmark writes one flat JSON object (and shows a table)."""

from __future__ import annotations

import importlib
import json
import os
import platform
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from streams.cli.context import console, get_context
from streams.infra.stack import private_stack

app = typer.Typer(
    help="Benchmarks; each writes a flat JSON object with --json PATH.", no_args_is_help=True
)

# name -> "module:function"; each function takes the CLI context and a seed, returns a dict.
BENCHMARKS: dict[str, str] = {}


def machine() -> dict[str, Any]:
    """Where the figures came from."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "machine_cpu": cpu,
        "machine_cores": os.cpu_count() or 0,
        "python": platform.python_version(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def _shown(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"
    return str(value)


def write(result: dict[str, Any], path: Path | None, title: str) -> None:
    """Print the figures as a table and write them (plus machine info) as JSON."""
    payload = {**result, **machine()}
    table = Table("figure", "value", title=title)
    for key, value in payload.items():
        table.add_row(key, _shown(value))
    console.print(table)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
        console.print(f"wrote {path}")


def _run(name: str, ctx: typer.Context, seed: int) -> dict[str, Any]:
    module, _, function = BENCHMARKS[name].partition(":")
    bench: Callable[[Any, int], dict[str, Any]] = getattr(importlib.import_module(module), function)
    context = get_context(ctx)
    if context.kafka_raw.bootstrap_servers and context.redis_raw.url:
        return bench(context, seed)
    # Embedded: a fresh broker and Redis per benchmark (see private_stack), not the shared
    # stack of `eventml infra up`, whose broker holds whatever earlier runs produced.
    with private_stack(context.infra) as (bootstrap, redis_url):
        kafka = context.kafka_raw.model_copy(update={"bootstrap_servers": bootstrap})
        redis_settings = context.redis_raw.model_copy(update={"url": redis_url})
        return bench(replace(context, kafka_raw=kafka, redis_raw=redis_settings), seed)


def _command(name: str, doc: str) -> None:
    def command(
        ctx: typer.Context,
        json_path: Path | None = typer.Option(None, "--json", help="Write the figures here."),
        seed: int = typer.Option(7, help="Seed of the synthetic data."),
    ) -> None:
        write(_run(name, ctx, seed), json_path, f"bench {name}")

    command.__doc__ = doc
    app.command(name)(command)


def register(name: str, target: str, doc: str) -> None:
    """Add ``eventml bench NAME`` running ``target`` (``module:function``)."""
    BENCHMARKS[name] = target
    _command(name, doc)


MACHINE_KEYS = ("machine_cpu", "machine_cores", "python", "measured_at")


def results_table(out: Path) -> str:
    """A markdown table of every ``NAME.json`` in ``out``, each with its machine and time."""
    rows: list[str] = ["| benchmark | figure | value |", "|---|---|---|"]
    for name in BENCHMARKS:
        path = out / f"{name}.json"
        if not path.exists():
            continue
        result: dict[str, Any] = json.loads(path.read_text())
        where = ", ".join(_shown(result[k]) for k in MACHINE_KEYS if k in result)
        rows.append(f"| **{name}** | *measured on* | {where} |")
        rows += [
            f"| {name} | {key} | {_shown(value)} |"
            for key, value in sorted(result.items())
            if key not in MACHINE_KEYS
        ]
    return "\n".join(rows) + "\n"


@app.command("all")
def all_(
    ctx: typer.Context,
    out: Path = typer.Option(Path("benchmarks/results"), help="Directory for the JSON files."),
    seed: int = typer.Option(7),
) -> None:
    """Run every benchmark, write NAME.json for each and a markdown table of all figures."""
    for name in BENCHMARKS:
        write(_run(name, ctx, seed), out / f"{name}.json", f"bench {name}")
        report(out)  # after each: a later failure keeps the figures measured so far


@app.command("report")
def report(
    out: Path = typer.Option(Path("benchmarks/results"), help="Directory of NAME.json files."),
) -> None:
    """Rebuild RESULTS.md from the JSON files there (after single ``bench NAME --json`` runs)."""
    (out / "RESULTS.md").write_text(results_table(out))
    console.print(f"wrote {out / 'RESULTS.md'}")


register(
    "features",
    "streams.features.benchmark:features_benchmark",
    "Aggregator throughput per engine, freshness at 5k/s, online reads, parity.",
)
register(
    "monitors",
    "monitors.drift_benchmark:monitors_benchmark",
    "Drift detection delay, misses and false alarms on synthetic streams.",
)
register(
    "training",
    "training.benchmark:training_cli_benchmark",
    "Reproducibility (two runs, one sha256), ROC AUC, ONNX parity, training time.",
)
register(
    "inference",
    "inference.benchmark:inference_benchmark",
    "Consumer throughput vs a naive loop and the passthrough ceiling; latency at 5k/s.",
)
register(
    "e2e",
    "streams.proof.e2e_benchmark:e2e_benchmark",
    "Aggregator + inference + monitor as processes: fixed and max load, latency, cost.",
)
register(
    "faults",
    "streams.proof.faults_benchmark:faults_benchmark",
    "kill -9 of each service, Redis and broker restarts, fuzzed input: every event counted.",
)
