"""``eventml demo``."""

from __future__ import annotations

import uuid

import typer
from rich.table import Table

from streams.cli.context import console, fail, get_context
from streams.demo.walkthrough import run_walkthrough
from streams.exceptions import EventmlError
from streams.kafka.admin import create_topics
from streams.kafka.clients import make_admin
from streams.kafka.topics import TopicCatalogue


def demo(
    ctx: typer.Context,
    events: int = typer.Option(20_000, help="Synthetic transactions to produce."),
    seed: int = typer.Option(7, help="Seed of the synthetic world."),
) -> None:
    """Run the walk-through on the embedded broker (or the one in KAFKA_BOOTSTRAP_SERVERS):
    produce a synthetic stream with bad records mixed in, consume it, and account for every
    record. Exits non-zero if any record is lost."""
    context = get_context(ctx)
    try:
        kafka = context.kafka
        run_prefix = f"{context.kafka_raw.topic_prefix}demo-{uuid.uuid4().hex[:6]}."
        topics = TopicCatalogue(run_prefix, context.kafka_raw.topic_partitions)
        create_topics(make_admin(kafka), topics.specs())
        console.print(f"broker {kafka.bootstrap_servers}, topics {run_prefix}*")
        result = run_walkthrough(kafka, topics, events, seed, console)
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
    table.add_row("throughput (records/s)", f"{(result.handled) / result.seconds:,.0f}")
    console.print(table)
    if result.lost != 0:
        raise fail(f"{result.lost} records unaccounted for")
