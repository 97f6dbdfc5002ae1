"""The Prometheus endpoint every eventml service exposes."""

from __future__ import annotations

import logging

from prometheus_client import REGISTRY, CollectorRegistry, start_http_server

log = logging.getLogger(__name__)


def serve_metrics(host: str, port: int, registry: CollectorRegistry = REGISTRY) -> None:
    """Serve ``/metrics`` on ``host:port`` from a daemon thread; port 0 disables it.

    Binds to loopback by default (the services' settings); set the host to ``0.0.0.0`` only
    inside a private network such as the compose stack.
    """
    if port == 0:
        return
    start_http_server(port, addr=host, registry=registry)
    log.info("metrics on http://%s:%d/metrics", host, port)
