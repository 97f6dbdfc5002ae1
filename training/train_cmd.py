"""``eventml train``: train a model from the event log and register it (gated)."""

from __future__ import annotations

import typer
from rich.table import Table

from streams.cli.context import console, fail, get_context
from streams.exceptions import EventmlError

HOUR_MS = 3_600_000


def train(
    ctx: typer.Context,
    window_end_ms: int | None = typer.Option(
        None,
        "--window-end-ms",
        help="Event-time end of the window and label cut-off "
        "(epoch ms); default: everything, cut-off at the newest label.",
    ),
    lookback_hours: float | None = typer.Option(
        None, help="Use only events this many hours before the window end."
    ),
    promote_to: str = typer.Option("challenger", help="Alias a version that passes gets."),
    family: str | None = typer.Option(None, help="hgb (default) or mlp."),
) -> None:
    """Build a point-in-time dataset from the event log, train to ONNX, run the gates and
    register the version in MLflow. Exit code 2 when a gate failed."""
    from training.job import JobSpec, run_job
    from training.registry_access import kafka_publisher
    from training.settings import TrainingSettings

    context = get_context(ctx)
    settings = TrainingSettings()
    if family is not None:
        settings = settings.model_copy(update={"family": family})
    lookback = int(lookback_hours * HOUR_MS) if lookback_hours is not None else None
    spec = JobSpec(window_end_ms, lookback, promote_to, actor="eventml train")
    try:
        publish = kafka_publisher(context.kafka, context.topics.model_events)
        with console.status("training (reading the event log, backfilling features)..."):
            outcome = run_job(
                context.kafka, context.topics, settings, context.infra.home, spec, publish
            )
    except EventmlError as exc:
        raise fail(f"{type(exc).__name__}: {exc}") from exc
    table = Table("figure", "value", title=f"{settings.model_name} v{outcome.version}")
    table.add_row("alias", outcome.alias or "(none: gates failed)")
    table.add_row("sha256", outcome.sha256)
    for name, value in outcome.metrics.as_dict().items():
        shown = f"{value:.0f}" if name in {"rows", "positives"} else f"{value:.4f}"
        table.add_row(name, shown)
    table.add_row("onnx parity max |diff|", f"{outcome.parity_max_abs_diff:.2e}")
    table.add_row("train seconds", f"{outcome.train_seconds:.1f}")
    console.print(table)
    console.print(outcome.gate_report.render())
    if not outcome.gate_report.passed:
        raise typer.Exit(2)
