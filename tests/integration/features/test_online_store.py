"""The Redis online store against a real server."""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import Iterator

import numpy as np
import pytest
import redis
import redis.asyncio as aioredis

from streams.features import (
    CARD,
    MERCHANT,
    AsyncRedisOnlineStore,
    FeatureAggregator,
    FeatureRow,
    RedisOnlineStore,
    SourceEvent,
)
from streams.features.exceptions import OnlineStoreError
from streams.resp_packer import JoinedRespPacker
from tests.unit.features.conftest import seeded_stream

pytestmark = pytest.mark.integration
NOW = 1_800_000_000_000


@pytest.fixture(params=["default packer", "joined packer"])
def client(redis_url: str, request: pytest.FixtureRequest) -> Iterator[redis.Redis]:
    """A client packing commands as readers do, and as the aggregators' writers do."""
    options = {"command_packer": JoinedRespPacker()} if request.param == "joined packer" else {}
    with redis.Redis.from_url(redis_url, **options) as connection:
        yield connection


@pytest.fixture
def store(client: redis.Redis) -> RedisOnlineStore:
    return RedisOnlineStore(client, prefix=f"t{uuid.uuid4().hex[:8]}", clock=lambda: NOW)


def rows_after(n: int, seed: int = 1) -> tuple[FeatureAggregator, list[FeatureRow]]:
    aggregator = FeatureAggregator(CARD)
    events = [
        SourceEvent.of(CARD, r, topic="tx", partition=0, offset=i)
        for i, r in enumerate(seeded_stream(n, seed))
    ]
    return aggregator, list(aggregator.apply(events).rows)


def test_round_trip_point_in_time(store: RedisOnlineStore) -> None:
    _, rows = rows_after(2_000)
    assert store.write(CARD, rows).written == len(rows)
    ids = [row.entity_id for row in rows]
    scored = store.get(
        ids, CARD, [row.last_event_id for row in rows], [row.last_event_time for row in rows]
    )
    assert scored.found.all() and not scored.ahead.any()
    assert np.array_equal(scored.values, np.stack([row.values_before_last for row in rows]))
    at = [row.last_event_time for row in rows]
    assert np.array_equal(
        store.get(ids, CARD, at_ms=at).values, np.stack([row.values for row in rows])
    )
    assert store.get(ids[:1], CARD).freshness_ms[0] == NOW - rows[0].last_event_time


def test_older_rows_never_replace_newer_ones(store: RedisOnlineStore, client: redis.Redis) -> None:
    aggregator = FeatureAggregator(CARD)
    stream = seeded_stream(30, 3, cards=1)
    events = [
        SourceEvent.of(CARD, r, topic="tx", partition=0, offset=i) for i, r in enumerate(stream)
    ]
    (old,) = aggregator.apply(events[:10]).rows
    (new,) = aggregator.apply(events[10:]).rows
    assert store.write(CARD, [new]).written == 1
    stored = client.get(store.key(CARD, "c0"))
    assert store.write(CARD, [old]).stale == 1  # a replay after a restore from a snapshot
    assert client.get(store.key(CARD, "c0")) == stored
    assert store.write(CARD, [new]).written == 1  # the same row again is harmless


def test_ttl_comes_from_the_view(store: RedisOnlineStore, client: redis.Redis) -> None:
    _, rows = rows_after(10)
    store.write(CARD, rows)
    ttl = client.pttl(store.key(CARD, rows[0].entity_id))
    assert CARD.ttl_seconds * 1000 - 60_000 < ttl <= CARD.ttl_seconds * 1000


def test_missing_entities_get_defaults_and_a_mask(
    store: RedisOnlineStore, client: redis.Redis
) -> None:
    _, rows = rows_after(10)
    store.write(CARD, rows)
    client.set(store.key(CARD, "garbage"), b"not a row")
    got = store.get([rows[0].entity_id, "nobody", "garbage"], CARD, at_ms=NOW)
    assert got.found.tolist() == [True, False, False]
    assert got.values[1].tolist() == list(CARD.defaults) == got.values[2].tolist()
    assert np.isnan(got.freshness_ms[1:]).all()
    assert got.feature_names == CARD.feature_names


def test_a_read_is_one_round_trip(store: RedisOnlineStore, client: redis.Redis) -> None:
    _, rows = rows_after(500)
    store.write(CARD, rows)
    client.config_resetstat()
    store.get([row.entity_id for row in rows], CARD, at_ms=NOW)
    stats = client.info("commandstats")
    assert stats["cmdstat_mget"]["calls"] == 1
    assert {name for name in stats if not name.startswith("cmdstat_config")} == {"cmdstat_mget"}


