"""The service's Redis client against a real server: single-server replies are read by the
quick-acknowledgement parser, and a feature-read-sized reply arrives intact."""

from __future__ import annotations

import uuid

from streams.redis_client import make_redis
from streams.redis_quickack import QuickAckParser
from streams.settings import RedisSettings


def test_a_half_megabyte_mget_is_read_by_the_quick_ack_parser(redis_url: str) -> None:
    client = make_redis(RedisSettings(url=redis_url))
    prefix = f"qa-{uuid.uuid4().hex[:8]}"
    values = {f"{prefix}:{i}": bytes([i % 251]) * 4500 for i in range(120)}
    client.mset(values)  # type: ignore[arg-type]
    assert client.mget(list(values)) == list(values.values())
    connection = client.connection_pool.get_connection()
    try:
        assert isinstance(connection._parser, QuickAckParser)
    finally:
        client.connection_pool.release(connection)
    client.delete(*values)
