"""Event bundles (the Faust engine's merchant repartitioning) round-trip exactly."""

from __future__ import annotations

import pytest

from streams.features.engines.event_bundle import BundledEvent, pack_bundle, unpack_bundle
from streams.features.exceptions import BundleFormatError

EVENTS = [
    BundledEvent(0, 0, 1_767_225_600_500, b"\xc3\x01first"),
    BundledEvent(3, 2**40, 1_767_225_601_000, b""),
    BundledEvent(1, 7, 0, bytes(range(256)) * 4),
]


def test_a_bundle_returns_its_events_in_order() -> None:
    assert unpack_bundle(pack_bundle(EVENTS)) == EVENTS
    assert unpack_bundle(pack_bundle([])) == []


@pytest.mark.parametrize("cut", [1, 5, 30, -1])
def test_truncated_or_padded_bytes_are_refused(cut: int) -> None:
    data = pack_bundle(EVENTS)
    with pytest.raises(BundleFormatError):
        unpack_bundle(data[:cut])
    with pytest.raises(BundleFormatError):
        unpack_bundle(data + b"\0")
