"""Avro's variable-length zig-zag encoding of ``int`` and ``long``."""

from __future__ import annotations


def zigzag(n: int) -> bytes:
    """``n`` (a signed 64-bit value) as Avro writes an ``int`` or ``long``."""
    z = (n << 1) ^ (n >> 63)
    out = bytearray()
    while z > 0x7F:
        out.append((z & 0x7F) | 0x80)
        z >>= 7
    out.append(z)
    return bytes(out)
