"""Fuzzed records: random bytes, truncated Avro, unknown fingerprints, out-of-range and
non-finite values, oversized fields, wrong types — each with the dead-letter reason it must
get (``?`` when random bytes may land in more than one)."""

from __future__ import annotations

import json
import random
import struct
from collections.abc import Callable
from typing import Any

from schemas import AvroCodec

Record = dict[str, Any]

# Per record type: (field to break with bad values, bad values, an id field to oversize,
# a field to give the wrong type).
_TARGETS: dict[str, tuple[str, list[Any], str, str]] = {
    "transaction": ("amount", [float("nan"), float("inf"), -5.0, 1e12], "card_id", "amount"),
    "label": ("label_time", [-1, 0, 2**62, 17], "event_id", "is_fraud"),
}


def fuzzed(
    rng: random.Random, codec: AvroCodec, record_type: str, valid: Record
) -> tuple[bytes, str]:
    """One bad record derived from ``valid`` and the reason it must be dead-lettered for."""
    field, bad_values, id_field, typed_field = _TARGETS[record_type]
    encoded = codec.encode(valid)
    makers: list[Callable[[], tuple[bytes, str]]] = [
        lambda: (bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 64))) + b"\x07", "?"),
        lambda: (encoded[: rng.randint(10, len(encoded) - 1)], "undecodable"),
        lambda: (
            b"\xc3\x01" + struct.pack("<Q", rng.getrandbits(64)) + encoded[10:],
            "unknown_fingerprint",
        ),
        lambda: (_json({**valid, field: rng.choice(bad_values)}), "invalid_value"),
        lambda: (_json({**valid, id_field: "x" * 100_000}), "invalid_value"),
        lambda: (_json({**valid, typed_field: "12,50"}), "schema_violation"),
    ]
    return rng.choice(makers)()


def _json(record: Record) -> bytes:
    return json.dumps(record).encode()
