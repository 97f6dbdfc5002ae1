"""Avro single-object encoding: ``C3 01`` + 8-byte little-endian CRC-64-AVRO fingerprint + body.

Any Avro library can read it without a registry, given the writer schema for the fingerprint.
"""

from __future__ import annotations

MARKER = b"\xc3\x01"
HEADER_SIZE = len(MARKER) + 8


def is_single_object(data: bytes) -> bool:
    """True when ``data`` starts with the single-object marker."""
    return data[:2] == MARKER


def frame(fingerprint: bytes, body: bytes) -> bytes:
    """Prefix an Avro binary body with the single-object header."""
    return MARKER + fingerprint + body


def unframe(data: bytes) -> tuple[bytes, memoryview]:
    """Split single-object data into (fingerprint, body); raises ValueError when too short."""
    if len(data) < HEADER_SIZE or not is_single_object(data):
        raise ValueError("not Avro single-object data")
    view = memoryview(data)
    return bytes(view[2:HEADER_SIZE]), view[HEADER_SIZE:]
