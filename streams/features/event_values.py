"""What the aggregation state reads from an event: its numeric fields, checked, and the
hashes that stand for values in distinct counts."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from streams.features.exceptions import InvalidEventError
from streams.features.layout import StateLayout


@lru_cache(maxsize=65_536)
def value_hash(value: object) -> float:
    """A deterministic 52-bit hash (>= 1, exact in float64) of a value, for distinct counts."""
    data = value.encode("utf-8") if isinstance(value, str) else repr(value).encode("utf-8")
    digest = hashlib.blake2b(data, digest_size=8).digest()
    return float((int.from_bytes(digest, "big") >> 12) + 1)


def numeric_values(layout: StateLayout, record: Mapping[str, Any]) -> dict[str, float]:
    """The numeric source fields the view aggregates, checked finite.

    Raises:
        InvalidEventError: A field is missing, not a number, or not finite.
    """
    numbers: dict[str, float] = {}
    for name in layout.numeric_fields:
        raw = record.get(name)
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise InvalidEventError(f"{name}={raw!r} is not a number")
        value = float(raw)
        if not math.isfinite(value):
            raise InvalidEventError(f"{name}={raw!r} is not finite")
        numbers[name] = value
    return numbers
