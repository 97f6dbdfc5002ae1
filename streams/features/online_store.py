"""Redis online store: pipelined idempotent writes, one-round-trip point-in-time reads.

Key layout: ``{prefix}:{view}:{{entity}}``. The braces are a Redis Cluster hash tag, so each
entity's rows of every view live in one slot and every write is a single-key script call.
Values are :mod:`~streams.features.row_codec` blobs with the view's TTL.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import redis
import redis.asyncio as aioredis

from streams.features.definitions import FeatureView
from streams.features.exceptions import OnlineStoreError
from streams.features.layout import layout_of
from streams.features.row_codec import OnlineFeatures, encode_row, online_features
from streams.features.rows import FeatureRow
from streams.features.write_scripts import WRITE_IF_NEWER, WRITE_MANY_IF_NEWER


@dataclass(frozen=True)
class _Reads:
    """The distinct keys one view's read fetches, and per query the index of its key
    (``None`` when every query has a key of its own: no rows to repeat)."""

    keys: list[str]
    rows: npt.NDArray[np.int64] | None


# (keys, args) of one script call.
WriteCall = tuple[list[str], list[bytes | int]]
# Rows per multi-key call: bounds how long one script holds the server.
WRITE_CHUNK = 256


def wall_clock_ms() -> int:
    """Milliseconds since the epoch (the default clock)."""
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class WriteResult:
    """Outcome of a batch write.

    Attributes:
        written: Rows stored.
        stale: Rows refused because the stored row was newer (replays).
    """

    written: int
    stale: int


class _StoreBase:
    def __init__(self, prefix: str, clock: Callable[[], int]) -> None:
        self._prefix = prefix
        self._clock = clock

    def key(self, view: FeatureView, entity_id: str) -> str:
        """The Redis key of one entity's row of ``view``."""
        return f"{self._prefix}:{view.name}:{{{entity_id}}}"

    def _write_args(self, view: FeatureView, rows: Sequence[FeatureRow]) -> list[tuple[str, bytes]]:
        now = self._clock()
        layout = layout_of(view)
        return [(self.key(view, row.entity_id), encode_row(row, now, layout)) for row in rows]

    def _write_calls(
        self, view: FeatureView, rows: Sequence[FeatureRow], per_key: bool
    ) -> list[WriteCall]:
        """(keys, args) of each script call: one per row, or one per chunk of rows."""
        ttl_ms = view.ttl_seconds * 1000
        pairs = self._write_args(view, rows)
        if per_key:
            return [([key], [blob, ttl_ms]) for key, blob in pairs]
        calls: list[WriteCall] = []
        for start in range(0, len(pairs), WRITE_CHUNK):
            chunk = pairs[start : start + WRITE_CHUNK]
            calls.append(([key for key, _ in chunk], [*(blob for _, blob in chunk), ttl_ms]))
        return calls

    def _read_keys(self, view: FeatureView, entity_ids: Sequence[str]) -> _Reads:
        """Each distinct entity's key once, and per query the index of its key: a batch
        scoring many events of one merchant reads that merchant's row once."""
        index: dict[str, int] = {}
        rows = [index.setdefault(entity, len(index)) for entity in entity_ids]
        keys = [self.key(view, entity) for entity in index]
        if len(index) == len(rows):
            return _Reads(keys, None)
        return _Reads(keys, np.array(rows, dtype=np.int64))


