"""``eventml run SERVICE``: the long-running services, each a process of its own.

Every service stops cleanly on SIGTERM or Ctrl-C: the current batch finishes and is
committed, then the process exits 0.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import TYPE_CHECKING

import typer

from streams.cli.context import CliContext, console, fail, get_context
from streams.exceptions import EventmlError
from streams.heap import settle_heap

if TYPE_CHECKING:
    from training.registry import ModelRegistry

app = typer.Typer(help="Run an eventml service (stops cleanly on SIGTERM).", no_args_is_help=True)


def stop_flag() -> threading.Event:
    """An event set by SIGTERM or SIGINT."""
    stop = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    return stop


def _home_registry(context: CliContext) -> ModelRegistry:
    # Imported here: the registry pulls in MLflow, which takes seconds to import.
    from training.registry_access import kafka_publisher, open_registry
    from training.settings import TrainingSettings

    publish = kafka_publisher(context.kafka, context.topics.model_events)
    return open_registry(TrainingSettings(), context.infra.home, publish)


@app.command()
def monitor(ctx: typer.Context) -> None:
    """Drift, delayed-label quality, alerts, retrain requests and canary decisions."""
    from prometheus_client import REGISTRY

    from monitors.metrics import MonitorMetrics
    from monitors.service import MonitorService
    from monitors.settings import MonitorSettings
    from streams.metrics_server import serve_metrics

    context = get_context(ctx)
    settings = MonitorSettings()
    try:
        service = MonitorService(
            context.kafka,
            context.topics,
            settings,
            _home_registry(context),
            MonitorMetrics(REGISTRY),
        )
        serve_metrics(settings.metrics_host, settings.metrics_port)
        console.print(f"monitor running (group {settings.group_id}); Ctrl-C stops it")
        settle_heap()
        service.run(stop_flag().is_set)
    except EventmlError as exc:
        raise fail(str(exc)) from exc


@app.command()
def trainer(
    ctx: typer.Context,
    lookback_hours: float | None = typer.Option(
        24.0, help="Train on events this many event-time hours before the request."
    ),
) -> None:
    """Serve retrain requests: one gated training job at a time, under a timeout."""
    from streams.metrics_server import serve_metrics
    from training.registry_access import kafka_publisher
    from training.service import TrainerService
    from training.settings import TrainingSettings

    context = get_context(ctx)
    settings = TrainingSettings()
    try:
        publish = kafka_publisher(context.kafka, context.topics.model_events)
        service = TrainerService(
            context.kafka, context.topics, settings, publish, lookback_hours=lookback_hours
        )
        serve_metrics(settings.metrics_host, settings.metrics_port)
        console.print("trainer running; Ctrl-C stops it")
        service.run(stop_flag().is_set)
    except EventmlError as exc:
        raise fail(str(exc)) from exc


@app.command()
def aggregator(
    ctx: typer.Context,
    engine: str | None = typer.Option(None, help="bytewax (default) or faust."),
    workers: int | None = typer.Option(None, help="Workers in this process."),
) -> None:
    """Streaming features: events in, windowed aggregates to the Redis online store."""
    from streams.features.engines.settings import AggregatorSettings
    from streams.metrics_server import serve_metrics

    context = get_context(ctx)
    settings = AggregatorSettings()
    updates: dict[str, object] = {}
    if engine is not None:
        updates["engine"] = engine
    if workers is not None:
        updates["workers"] = workers
    if settings.recovery_dir is None:
        updates["recovery_dir"] = context.infra.home / f"{settings.app_id}-recovery"
    settings = settings.model_copy(update=updates)
    try:
        kafka, redis_settings = context.kafka, context.redis
        serve_metrics(settings.metrics_host, settings.metrics_port)
        console.print(f"aggregator running ({settings.engine}); Ctrl-C stops it")
        settle_heap()
        if settings.engine == "faust":
            from streams.features.engines.faust_worker import run_faust

            run_faust(kafka, context.topics, settings, redis_settings, stop_flag())
        else:
            from streams.features.engines.bytewax_runner import run_bytewax

            run_bytewax(kafka, context.topics, settings, redis_settings)
    except EventmlError as exc:
        raise fail(str(exc)) from exc


@app.command()
def inference(ctx: typer.Context) -> None:
    """Score every event: online features + ONNX models by alias → the predictions topic."""
    from prometheus_client import REGISTRY

    from inference import InferenceMetrics, InferenceRunner, InferenceSettings
    from inference.online_source import RedisFeatureSource
    from inference.registry_provider import RegistryModelProvider
    from streams.features.catalog import list_views
    from streams.features.engines.settings import AggregatorSettings
    from streams.features.online_store import RedisOnlineStore
    from streams.metrics_server import serve_metrics
    from streams.redis_client import make_redis

    context = get_context(ctx)
    settings = InferenceSettings()
    try:
        store = RedisOnlineStore(
            make_redis(context.redis), prefix=AggregatorSettings().redis_prefix
        )
        runner = InferenceRunner(
            context.kafka,
            context.topics,
            settings,
            RegistryModelProvider(_home_registry(context)),
            RedisFeatureSource(store, list_views()),
            InferenceMetrics(REGISTRY),
        )
        serve_metrics(settings.metrics_host, settings.metrics_port)
        console.print(f"inference running (group {settings.group_id}); Ctrl-C stops it")
        settle_heap()
        raise typer.Exit(runner.run(stop_flag().is_set))
    except EventmlError as exc:
        raise fail(str(exc)) from exc
