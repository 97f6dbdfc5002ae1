"""The Faust aggregator as a service: every event applied once, online equals the backfill."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import redis

from streams.features.backfill import QueryPoint, features_at, features_for_events
from streams.features.catalog import CARD, MERCHANT
from streams.features.definitions import FeatureView
from streams.features.online_store import RedisOnlineStore
from streams.features.parity import produce_stream
from streams.kafka.topics import TopicCatalogue
from streams.settings import KafkaSettings

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore::DeprecationWarning:faust.*"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:mode.*"),
]

WORKER = """
import logging, sys
from streams.features.engines.faust_worker import run_faust
from streams.features.engines.settings import AggregatorSettings
from streams.kafka.topics import TopicCatalogue
from streams.settings import KafkaSettings, RedisSettings
logging.basicConfig(level=logging.WARNING)
run_faust(KafkaSettings(), TopicCatalogue(prefix=sys.argv[1], partitions=int(sys.argv[2])),
          AggregatorSettings(), RedisSettings(url=sys.argv[3]))
"""


def start_worker(
    kafka: KafkaSettings, topics: TopicCatalogue, redis_url: str, home: Path, prefix: str
) -> subprocess.Popen[bytes]:
    """A Faust worker (``run_faust``) in its own process; its log goes to ``home``."""
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": str(kafka.bootstrap_servers),
        "EVENTML_AGGREGATOR_REDIS_PREFIX": prefix,
        "EVENTML_AGGREGATOR_APP_ID": f"agg-{prefix}",
        "EVENTML_AGGREGATOR_RECOVERY_DIR": str(home / f"faust-{time.monotonic_ns()}"),
    }
    with (home / f"faust-{prefix}.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-c", WORKER, topics.prefix, str(topics.partitions), redis_url],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_worker(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL: Faust's graceful stop can hang in table shutdown (at-least-once
    makes a kill safe)."""
    process.terminate()
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


def applied_counts(redis_url: str, prefix: str, events: list[dict[str, Any]]) -> dict[str, int]:
    """Events applied per view, summed over the stored rows (header ``applied_count``)."""
    store = RedisOnlineStore(redis.Redis.from_url(redis_url), prefix=prefix)
    client = redis.Redis.from_url(redis_url)
    counts = {}
    for view in (CARD, MERCHANT):
        ids = sorted({str(e[view.key_field]) for e in events})
        blobs = client.mget([store.key(view, entity) for entity in ids])
        counts[view.name] = sum(int.from_bytes(b[8:16], "big") for b in blobs if b)
    return counts


def wait_until_applied(
    redis_url: str, prefix: str, events: list[dict[str, Any]], timeout_s: float = 45.0
) -> dict[str, int]:
    """Poll until both views applied ``len(events)`` events (or the time is up)."""
    deadline = time.monotonic() + timeout_s
    counts = applied_counts(redis_url, prefix, events)
    while time.monotonic() < deadline and min(counts.values()) < len(events):
        time.sleep(0.3)
        counts = applied_counts(redis_url, prefix, events)
    time.sleep(0.5)  # over-counting shows up after the last event: look once more
    return applied_counts(redis_url, prefix, events)


def last_event_diff(
    redis_url: str, prefix: str, view: FeatureView, events: list[dict[str, Any]]
) -> float:
    """|online - backfill| scoring each entity's last event (its own contribution removed).

    Exact when the engine applies an entity's events in stream order (the card view: one
    source partition per card)."""
    store = RedisOnlineStore(redis.Redis.from_url(redis_url), prefix=prefix)
    expected = features_for_events(view, events).values
    last = {str(e[view.key_field]): i for i, e in enumerate(events)}
    ids = sorted(last)
    rows = [last[k] for k in ids]
    online = store.get(
        ids,
        view,
        [events[i]["event_id"] for i in rows],
        [int(events[i]["event_time"]) for i in rows],
    )
    assert online.found.all()
    return float(np.max(np.abs(online.values - expected[rows])))


def full_state_diff(
    redis_url: str, prefix: str, view: FeatureView, events: list[dict[str, Any]]
) -> float:
    """|online - backfill| just after each entity's last event, all its events included.

    Independent of the order in which an entity's events from different source partitions
    were applied (the merchant view), up to float summation order."""
    store = RedisOnlineStore(redis.Redis.from_url(redis_url), prefix=prefix)
    last = {str(e[view.key_field]): int(e["event_time"]) + 1 for e in events}
    ids = sorted(last)
    expected = features_at(view, events, [QueryPoint(k, last[k]) for k in ids]).values
    online = store.get(ids, view, None, [last[k] for k in ids])
    assert online.found.all()
    return float(np.max(np.abs(online.values - expected)))


def assert_exact(redis_url: str, prefix: str, events: list[dict[str, Any]]) -> None:
    assert wait_until_applied(redis_url, prefix, events) == {
        "card": len(events),
        "merchant": len(events),
    }
    assert last_event_diff(redis_url, prefix, CARD, events) == 0.0
    for view in (CARD, MERCHANT):
        assert full_state_diff(redis_url, prefix, view, events) == 0.0


def test_faust_matches_the_backfill_exactly(
    kafka_settings: KafkaSettings, topics: TopicCatalogue, redis_url: str, tmp_path: Path
) -> None:
    events = produce_stream(kafka_settings, topics, 3000, seed=31)
    started = time.monotonic()
    process = start_worker(kafka_settings, topics, redis_url, tmp_path, "fa1")
    try:
        assert_exact(redis_url, "fa1", events)
        print(f"3000 events applied in {time.monotonic() - started:.1f} s (start included)")
    finally:
        stop_worker(process)