class RedisOnlineStore(_StoreBase):
    """Synchronous online store.

    Args:
        client: A ``redis.Redis`` (hiredis-backed, ``decode_responses=False``).
        prefix: Key prefix.
        clock: Epoch-milliseconds clock, for ``written_at`` and reads without ``at_ms``.
    """

    def __init__(
        self,
        client: redis.Redis | redis.RedisCluster,
        *,
        prefix: str = "feat",
        clock: Callable[[], int] = wall_clock_ms,
    ) -> None:
        super().__init__(prefix, clock)
        self._client = client
        self._per_key = isinstance(client, redis.RedisCluster)
        self._script = client.register_script(
            WRITE_IF_NEWER if self._per_key else WRITE_MANY_IF_NEWER
        )

    def write(self, view: FeatureView, rows: Sequence[FeatureRow]) -> WriteResult:
        """Store rows in one pipeline (one per node on a cluster); a row never replaces a
        newer one."""
        calls = self._write_calls(view, rows, self._per_key)
        try:
            outcomes: list[Any] = []
            for client, node_calls in self._pipelines(calls):
                with client.pipeline(transaction=False) as pipe:
                    for keys, args in node_calls:
                        self._script(keys=keys, args=args, client=pipe)
                    outcomes += pipe.execute()
        except redis.RedisError as exc:
            if isinstance(self._client, redis.RedisCluster):
                self._client.nodes_manager.initialize()  # slots may have moved: re-learn them
            raise OnlineStoreError(f"writing {len(rows)} {view.name} rows failed: {exc}") from exc
        written = sum(int(x) for x in outcomes)
        return WriteResult(written, len(rows) - written)

    def _pipelines(self, calls: list[WriteCall]) -> list[tuple[redis.Redis, list[WriteCall]]]:
        """Calls grouped per server: a cluster client refuses scripts in its pipelines, so
        each node's share goes through that node's own connection, pipelined."""
        client = self._client
        if not isinstance(client, redis.RedisCluster):
            return [(client, calls)]
        groups: dict[str, tuple[redis.Redis, list[WriteCall]]] = {}
        for call in calls:
            node = client.get_node_from_key(call[0][0])  # type: ignore[no-untyped-call]
            connection = client.get_redis_connection(node)
            groups.setdefault(node.name, (connection, []))[1].append(call)
        return list(groups.values())

    def get(
        self,
        entity_ids: Sequence[str],
        view: FeatureView,
        event_ids: Sequence[str | None] | None = None,
        at_ms: int | Sequence[int] | None = None,
    ) -> OnlineFeatures:
        """Point-in-time features of entities in one round trip (one ``MGET``).

        Args:
            entity_ids: Entities to read.
            view: Their view.
            event_ids: Per entity, the event being scored (its own contribution is removed
                if it is the row's last event), or ``None``.
            at_ms: Time (or per-entity times) to evaluate at; the clock's now if ``None``.
        """
        return self.get_views([view], [entity_ids], event_ids, at_ms)[0]

    def get_views(
        self,
        views: Sequence[FeatureView],
        entity_ids: Sequence[Sequence[str]],
        event_ids: Sequence[str | None] | None = None,
        at_ms: int | Sequence[int] | None = None,
    ) -> list[OnlineFeatures]:
        """:meth:`get` for several views of the same events in one round trip (one ``MGET``
        of every view's distinct keys; one per slot on a cluster). An entity that several
        events share is read once and evaluated for each event at that event's time.

        Args:
            views: The views.
            entity_ids: Per view, the entities to read (each view has its own key field).
            event_ids: Per event, the event being scored, or ``None``.
            at_ms: Time (or per-event times) to evaluate at; the clock's now if ``None``.
        """
        return self.read_views(views, entity_ids, event_ids, at_ms)()

    def read_views(
        self,
        views: Sequence[FeatureView],
        entity_ids: Sequence[Sequence[str]],
        event_ids: Sequence[str | None] | None = None,
        at_ms: int | Sequence[int] | None = None,
    ) -> Callable[[], list[OnlineFeatures]]:
        """:meth:`get_views` in two steps: the ``MGET`` is sent now, and the returned
        function reads the reply and evaluates it. Work done in between overlaps Redis's
        (a batch's reply is megabytes: Redis takes milliseconds to build it).

        Raises:
            OnlineStoreError: Redis cannot be reached (now, or from the returned function).
        """
        at = self._clock() if at_ms is None else at_ms  # one instant for every view
        reads = [self._read_keys(v, ids) for v, ids in zip(views, entity_ids, strict=True)]
        keys = [key for read in reads for key in read.keys]
        what = f"reading {len(keys)} {'+'.join(v.name for v in views)} rows failed"
        reply = self._mget(keys, what)

        def evaluate() -> list[OnlineFeatures]:
            rows = reply()
            out, start = [], 0
            for view, read in zip(views, reads, strict=True):
                end = start + len(read.keys)
                out.append(online_features(view, rows[start:end], event_ids, at, read.rows))
                start = end
            return out

        return evaluate

    def _mget(self, keys: list[str], what: str) -> Callable[[], list[bytes | None]]:
        """Sends one ``MGET`` (one per slot, at once, on a cluster) and returns the function
        that reads its reply. Clients are built with ``decode_responses=False``: values are
        bytes or None."""
        client = self._client
        if not keys:
            return list
        if isinstance(client, redis.RedisCluster):
            try:
                blobs = cast(list[bytes | None], client.mget_nonatomic(keys))
            except redis.RedisError as exc:
                raise OnlineStoreError(f"{what}: {exc}") from exc
            return lambda: blobs
        pool = client.connection_pool
        try:
            connection: Any = pool.get_connection()
        except redis.RedisError as exc:
            raise OnlineStoreError(f"{what}: {exc}") from exc
        try:
            connection.send_command("MGET", *keys)
        except redis.RedisError as exc:
            _give_back(pool, connection, broken=True)
            raise OnlineStoreError(f"{what}: {exc}") from exc

        def read() -> list[bytes | None]:
            try:
                blobs = cast(list[bytes | None], connection.read_response())
            except redis.RedisError as exc:
                _give_back(pool, connection, broken=True)
                raise OnlineStoreError(f"{what}: {exc}") from exc
            _give_back(pool, connection, broken=False)
            return blobs

        return read


