"""``eventml features list|describe|get``: the feature catalogue and the online store."""

from __future__ import annotations

import time

import typer
from rich.table import Table

from streams.cli.context import console, fail, get_context
from streams.exceptions import EventmlError

app = typer.Typer(help="Browse feature views and read online features.", no_args_is_help=True)


@app.command("list")
def list_() -> None:
    """Every feature view: entity, key, features, version, owner."""
    from streams.features.catalog import list_views

    table = Table("view", "entity", "key", "features", "version", "ttl", "owner", "tags")
    for v in list_views():
        table.add_row(
            v.name,
            v.entity,
            v.key_field,
            str(len(v.feature_names)),
            v.version,
            f"{v.ttl_seconds // 3600} h",
            v.owner,
            ", ".join(v.tags),
        )
    console.print(table)


@app.command()
def describe(view: str = typer.Argument(..., help="View name, e.g. card.")) -> None:
    """One view's features: aggregation, field, window and default."""
    from streams.features.catalog import get_view

    try:
        found = get_view(view)
    except EventmlError as exc:
        raise fail(str(exc)) from exc
    console.print(f"[bold]{found.name}[/] v{found.version}: {found.description}")
    table = Table("feature", "kind", "field", "window", "bucket", "default")
    for agg in found.aggregations:
        window = agg.window
        table.add_row(
            agg.name,
            agg.kind,
            agg.field or "",
            f"{window.kind} {window.size_ms / 1000:g} s" if window else "",
            f"{window.bucket_ms / 1000:g} s" if window else "",
            f"{agg.default:g}",
        )
    console.print(table)


@app.command()
def get(
    ctx: typer.Context,
    view: str = typer.Argument(..., help="View name."),
    entities: list[str] = typer.Argument(..., help="Entity ids."),
    at_ms: int | None = typer.Option(None, help="Evaluate at this time (default: now)."),
) -> None:
    """Online features of entities as of now (one round trip)."""

    from streams.features.catalog import get_view
    from streams.features.engines.settings import AggregatorSettings
    from streams.features.online_store import RedisOnlineStore
    from streams.redis_client import make_redis

    context = get_context(ctx)
    try:
        found = get_view(view)
        store = RedisOnlineStore(
            make_redis(context.redis), prefix=AggregatorSettings().redis_prefix
        )
        online = store.get(entities, found, None, at_ms or time.time_ns() // 1_000_000)
    except EventmlError as exc:
        raise fail(str(exc)) from exc
    table = Table("feature", *entities)
    for j, name in enumerate(online.feature_names):
        table.add_row(name, *(f"{online.values[i, j]:.6g}" for i in range(len(entities))))
    table.add_row("[dim]found[/]", *(str(bool(f)) for f in online.found))
    console.print(table)


@app.command()
def materialize(
    ctx: typer.Context,
    views: list[str] = typer.Option([], "--view", help="Only these views (default: all)."),
) -> None:
    """Rebuild the online store from the events topic (after Redis lost data, or a new view).

    Safe beside a running aggregator: a row never replaces a newer one.
    """
    from rich.progress import Progress

    from schemas import AvroCodec, default_catalog
    from streams.features.catalog import get_view, list_views
    from streams.features.engines.settings import AggregatorSettings
    from streams.features.materialize import materialize as run
    from streams.features.online_store import RedisOnlineStore
    from streams.reader import TopicReader
    from streams.redis_client import make_redis

    context = get_context(ctx)
    settings = AggregatorSettings()
    try:
        chosen = [get_view(v) for v in views] if views else list(list_views())
        store = RedisOnlineStore(make_redis(context.redis), prefix=settings.redis_prefix)
        codec = AvroCodec(default_catalog(), "transaction")
        records = TopicReader(context.kafka, context.topics.events, codec)
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task(f"replaying {context.topics.events}", total=None)
            result = run(
                records,
                chosen,
                store,
                settings.allowed_lateness_ms,
                lambda n: progress.update(task, completed=n),
            )
    except EventmlError as exc:
        raise fail(str(exc)) from exc
    console.print(
        f"{result.events:,} events replayed ({result.undecodable:,} undecodable skipped): "
        f"{result.rows_written:,} rows written, {result.rows_stale:,} left (live rows newer)"
    )
