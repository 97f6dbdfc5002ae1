"""Avro's variable-length zig-zag encoding of ``int`` and ``long``."""

from __future__ import annotations

# One byte for |n| < 64: lengths of short strings and arrays, small counts.
_ONE_BYTE = tuple(bytes((z,)) for z in range(0x80))


def zigzag(n: int) -> bytes:
    """``n`` (a signed 64-bit value) as Avro writes an ``int`` or ``long``."""
    z = (n << 1) ^ (n >> 63)
    if z < 0x80:
        return _ONE_BYTE[z]
    out = bytearray()
    while z > 0x7F:
        out.append((z & 0x7F) | 0x80)
        z >>= 7
    out.append(z)
    return bytes(out)
