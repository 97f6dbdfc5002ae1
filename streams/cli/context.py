"""Settings built once at the command line's entry and handed to every command."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import typer
from rich.console import Console

from streams.exceptions import EventmlError
from streams.infra.stack import resolve_infra
from streams.kafka.topics import TopicCatalogue
from streams.settings import InfraSettings, KafkaSettings, RedisSettings

console = Console()
err_console = Console(stderr=True)


@dataclass
class CliContext:
    """Settings from the environment; addresses resolved lazily (starting infra if needed)."""

    kafka_raw: KafkaSettings = field(default_factory=KafkaSettings)
    redis_raw: RedisSettings = field(default_factory=RedisSettings)
    infra: InfraSettings = field(default_factory=InfraSettings)

    @cached_property
    def _resolved(self) -> tuple[KafkaSettings, RedisSettings]:
        return resolve_infra(self.kafka_raw, self.redis_raw, self.infra)

    @property
    def kafka(self) -> KafkaSettings:
        return self._resolved[0]

    @property
    def redis(self) -> RedisSettings:
        return self._resolved[1]

    @cached_property
    def topics(self) -> TopicCatalogue:
        return TopicCatalogue(self.kafka_raw.topic_prefix, self.kafka_raw.topic_partitions)


def get_context(ctx: typer.Context) -> CliContext:
    """The CliContext the root callback stored."""
    obj = ctx.find_root().obj
    if not isinstance(obj, CliContext):
        obj = CliContext()
        ctx.find_root().obj = obj
    return obj


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print a clear error and return the Exit to raise."""
    err_console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


def guard(error: EventmlError) -> typer.Exit:
    """Turn an eventml error into a one-line message and a non-zero exit."""
    return fail(str(error))
