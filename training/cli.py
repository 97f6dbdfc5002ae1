"""``eventml models list|show|promote|rollback|history``."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from streams.cli.context import console, fail, get_context
from streams.exceptions import EventmlError
from training.model_events import ALIASES
from training.settings import TrainingSettings

if TYPE_CHECKING:
    from training.registry import ModelRegistry


app = typer.Typer(
    help="The model registry: versions, aliases and their audit trail.", no_args_is_help=True
)


def _registry(ctx: typer.Context, publishing: bool = False) -> ModelRegistry:
    # Imported here: the registry pulls in MLflow, which takes seconds to import.
    from training.registry_access import kafka_publisher, open_registry, read_only_registry

    context = get_context(ctx)
    settings = TrainingSettings()

    if not publishing:
        return read_only_registry(settings, context.infra.home)
    publish = kafka_publisher(context.kafka, context.topics.model_events)
    return open_registry(settings, context.infra.home, publish)


def _when(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """Registered versions with their aliases, key metrics and artifact hash."""
    registry = _registry(ctx)
    holders = {alias: registry.holder(alias) for alias in ALIASES}
    table = Table("version", "aliases", "roc_auc", "threshold", "sha256", "run")
    try:
        versions = registry.client.search_model_versions(f"name='{registry.model_name}'")
    except EventmlError as exc:
        raise fail(str(exc)) from exc
    # MLflow hands versions back as int or str depending on the store: the registry uses str.
    for version in sorted((str(mv.version) for mv in versions), key=int):
        ref = registry.ref(version)
        run = registry.client.get_run(ref.run_id)
        auc = run.data.metrics.get("roc_auc")
        aliases = ", ".join(a for a, v in holders.items() if v == version)
        table.add_row(
            version,
            aliases,
            f"{auc:.4f}" if auc is not None else "",
            f"{ref.threshold:.4f}",
            ref.sha256[:12],
            ref.run_id[:8],
        )
    console.print(table)


@app.command()
def show(ctx: typer.Context, version_or_alias: str = typer.Argument(...)) -> None:
    """One version (or the holder of an alias): lineage, metrics, features."""
    registry = _registry(ctx)
    try:
        ref = (
            registry.resolve(version_or_alias)
            if version_or_alias in ALIASES
            else registry.ref(version_or_alias)
        )
    except EventmlError as exc:
        raise fail(str(exc)) from exc
    run = registry.client.get_run(ref.run_id)
    table = Table("field", "value", title=f"{ref.name} v{ref.version}")
    table.add_row("sha256", ref.sha256)
    table.add_row("threshold", f"{ref.threshold:.6f}")
    table.add_row("features", ", ".join(ref.feature_names))
    for name, metric in sorted(run.data.metrics.items()):
        table.add_row(f"metric {name}", f"{metric:.6g}")
    for name, tag in sorted(run.data.tags.items()):
        if name.startswith(("lineage.", "eventml.")) and ".package." not in name:
            table.add_row(f"tag {name}", tag[:120])
    console.print(table)


@app.command()
def promote(
    ctx: typer.Context,
    version: str = typer.Argument(..., help="Version to give the alias."),
    alias: str = typer.Option("champion", help="champion, challenger or shadow."),
    reason: str = typer.Option(..., help="Why; kept in the audit trail."),
    actor: str = typer.Option("cli", help="Who or what."),
) -> None:
    """Move an alias to a version; publishes a model event that running services act on."""
    try:
        change = _registry(ctx, publishing=True).promote(version, alias, reason, actor)
    except EventmlError as exc:
        raise fail(str(exc)) from exc
    console.print(f"{alias}: {change.from_version} -> {change.to_version}")


@app.command()
def rollback(
    ctx: typer.Context,
    alias: str = typer.Option("champion", help="Alias to move back."),
    reason: str = typer.Option(..., help="Why; kept in the audit trail."),
    actor: str = typer.Option("cli", help="Who or what."),
) -> None:
    """Give an alias back to its previous holder; publishes a model event."""
    try:
        change = _registry(ctx, publishing=True).rollback(alias, reason, actor)
    except EventmlError as exc:
        raise fail(str(exc)) from exc
    console.print(f"{alias}: {change.from_version} -> {change.to_version}")


@app.command()
def history(ctx: typer.Context) -> None:
    """The append-only audit of every alias change."""
    table = Table("when (UTC)", "alias", "from", "to", "action", "actor", "reason")
    for c in _registry(ctx).history():
        table.add_row(
            _when(c.time_ms),
            c.alias,
            c.from_version or "-",
            c.to_version or "-",
            c.action,
            c.actor,
            c.reason,
        )
    console.print(table)
