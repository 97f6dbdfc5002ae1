"""Embedded infrastructure: a Kafka-protocol broker (tansu) and a Redis server (Valkey).

Both run as child processes on free loopback ports, found again through a state file.
"""

from __future__ import annotations

from streams.infra.broker import EmbeddedBroker
from streams.infra.process import ServerProcess
from streams.infra.redis_server import EmbeddedRedis
from streams.infra.stack import InfraState, resolve_infra, stack_status, start_stack, stop_stack

__all__ = [
    "EmbeddedBroker",
    "EmbeddedRedis",
    "InfraState",
    "ServerProcess",
    "resolve_infra",
    "stack_status",
    "start_stack",
    "stop_stack",
]
