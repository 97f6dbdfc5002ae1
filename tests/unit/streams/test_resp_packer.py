"""The joined RESP packer sends exactly the bytes redis-py's own pure-Python packer sends."""

from __future__ import annotations

from typing import Any

import pytest
import redis
from redis.connection import PythonRespSerializer

from streams.resp_packer import JoinedRespPacker

REFERENCE = PythonRespSerializer(6000, redis.Connection().encoder.encode)
ROW = bytes(range(256)) * 20  # 5 KB, over redis-py's chunking cut-off


@pytest.mark.parametrize(
    "command",
    [
        ("SET", "k", b"v"),
        ("SET", "k", ROW, "PX", 86_400_000),
        ("EVALSHA", "a" * 40, 2, "feat:card:{c1}", "feat:card:{c2}", ROW, ROW[:100], 5),
        ("SCRIPT LOAD", "return 1"),
        (b"CONFIG GET", "maxmemory"),
        ("SET", "ü-key", memoryview(ROW)),
        ("INCRBYFLOAT", "f", 0.25),
    ],
)
def test_same_bytes_as_redis_py(command: tuple[Any, ...]) -> None:
    packed = JoinedRespPacker().pack(*command)
    assert len(packed) == 1
    assert packed[0] == b"".join(bytes(c) for c in REFERENCE.pack(*command))


def test_refuses_what_redis_cannot_hold() -> None:
    with pytest.raises(TypeError, match="dict"):
        JoinedRespPacker().pack("SET", "k", {"a": 1})
