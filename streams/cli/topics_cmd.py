"""``eventml topics create|list``."""

from __future__ import annotations

import typer
from rich.table import Table

from streams.cli.context import console, fail, get_context
from streams.exceptions import EventmlError
from streams.kafka.admin import create_topics, list_topics
from streams.kafka.clients import make_admin

app = typer.Typer(help="Create and list eventml's topics.", no_args_is_help=True)


@app.command()
def create(ctx: typer.Context) -> None:
    """Create every catalogue topic that does not exist yet (idempotent)."""
    context = get_context(ctx)
    try:
        specs = context.topics.specs()
        result = create_topics(make_admin(context.kafka), specs)
    except EventmlError as exc:
        raise fail(str(exc)) from exc
    table = Table("topic", "partitions", "retention (days)", "cleanup", "status")
    for spec in specs:
        table.add_row(
            spec.name,
            str(spec.partitions),
            f"{spec.retention_ms / 86_400_000:g}",
            spec.cleanup_policy,
            result[spec.name],
        )
    console.print(table)


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """List the catalogue with what the broker has (missing topics are marked)."""
    context = get_context(ctx)
    try:
        existing = list_topics(make_admin(context.kafka))
    except EventmlError as exc:
        raise fail(str(exc)) from exc
    table = Table("topic", "partitions", "record", "description", "on broker")
    for spec in context.topics.specs():
        info = existing.get(spec.name)
        table.add_row(
            spec.name,
            str(info.partitions if info else spec.partitions),
            spec.record or "(raw)",
            spec.description,
            "[green]yes[/]" if info else "[red]missing[/]",
        )
    console.print(table)