def test_several_views_are_read_in_one_round_trip_like_one_by_one(
    store: RedisOnlineStore, client: redis.Redis
) -> None:
    _, card_rows = rows_after(300)
    merchant = FeatureAggregator(MERCHANT)
    events = [
        SourceEvent.of(MERCHANT, r, topic="tx", partition=0, offset=i)
        for i, r in enumerate(seeded_stream(300, 1))
    ]
    merchant_rows = list(merchant.apply(events).rows)
    store.write(CARD, card_rows)
    store.write(MERCHANT, merchant_rows)
    n = min(len(card_rows), len(merchant_rows))
    ids = [[r.entity_id for r in card_rows[:n]], [r.entity_id for r in merchant_rows[:n]]]
    ids[1][0] = "nobody"
    at = [NOW - i for i in range(n)]
    client.config_resetstat()
    both = store.get_views([CARD, MERCHANT], ids, None, at)
    assert client.info("commandstats")["cmdstat_mget"]["calls"] == 1
    for got, view, view_ids in zip(both, (CARD, MERCHANT), ids, strict=True):
        alone = store.get(view_ids, view, None, at)
        assert np.array_equal(got.values, alone.values)
        assert np.array_equal(got.found, alone.found)
    assert not both[1].found[0]


def test_an_entity_queried_many_times_is_read_once_and_evaluated_per_query(
    store: RedisOnlineStore, client: redis.Redis
) -> None:
    _, rows = rows_after(500)
    store.write(CARD, rows)
    # Three queries of each of three entities, each at its own time, one scoring the
    # entity's last event (its features exclude that event), plus an unknown entity twice.
    chosen = rows[:3]
    ids = [row.entity_id for row in chosen for _ in range(3)] + ["nobody", "nobody"]
    at = [row.last_event_time + k * 30_000 for row in chosen for k in range(3)] + [NOW, NOW]
    scored = [row.last_event_id if k == 0 else None for row in chosen for k in range(3)]
    scored += [None, None]
    client.config_resetstat()
    got = store.get(ids, CARD, scored, at)
    reads = client.info("commandstats")["cmdstat_mget"]
    assert reads["calls"] == 1
    assert client.info("stats")["keyspace_hits"] == 3  # each stored row fetched once
    for i, (entity, when, event) in enumerate(zip(ids, at, scored, strict=True)):
        alone = store.get([entity], CARD, [event], [when])
        assert np.array_equal(got.values[i], alone.values[0])
        assert got.found[i] == alone.found[0] and got.ahead[i] == alone.ahead[0]
    assert np.array_equal(got.values[0], chosen[0].values_before_last)
    assert not np.array_equal(got.values[0], got.values[2])  # the windows moved on
    assert not got.found[-2:].any()


def test_async_store_matches_sync(store: RedisOnlineStore, redis_url: str) -> None:
    _, rows = rows_after(300)
    ids = [row.entity_id for row in rows]

    async def write_then_read() -> np.ndarray:
        async with aioredis.Redis.from_url(redis_url) as connection:
            prefix = f"a{uuid.uuid4().hex[:8]}"
            async_store = AsyncRedisOnlineStore(connection, prefix=prefix, clock=lambda: NOW)
            assert (await async_store.write(CARD, rows)).written == len(rows)
            assert (await async_store.write(CARD, rows)).stale == 0
            return (await async_store.get(ids, CARD, at_ms=NOW)).values

    store.write(CARD, rows)
    assert np.array_equal(asyncio.run(write_then_read()), store.get(ids, CARD, at_ms=NOW).values)


def test_a_read_sent_now_and_read_later_leaves_the_client_free_meanwhile(
    store: RedisOnlineStore, client: redis.Redis
) -> None:
    _, rows = rows_after(500)
    store.write(CARD, rows)
    ids = [row.entity_id for row in rows]
    at = [row.last_event_time + 1 for row in rows]
    finish = store.read_views([CARD], [ids], None, at)
    again = store.write(CARD, rows)  # other commands go on meanwhile
    assert again.written + again.stale == len(rows)
    assert client.ping()
    (got,) = finish()
    alone = store.get(ids, CARD, None, at)
    assert got.found.all() and np.array_equal(got.values, alone.values)


def test_a_reply_lost_on_the_way_is_an_online_store_error_and_the_next_read_is_clean(
    redis_url: str,
) -> None:
    # A later read must not take the lost reply for its own: the connection that waited
    # is closed, not handed on.
    with (
        redis.Redis.from_url(redis_url, socket_timeout=0.3) as client,
        redis.Redis.from_url(redis_url) as admin,
    ):
        store = RedisOnlineStore(client, prefix=f"t{uuid.uuid4().hex[:8]}", clock=lambda: NOW)
        _, rows = rows_after(300)
        store.write(CARD, rows)
        ids = [row.entity_id for row in rows]
        admin.execute_command("CLIENT", "PAUSE", 1000, "ALL")
        finish = store.read_views([CARD], [ids[:10]], None, NOW)
        with pytest.raises(OnlineStoreError, match="reading 10 card rows failed"):
            finish()
        time.sleep(1.0)  # the pause ends
        got = store.get(ids, CARD, None, NOW)
        assert got.found.all() and len(got.values) == len(ids)


def test_a_read_that_cannot_be_sent_is_an_online_store_error_at_once() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here
    store = RedisOnlineStore(redis.Redis(port=port, socket_connect_timeout=0.5))
    with pytest.raises(OnlineStoreError):
        store.read_views([CARD], [["c-1"]], None, NOW)
