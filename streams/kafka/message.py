"""A Protocol standing in for the Kafka message, so pure code needs no client."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

Headers = list[tuple[str, bytes]]
# What confluent-kafka accepts when producing.
WireHeaders = list[tuple[str, str | bytes | None]]


class KafkaMessage(Protocol):
    """The parts of ``confluent_kafka.Message`` eventml reads."""

    def topic(self) -> str | None: ...
    def partition(self) -> int | None: ...
    def offset(self) -> int | None: ...
    def key(self) -> bytes | None: ...
    def value(self) -> bytes | None: ...
    def headers(self) -> Headers | None: ...
    def timestamp(self) -> tuple[int, int]: ...


@dataclass(frozen=True)
class RawRecord:
    """A plain message: what tests feed pure stages, and what replays rebuild."""

    topic_name: str
    partition_id: int
    offset_id: int
    value_bytes: bytes | None
    key_bytes: bytes | None = None
    header_list: Headers = field(default_factory=list)
    timestamp_ms: int = 0

    def topic(self) -> str:
        return self.topic_name

    def partition(self) -> int:
        return self.partition_id

    def offset(self) -> int:
        return self.offset_id

    def key(self) -> bytes | None:
        return self.key_bytes

    def value(self) -> bytes | None:
        return self.value_bytes

    def headers(self) -> Headers:
        return list(self.header_list)

    def timestamp(self) -> tuple[int, int]:
        return (1, self.timestamp_ms)
