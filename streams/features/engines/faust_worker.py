"""Running the aggregator's Faust app as a worker in this process, and stopping it cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from typing import Any

import faust
from mode.threads import WorkerThread

from streams.exceptions import InfrastructureError
from streams.features.engines.faust_app import build_app, internal_topics
from streams.features.engines.settings import AggregatorSettings
from streams.kafka.admin import create_topics
from streams.kafka.clients import make_admin
from streams.kafka.topics import TopicCatalogue
from streams.settings import KafkaSettings, RedisSettings

log = logging.getLogger(__name__)


class _Worker(faust.Worker):
    """A worker whose signal handlers are optional (the caller may own the signals, and
    outside the main thread there are none to install)."""

    own_signals = True

    def install_signal_handlers(self) -> None:
        if self.own_signals and threading.current_thread() is threading.main_thread():
            super().install_signal_handlers()


def run_faust(
    kafka: KafkaSettings,
    topics: TopicCatalogue,
    settings: AggregatorSettings,
    redis_settings: RedisSettings,
    stop: threading.Event | None = None,
) -> None:
    """Run a Faust worker of the aggregator in this process until stopped.

    Stops on SIGINT/SIGTERM (main thread) or when ``stop`` is set.

    Raises:
        InfrastructureError: The worker crashed (broker, Redis...): exit non-zero.
    """
    create_topics(make_admin(kafka), internal_topics(settings, topics))
    app = build_app(kafka, topics, settings, redis_settings)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    worker = _Worker(app, loop=loop, quiet=True, override_logging=False, redirect_stdouts=False)
    worker.own_signals = stop is None
    watcher = loop.create_task(_stop_when_set(stop, worker)) if stop is not None else None
    log.info(
        "faust aggregator %s: %d partitions, datadir %s",
        settings.app_id,
        topics.partitions,
        app.conf.datadir,
    )
    try:
        loop.run_until_complete(worker.start())
    finally:
        if watcher is not None:
            watcher.cancel()
        # The app's own stop may still be running: Faust's table recovery service does not
        # end when cancelled, so it is given a bounded time; then the consumer's service
        # thread (non-daemon, it kept the process alive after SIGTERM) is stopped before
        # the loop closes. Offsets not committed by then are replayed and skipped per offset.
        _finish_pending(loop, timeout_s=8.0)
        alive = stop_leftover_threads()
        if alive:
            log.warning("faust threads still running after shutdown: %s", ", ".join(alive))
        worker.stop_and_shutdown()
    if worker.crash_reason is not None:
        raise InfrastructureError(
            f"faust worker crashed: {worker.crash_reason!r}"
        ) from worker.crash_reason


async def _stop_when_set(stop: threading.Event, worker: Any) -> None:
    while not stop.is_set():
        await asyncio.sleep(0.2)
    await worker.stop()


def _finish_pending(loop: asyncio.AbstractEventLoop, timeout_s: float) -> None:
    """Run the loop until its unfinished ``stop()`` tasks end (or ``timeout_s`` passes);
    other tasks (supervisors, samplers) would run forever."""
    pending = [
        task
        for task in asyncio.all_tasks(loop)
        if not task.done() and getattr(task.get_coro(), "__qualname__", "").endswith(".stop")
    ]
    if pending:
        loop.run_until_complete(asyncio.wait(pending, timeout=timeout_s))


def stop_leftover_threads(timeout_s: float = 10.0) -> list[str]:
    """Stop mode's service threads that outlive the worker; returns those still alive.

    After a stop by flag (SIGTERM through the CLI), the Kafka consumer's service thread (a
    non-daemon ``mode.threads.WorkerThread``) kept its loop running, so the process never
    exited. Each is told it is stopped, the way its own ``stop()`` would, and joined.
    """
    leftovers = [
        thread
        for thread in threading.enumerate()
        if isinstance(thread, WorkerThread) and thread.is_alive()
    ]
    for thread in leftovers:
        with contextlib.suppress(RuntimeError):  # its loop is already closed
            thread.service._stopped_set()
    deadline = time.monotonic() + timeout_s
    for thread in leftovers:
        thread.join(max(0.0, deadline - time.monotonic()))
    return [thread.name for thread in leftovers if thread.is_alive()]
