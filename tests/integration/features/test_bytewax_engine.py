"""The Bytewax aggregator as a service: exact parity with the backfill, also across kill -9."""

from __future__ import annotations

import os
import signal
import time
import uuid
from pathlib import Path

import pytest

from streams.bench_support import scrape
from streams.features.parity import (
    parity_diff,
    produce_stream,
    start_aggregator,
    wait_for_parity,
)
from streams.infra.process import free_port
from streams.kafka.topics import TopicCatalogue
from streams.settings import KafkaSettings

pytestmark = pytest.mark.integration
# Exact: a merchant's events arrive in another order than the backfill's, but window sums
# are exact fixed-point, so the order cannot show in any bit.
TOLERANCE = 0.0


def test_bytewax_matches_the_backfill_exactly(
    kafka_settings: KafkaSettings, topics: TopicCatalogue, redis_url: str, tmp_path: Path
) -> None:
    events = produce_stream(kafka_settings, topics, 3000, seed=21)
    process = start_aggregator(kafka_settings, topics, redis_url, tmp_path, "bytewax", "bw1")
    try:
        assert wait_for_parity(redis_url, "bw1", events) <= TOLERANCE
    finally:
        process.terminate()
        process.wait(10)


def test_kill_9_and_restart_does_not_double_count(
    kafka_settings: KafkaSettings, topics: TopicCatalogue, redis_url: str, tmp_path: Path
) -> None:
    first = produce_stream(kafka_settings, topics, 2000, seed=22)
    process = start_aggregator(kafka_settings, topics, redis_url, tmp_path, "bytewax", "bw2")
    assert wait_for_parity(redis_url, "bw2", first) <= TOLERANCE
    time.sleep(1.5)  # let an epoch close so a snapshot exists, then die without warning
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(10)
    events = produce_stream(kafka_settings, topics, 4000, seed=22, start=2000)
    assert parity_diff(redis_url, "bw2", events) > 0  # behind until restarted
    restarted = start_aggregator(kafka_settings, topics, redis_url, tmp_path, "bytewax", "bw2")
    try:
        assert wait_for_parity(redis_url, "bw2", events) <= TOLERANCE
    finally:
        restarted.terminate()
        restarted.wait(10)


def test_a_cluster_of_two_processes_shares_the_work_and_matches_the_backfill(
    kafka_settings: KafkaSettings, topics: TopicCatalogue, redis_url: str, tmp_path: Path
) -> None:
    events = produce_stream(kafka_settings, topics, 3000, seed=23)
    prefix = f"bw3{uuid.uuid4().hex[:6]}"
    addresses = ";".join(f"127.0.0.1:{free_port()}" for _ in range(2))
    ports = [free_port() for _ in range(2)]
    processes = [
        start_aggregator(
            kafka_settings,
            topics,
            redis_url,
            tmp_path,
            "bytewax",
            prefix,
            metrics_port=port,
            extra_env={
                "EVENTML_AGGREGATOR_PROCESS_ID": str(i),
                "EVENTML_AGGREGATOR_ADDRESSES": addresses,
            },
        )
        for i, port in enumerate(ports)
    ]
    try:
        assert wait_for_parity(redis_url, prefix, events) <= TOLERANCE
        applied = [_applied_cards(port) for port in ports]
        # Each process aggregated a share (its key buckets), together every event once.
        assert all(n > 0 for n in applied) and sum(applied) == len(events)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(10)


def _applied_cards(port: int) -> float:
    """Card events one process applied, by its metrics (retried while the server starts)."""
    for _ in range(50):
        try:
            samples = scrape(f"http://127.0.0.1:{port}/metrics")
        except OSError:
            time.sleep(0.2)
            continue
        return sum(
            value
            for (name, labels), value in samples.items()
            if name == "eventml_features_events_total" and ("view", "card") in labels
        )
    raise AssertionError(f"no metrics on port {port}")
