"""The ``eventml`` command: one Typer app, one sub-app per concern."""

from __future__ import annotations

import logging

import typer

from streams.cli import (
    bench_cmd,
    demo_cmd,
    dlq_cmd,
    features_cmd,
    infra_cmd,
    io_cmd,
    run_cmd,
    schemas_cmd,
    status_cmd,
    topics_cmd,
)
from streams.cli.context import CliContext

app = typer.Typer(
    name="eventml",
    help="Streaming-first ML on Kafka: features, ONNX inference, monitors and retraining.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(infra_cmd.app, name="infra")
app.add_typer(topics_cmd.app, name="topics")
app.add_typer(schemas_cmd.app, name="schemas")
app.add_typer(dlq_cmd.app, name="dlq")
app.command()(io_cmd.produce)
app.command()(io_cmd.tail)
app.command()(demo_cmd.demo)
app.command()(status_cmd.status)
app.add_typer(bench_cmd.app, name="bench")
app.add_typer(run_cmd.app, name="run")
app.add_typer(features_cmd.app, name="features")


def _register_stage_commands() -> None:
    """Stage packages add their commands here (imported lazily: they pull in heavy deps)."""
    from monitors.experiments_cmd import app as experiments_app
    from training.cli import app as models_app
    from training.train_cmd import train

    app.add_typer(models_app, name="models")
    app.add_typer(experiments_app, name="experiments")
    app.command()(train)


_register_stage_commands()


@app.callback()
def root(
    ctx: typer.Context,
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log at debug level."),
) -> None:
    """Settings come from the environment (KAFKA_BOOTSTRAP_SERVERS, REDIS_URL, EVENTML_*).
    When the addresses are unset, the embedded broker and Redis are used (started if needed)."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    ctx.obj = CliContext()


def main() -> None:
    """Console-script entry point."""
    app()
