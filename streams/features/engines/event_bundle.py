"""Many source events in one Kafka message: how the Faust engine repartitions by merchant.

Forwarding each event as its own message cost the card agent a produce and the merchant agent
a Faust event (stream buffer, ack, offset tracking) per source event; one bundle per merchant
partition and batch costs one of each per batch. Every event keeps its source identity, so
the merchant view's per-offset idempotence is unchanged: an event forwarded twice (the card
agent replayed after a crash) is skipped, whatever bundle it came in.

Layout, big-endian: ``u32 count``, then per event ``u32 partition, u64 offset,
u64 timestamp_ms, u32 length, <length> bytes`` (the original record value).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass

from streams.features.exceptions import BundleFormatError

_COUNT = struct.Struct(">I")
_EVENT = struct.Struct(">IQQI")
# Header marking a bundle on the repartition topic (older workers forwarded single events).
BUNDLE_HEADER = "eventml.bundle"


@dataclass(frozen=True, slots=True)
class BundledEvent:
    """One source event inside a bundle.

    Attributes:
        partition: Source partition.
        offset: Source offset.
        timestamp_ms: The source record's Kafka timestamp.
        value: The source record's value, as it was on the source topic.
    """

    partition: int
    offset: int
    timestamp_ms: int
    value: bytes


def pack_bundle(events: Iterable[BundledEvent]) -> bytes:
    """The bytes of a bundle of ``events`` (in their order)."""
    parts = [b""]
    count = 0
    for event in events:
        parts.append(
            _EVENT.pack(event.partition, event.offset, event.timestamp_ms, len(event.value))
        )
        parts.append(event.value)
        count += 1
    parts[0] = _COUNT.pack(count)
    return b"".join(parts)


def unpack_bundle(data: bytes) -> list[BundledEvent]:
    """The events of a bundle written by :func:`pack_bundle`.

    Raises:
        BundleFormatError: The bytes are not a whole bundle.
    """
    view = memoryview(data)
    try:
        (count,) = _COUNT.unpack_from(view, 0)
        at = _COUNT.size
        events = []
        for _ in range(count):
            partition, offset, timestamp, length = _EVENT.unpack_from(view, at)
            at += _EVENT.size
            if at + length > len(data):
                raise BundleFormatError("bundle truncated inside an event")
            events.append(BundledEvent(partition, offset, timestamp, bytes(view[at : at + length])))
            at += length
    except struct.error as exc:
        raise BundleFormatError(f"not an event bundle: {exc}") from exc
    if at != len(data):
        raise BundleFormatError(f"{len(data) - at} bytes after the last bundled event")
    return events
