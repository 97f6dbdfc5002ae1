"""Redis clients built from :class:`RedisSettings`: single server or Redis Cluster, with the
settings' credentials, TLS CA and timeouts (not only what the URL carries)."""

from __future__ import annotations

from typing import Any

import redis
import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster
from redis.cluster import RedisCluster

from streams.exceptions import InfrastructureError
from streams.redis_quickack import QuickAckParser
from streams.resp_packer import JoinedRespPacker
from streams.settings import RedisSettings

SyncClient = redis.Redis | RedisCluster
AsyncClient = aioredis.Redis | AsyncRedisCluster


def _options(settings: RedisSettings) -> tuple[str, dict[str, Any]]:
    if not settings.url:
        raise InfrastructureError("no Redis URL: set REDIS_URL or run `eventml infra up`")
    options: dict[str, Any] = {
        "socket_timeout": settings.socket_timeout_s,
        "socket_connect_timeout": settings.socket_timeout_s,
    }
    # Credentials in the URL win over these (redis-py's rule); set them in one place only.
    if settings.username:
        options["username"] = settings.username
    if settings.password is not None:
        options["password"] = settings.password.get_secret_value()
    if settings.ssl_ca_certs and settings.url.startswith("rediss://"):
        options["ssl_ca_certs"] = settings.ssl_ca_certs
    return settings.url, options


def make_redis(settings: RedisSettings, *, large_values: bool = False) -> SyncClient:
    """A blocking client: ``RedisCluster`` when ``EVENTML_REDIS_CLUSTER`` is set.

    ``large_values`` is for clients that mostly send values of kilobytes (the aggregators'
    rows): their commands are packed by :class:`~streams.resp_packer.JoinedRespPacker`.
    A single server's replies are read with :class:`~streams.redis_quickack.QuickAckParser`
    (online-feature reads return half a megabyte a batch).
    """
    url, options = _options(settings)
    if settings.cluster:
        return RedisCluster.from_url(url, **options)
    options["parser_class"] = QuickAckParser
    if large_values:
        options["command_packer"] = JoinedRespPacker()
    return redis.Redis.from_url(url, **options)


def make_async_redis(settings: RedisSettings) -> AsyncClient:
    """The asyncio counterpart of :func:`make_redis`."""
    url, options = _options(settings)
    if settings.cluster:
        return AsyncRedisCluster.from_url(url, **options)
    return aioredis.Redis.from_url(url, **options)
