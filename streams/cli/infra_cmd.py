"""``eventml infra up|down|status``: the embedded broker and Redis."""

from __future__ import annotations

import json
from dataclasses import asdict

import typer
from rich.table import Table

from streams.cli.context import console, fail, get_context
from streams.exceptions import EventmlError
from streams.infra.kcat import kcat_command, kcat_environment
from streams.infra.stack import InfraState, stack_status, start_stack, stop_stack

app = typer.Typer(
    help="Run the embedded Kafka-compatible broker (tansu) and Redis (Valkey).",
    no_args_is_help=True,
)


@app.command()
def up(ctx: typer.Context) -> None:
    """Start the broker and Redis on free loopback ports (no-op when already running)."""
    infra = get_context(ctx).infra
    try:
        state, started = start_stack(infra)
    except EventmlError as exc:
        raise fail(str(exc)) from exc
    verb = "started" if started else "already running"
    console.print(f"[green]embedded infrastructure {verb}[/]")
    console.print(f"KAFKA_BOOTSTRAP_SERVERS={state.kafka_bootstrap_servers}")
    console.print(f"REDIS_URL={state.redis_url}")


@app.command()
def down(ctx: typer.Context) -> None:
    """Stop the broker and Redis started by ``infra up`` (their data is in memory and is lost)."""
    state = stop_stack(get_context(ctx).infra)
    console.print("stopped" if state else "nothing was running")


@app.command()
def status(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    """Show addresses and whether each server answers; exit 1 when something is down."""
    state = InfraState.read(get_context(ctx).infra.home)
    if state is None:
        if as_json:
            console.print_json(json.dumps({"running": False}))
        else:
            console.print("not running: start it with [bold]eventml infra up[/]")
        raise typer.Exit(1)
    services = stack_status(state)
    healthy = all(s.answering for s in services)
    if as_json:
        payload = {
            "running": healthy,
            "kafka_bootstrap_servers": state.kafka_bootstrap_servers,
            "redis_url": state.redis_url,
            "services": [asdict(s) for s in services],
        }
        print(json.dumps(payload))
    else:
        table = Table("service", "address", "pid", "process", "answers")
        for s in services:
            table.add_row(s.name, s.address, str(s.pid), _mark(s.process_alive), _mark(s.answering))
        console.print(table)
    if not healthy:
        raise typer.Exit(1)


def _mark(ok: bool) -> str:
    return "[green]yes[/]" if ok else "[red]no[/]"


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def kcat(ctx: typer.Context) -> None:
    """Run kcat against the embedded broker, e.g. ``eventml infra kcat -L``.

    Debian's kcat (librdkafka 2.0) fails the embedded broker's handshake; this runs it with
    the newer librdkafka that confluent-kafka ships. Against Apache Kafka, plain kcat works."""
    import os
    import subprocess

    infra = get_context(ctx).infra
    state = InfraState.read(infra.home)
    if state is None:
        raise fail("not running: start it with eventml infra up")
    try:
        argv = kcat_command(state.kafka_bootstrap_servers, list(ctx.args))
    except EventmlError as exc:
        raise fail(str(exc)) from exc
    env = {**os.environ, **kcat_environment(infra.home / "kcat-lib")}
    raise typer.Exit(subprocess.run(argv, env=env, check=False).returncode)
