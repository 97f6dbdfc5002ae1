"""``eventml demo``: the closed loop (and ``--walkthrough`` for the short foundation tour)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import typer
from rich.table import Table

from streams.cli.context import console, fail, get_context
from streams.exceptions import EventmlError
from streams.kafka.admin import create_topics
from streams.kafka.clients import make_admin
from streams.kafka.topics import TopicCatalogue


def demo(
    ctx: typer.Context,
    events: int = typer.Option(
        60_000, help="Events in the live stream (more if the loop needs longer to close)."
    ),
    rate: float = typer.Option(400.0, help="Events per second offered."),
    engine: str = typer.Option("bytewax", help="Feature engine: bytewax or faust."),
    seed: int = typer.Option(7, help="Seed of the synthetic world."),
    no_drift: bool = typer.Option(False, "--no-drift", help="Run without the drift."),
    out: Path = typer.Option(Path("reports/demo"), help="Report folder."),
    keep_running: bool = typer.Option(False, help="Leave the services (and their /metrics) up."),
    walkthrough: bool = typer.Option(False, help="Only the short produce/consume/DLQ tour."),
) -> None:
    """Start the infrastructure, bootstrap a model, run aggregator, inference, monitor and
    trainer as processes, stream a seeded world with a drift midway, and close the loop:
    detect, retrain, canary, promote. Exits non-zero when the loop did not close or an
    event was lost."""
    context = get_context(ctx)
    if walkthrough:
        _walkthrough(ctx, events, seed)
        return
    from streams.demo.orchestrator import DemoConfig, run_demo

    config = DemoConfig(
        events=events,
        rate=rate,
        engine=engine,
        seed=seed,
        drift=not no_drift,
        out=out,
        keep_running=keep_running,
    )
    try:
        summary, problems, home = run_demo(
            context.kafka, context.redis, context.infra.home, config, console
        )
    except EventmlError as exc:
        raise fail(str(exc)) from exc
    table = Table("figure", "value", title="demo summary")
    for key, value in summary.items():
        shown = f"{value:,.4g}" if isinstance(value, float) else str(value)
        table.add_row(key, shown)
    console.print(table)
    console.print(
        f"report: {out / 'index.html'} (summary.json and plots beside it); "
        f"service logs: {home / 'logs'}; this run's settings: source {home / 'env.sh'}"
    )
    if problems:
        raise fail("the loop did not close: " + "; ".join(problems))
    console.print(json.dumps({"loop_closed": True}))


def _walkthrough(ctx: typer.Context, events: int, seed: int) -> None:
    from streams.demo.walkthrough import run_walkthrough

    context = get_context(ctx)
    try:
        kafka = context.kafka
        run_prefix = f"{context.kafka_raw.topic_prefix}walk-{uuid.uuid4().hex[:6]}."
        topics = TopicCatalogue(run_prefix, context.kafka_raw.topic_partitions)
        create_topics(make_admin(kafka), topics.specs())
        result = run_walkthrough(kafka, topics, min(events, 20_000), seed, console)
    except EventmlError as exc:
        raise fail(str(exc)) from exc
    table = Table("", "records", title="walk-through summary")
    table.add_row("produced (valid)", str(result.produced_good))
    table.add_row("produced (bad)", str(result.produced_bad))
    table.add_row("consumed and handled", str(result.handled))
    table.add_row("dead-lettered", str(result.dead_lettered))
    for reason, count in sorted(result.dead_letters_by_reason.items()):
        table.add_row(f"  reason: {reason}", str(count))
    table.add_row("lost", str(result.lost))
    console.print(table)
    if result.lost != 0:
        raise fail(f"{result.lost} records unaccounted for")
