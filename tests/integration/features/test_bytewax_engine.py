"""The Bytewax aggregator as a service: exact parity with the backfill, also across kill -9."""

from __future__ import annotations

import os
import signal
import time
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
# Sums over a merchant's events run in arrival order, which differs from the backfill's
# time order in the last bits (~1e-14); card features, keyed like the topic, match exactly.
TOLERANCE = 1e-9


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
    addresses = ";".join(f"127.0.0.1:{free_port()}" for _ in range(2))
    ports = [free_port() for _ in range(2)]
    processes = [
        start_aggregator(
            kafka_settings,
            topics,
            redis_url,
            tmp_path,
            "bytewax",
            "bw3",
            metrics_port=port,
            extra_env={
                "EVENTML_AGGREGATOR_PROCESS_ID": str(i),
                "EVENTML_AGGREGATOR_ADDRESSES": addresses,
            },
        )
        for i, port in enumerate(ports)
    ]
    try:
        assert wait_for_parity(redis_url, "bw3", events) <= TOLERANCE
        applied = [
            sum(
                value
                for (name, labels), value in scrape(f"http://127.0.0.1:{port}/metrics").items()
                if name == "eventml_features_events_total" and ("view", "card") in labels
            )
            for port in ports
        ]
        # Each process aggregated a share (its key buckets), together every event once.
        assert all(n > 0 for n in applied) and sum(applied) == len(events)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(10)
