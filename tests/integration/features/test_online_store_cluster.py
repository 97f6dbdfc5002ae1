"""The online store on a Redis Cluster (three embedded primaries): same rows, same reads, same
guard as on a single server, with entities spread over slots by their hash tags."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import redis

from streams.features import CARD, AsyncRedisOnlineStore, RedisOnlineStore
from streams.features.parity import produce_stream, start_aggregator, wait_for_parity
from streams.infra.redis_cluster import EmbeddedRedisCluster
from streams.kafka.topics import TopicCatalogue
from streams.redis_client import make_async_redis, make_redis
from streams.settings import KafkaSettings, RedisSettings
from tests.integration.features.test_online_store import rows_after

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisSettings]:
    nodes = EmbeddedRedisCluster(Path(tmp_path_factory.mktemp("cluster"))).start()
    yield RedisSettings(url=nodes.url, cluster=True)
    nodes.stop()


def test_rows_spread_over_the_nodes_and_read_back_exactly(cluster: RedisSettings) -> None:
    client = make_redis(cluster)
    assert isinstance(client, redis.RedisCluster)
    store = RedisOnlineStore(client, prefix=f"c{uuid.uuid4().hex[:6]}")
    _, rows = rows_after(2_000)
    assert store.write(CARD, rows).written == len(rows)
    ids = [row.entity_id for row in rows]
    nodes = {client.get_node_from_key(store.key(CARD, i)).name for i in ids}  # type: ignore[no-untyped-call]
    assert len(nodes) == 3
    at = [row.last_event_time for row in rows]
    online = store.get(ids, CARD, at_ms=at)
    assert online.found.all()
    assert np.array_equal(online.values, np.stack([row.values for row in rows]))
    # The guard holds per key on every node: the same rows again are no news, older ones lose.
    _, older = rows_after(1_000)
    assert store.write(CARD, older).stale > 0
    assert np.array_equal(store.get(ids, CARD, at_ms=at).values, online.values)


def test_async_store_on_the_cluster(cluster: RedisSettings) -> None:
    async def run() -> np.ndarray:
        client = make_async_redis(cluster)
        try:
            store = AsyncRedisOnlineStore(client, prefix=f"a{uuid.uuid4().hex[:6]}")
            _, rows = rows_after(500, seed=5)
            assert (await store.write(CARD, rows)).written == len(rows)
            await client.script_flush()  # as after a node restart: the next write reloads it
            _, older = rows_after(200, seed=5)
            assert (await store.write(CARD, older)).stale > 0  # the guard holds per node
            got = await store.get(
                [r.entity_id for r in rows], CARD, at_ms=[r.last_event_time for r in rows]
            )
        finally:
            await client.aclose()
        assert got.found.all()
        return np.asarray(got.values - np.stack([r.values for r in rows]))

    assert not np.abs(asyncio.run(run())).any()


def test_bytewax_aggregator_service_writes_the_cluster_exactly(
    cluster: RedisSettings,
    kafka_settings: KafkaSettings,
    topics: TopicCatalogue,
    tmp_path: Path,
) -> None:
    events = produce_stream(kafka_settings, topics, 2000, seed=23)
    url = str(cluster.url)
    process = start_aggregator(
        kafka_settings,
        topics,
        url,
        tmp_path,
        "bytewax",
        "cl1",
        extra_env={"EVENTML_REDIS_CLUSTER": "true"},
    )
    try:
        assert wait_for_parity(url, "cl1", events, cluster=True) == 0.0
    finally:
        process.terminate()
        process.wait(10)
