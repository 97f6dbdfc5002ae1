"""``eventml status``: one screen of what runs and how far behind it is."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import typer
from rich.table import Table

from streams.cli.context import CliContext, console, fail, get_context
from streams.exceptions import EventmlError


def _collect(context: CliContext) -> dict[str, Any]:
    from inference.settings import InferenceSettings
    from monitors.settings import MonitorSettings
    from streams.features.engines.settings import AggregatorSettings
    from streams.producer import codec_for
    from streams.reader import TopicReader
    from streams.status import group_lag, service_alive, topic_size
    from training.settings import TrainingSettings

    kafka, topics = context.kafka, context.topics
    inference, monitor = InferenceSettings(), MonitorSettings()
    aggregator = AggregatorSettings()
    trainer = TrainingSettings()
    groups = [
        (inference.group_id, topics.events),
        (monitor.group_id, topics.predictions),
        (monitor.group_id, topics.labels),
    ]
    lag = [
        {"group": g, **asdict(p), "lag": p.lag}
        for g, topic in groups
        for p in group_lag(kafka, topic, g)
    ]
    services = {
        "aggregator": service_alive(aggregator.metrics_host, aggregator.metrics_port),
        "inference": service_alive(inference.metrics_host, inference.metrics_port),
        "monitor": service_alive(monitor.metrics_host, monitor.metrics_port),
        "trainer": service_alive(trainer.metrics_host, trainer.metrics_port),
    }
    dead_letters = {
        spec.name: topic_size(kafka, spec.name)
        for spec in topics.specs()
        if spec.name.endswith("-dlq")
    }
    alerts = [
        r.value
        for r in TopicReader(
            kafka, topics.alerts, codec_for(kafka, topics.alerts, "alert"), idle_timeout_s=2
        )
        if r.value
    ]
    return {
        "consumer_lag": lag,
        "services": services,
        "dead_letters": dead_letters,
        "aliases": _aliases(context),
        "recent_alerts": alerts[-5:],
    }


def _aliases(context: CliContext) -> dict[str, str | None]:
    from training.model_events import ALIASES
    from training.registry_access import read_only_registry
    from training.settings import TrainingSettings

    registry = read_only_registry(TrainingSettings(), context.infra.home)
    return {alias: registry.holder(alias) for alias in ALIASES}


def status(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    """Consumer-group lag per partition, live services, model aliases, dead letters, alerts."""
    try:
        report = _collect(get_context(ctx))
    except EventmlError as exc:
        raise fail(str(exc)) from exc
    if as_json:
        print(json.dumps(report, default=str))
        return
    lag = Table(
        "group", "topic", "partition", "committed", "high watermark", "lag", title="consumer lag"
    )
    for row in report["consumer_lag"]:
        lag.add_row(
            row["group"],
            row["topic"],
            str(row["partition"]),
            str(row["committed"]),
            str(row["high_watermark"]),
            str(row["lag"]),
        )
    console.print(lag)
    console.print(
        "services: "
        + ", ".join(
            f"{name} {'[green]up[/]' if up else '[red]down[/]'}"
            for name, up in report["services"].items()
        )
    )
    console.print(
        "aliases: "
        + ", ".join(
            f"{alias}=v{version}" for alias, version in report["aliases"].items() if version
        )
    )
    console.print(
        "dead letters: "
        + ", ".join(f"{topic}={count}" for topic, count in report["dead_letters"].items() if count)
        or "none"
    )
    for alert in report["recent_alerts"]:
        console.print(
            f"alert {alert['type']} {alert.get('feature') or ''} "
            f"{alert['statistic']}={alert['value']:.3g} v{alert['model_version']}"
        )
