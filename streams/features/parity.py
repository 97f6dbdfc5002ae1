"""Parity between the engines and the backfill: a seeded stream, the aggregator as a process,
and the comparison of what is online with what the backfill computes (tests and benchmarks)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from streams.demo.generator import SyntheticWorld, WorldConfig
from streams.features.backfill import QueryPoint, features_at, features_for_events
from streams.features.catalog import list_views
from streams.features.online_store import RedisOnlineStore
from streams.kafka.topics import TopicCatalogue
from streams.producer import RecordProducer
from streams.redis_client import make_redis
from streams.settings import KafkaSettings, RedisSettings


def produce_stream(
    kafka: KafkaSettings, topics: TopicCatalogue, n: int, seed: int, start: int = 0
) -> list[dict[str, Any]]:
    """Produce events ``start..n`` of a seeded world (keyed by card) and return them all."""
    events = [e for e, _ in SyntheticWorld(WorldConfig(seed=seed, cards=300)).events(n)]
    producer = RecordProducer(kafka, topics.events, "transaction", "card_id")
    producer.send_many(events[start:])
    producer.flush()
    return events


def start_aggregator(
    kafka: KafkaSettings,
    topics: TopicCatalogue,
    redis_url: str,
    home: Path,
    engine: str,
    prefix: str,
    metrics_port: int = 0,
    extra_env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """``eventml run aggregator`` as its own process, as operators run it."""
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": str(kafka.bootstrap_servers),
        "REDIS_URL": redis_url,
        "EVENTML_HOME": str(home),
        "EVENTML_KAFKA_TOPIC_PREFIX": topics.prefix,
        "EVENTML_AGGREGATOR_METRICS_PORT": str(metrics_port),
        "EVENTML_AGGREGATOR_REDIS_PREFIX": prefix,
        "EVENTML_AGGREGATOR_SNAPSHOT_INTERVAL_S": os.environ.get(
            "EVENTML_AGGREGATOR_SNAPSHOT_INTERVAL_S", "0.5"
        ),
        "EVENTML_AGGREGATOR_APP_ID": f"agg-{prefix}-{topics.prefix.strip('.')}",
        **(extra_env or {}),
    }
    with (home / f"aggregator-{engine}.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "streams.cli", "run", "aggregator", "--engine", engine],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def parity_diff(
    redis_url: str, prefix: str, events: list[dict[str, Any]], cluster: bool = False
) -> float:
    """Largest |online - backfill| (inf while some entity's row is missing or behind).

    Two checks. (1) At every entity's last event, for views keyed like the topic (card):
    the stream order per entity is the topic's, so online equals the backfill event by event.
    (2) At the end of the stream, for every view: a view keyed otherwise (merchant) sees
    its entity's events interleaved across source partitions in arrival order, which no
    engine can reproduce; every aggregate is order-independent once all are applied (window
    sums are exact fixed-point, see ``fixed_point``), so the values must be equal too.
    """
    store = RedisOnlineStore(
        make_redis(RedisSettings(url=redis_url, cluster=cluster)), prefix=prefix
    )
    end = max(int(e["event_time"]) for e in events) + 1
    worst = 0.0
    for view in list_views():
        ids = sorted({str(e[view.key_field]) for e in events})
        online = store.get(ids, view, None, end)
        if not online.found.all():
            return float("inf")
        expected = features_at(view, events, [QueryPoint(i, end) for i in ids]).values
        worst = max(worst, float(np.max(np.abs(online.values - expected))))
        if view.key_field == "card_id":
            worst = max(worst, _per_event_diff(store, view, events))
    return worst


def _per_event_diff(store: RedisOnlineStore, view: Any, events: list[dict[str, Any]]) -> float:
    expected = features_for_events(view, events).values
    last: dict[str, int] = {}
    for i, event in enumerate(events):
        last[str(event[view.key_field])] = i
    ids = sorted(last)
    rows = [last[k] for k in ids]
    online = store.get(
        ids,
        view,
        [events[i]["event_id"] for i in rows],
        [int(events[i]["event_time"]) for i in rows],
    )
    return float(np.max(np.abs(online.values - expected[rows])))


def wait_for_parity(
    redis_url: str,
    prefix: str,
    events: list[dict[str, Any]],
    timeout_s: float = 60.0,
    cluster: bool = False,
) -> float:
    """Poll until online equals backfill (0 difference) or the time is up."""
    deadline = time.monotonic() + timeout_s
    diff = float("inf")
    while time.monotonic() < deadline:
        diff = parity_diff(redis_url, prefix, events, cluster)
        if diff == 0.0:
            return diff
        time.sleep(0.5)
    return diff