def _give_back(pool: redis.ConnectionPool, connection: Any, broken: bool) -> None:
    """Returns a connection to its pool; one whose reply may be half read is closed first."""
    if broken:
        connection.disconnect()
    pool.release(connection)


class AsyncRedisOnlineStore(_StoreBase):
    """The asyncio twin of :class:`RedisOnlineStore` (``redis.asyncio`` client)."""

    def __init__(
        self,
        client: aioredis.Redis | aioredis.RedisCluster,
        *,
        prefix: str = "feat",
        clock: Callable[[], int] = wall_clock_ms,
    ) -> None:
        super().__init__(prefix, clock)
        self._client = client
        self._per_key = isinstance(client, aioredis.RedisCluster)
        self._loaded = False
        self._script = client.register_script(
            WRITE_IF_NEWER if self._per_key else WRITE_MANY_IF_NEWER
        )

    async def write(self, view: FeatureView, rows: Sequence[FeatureRow]) -> WriteResult:
        """Store rows in one pipeline (on a cluster, one ``EVALSHA`` pipeline per node);
        a row never replaces a newer one."""
        calls = self._write_calls(view, rows, self._per_key)
        try:
            if isinstance(self._client, aioredis.RedisCluster):
                outcomes = await self._cluster_write(self._client, calls)
            else:
                async with self._client.pipeline(transaction=False) as pipe:
                    for keys, args in calls:
                        await self._script(keys=keys, args=args, client=pipe)
                    outcomes = await pipe.execute()
        except redis.RedisError as exc:
            raise OnlineStoreError(f"writing {len(rows)} {view.name} rows failed: {exc}") from exc
        written = sum(int(x) for x in outcomes)
        return WriteResult(written, len(rows) - written)

    async def _cluster_write(
        self, client: aioredis.RedisCluster, calls: list[WriteCall]
    ) -> list[Any]:
        """The calls as ``EVALSHA`` in the cluster client's pipeline, which sends each node its
        share in one round trip. The script is loaded on every primary first, and again if a
        node answers ``NOSCRIPT`` (it restarted or failed over)."""
        for attempt in (0, 1):
            if attempt or not self._loaded:
                await client.script_load(self._script.script)  # every primary
                self._loaded = True
            try:
                async with client.pipeline() as pipe:
                    for keys, args in calls:
                        # EVALSHA itself is blocked in cluster pipelines; routed by its key
                        pipe.execute_command("EVALSHA", self._script.sha, len(keys), *keys, *args)
                    return await pipe.execute()
            except redis.exceptions.NoScriptError:
                if attempt:
                    raise
            except redis.RedisError as exc:
                if "NOSCRIPT" not in str(exc) or attempt:
                    raise
        raise AssertionError("unreachable")

    async def get(
        self,
        entity_ids: Sequence[str],
        view: FeatureView,
        event_ids: Sequence[str | None] | None = None,
        at_ms: int | Sequence[int] | None = None,
    ) -> OnlineFeatures:
        """Point-in-time features of entities in one round trip; see ``RedisOnlineStore.get``."""
        read = self._read_keys(view, entity_ids)
        keys, at = read.keys, self._clock() if at_ms is None else at_ms
        try:
            if isinstance(self._client, aioredis.RedisCluster):
                blobs = await self._client.mget_nonatomic(keys) if keys else []
            else:
                blobs = await self._client.mget(keys) if keys else []
        except redis.RedisError as exc:
            raise OnlineStoreError(f"reading {len(keys)} {view.name} rows failed: {exc}") from exc
        # Clients are built with decode_responses=False: values are bytes or None.
        return online_features(view, cast(list[bytes | None], blobs), event_ids, at, read.rows)
