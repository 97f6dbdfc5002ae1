"""The Bytewax aggregator as a service: exact parity with the backfill, also across kill -9."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from streams.features.parity import (
    parity_diff,
    produce_stream,
    start_aggregator,
    wait_for_parity,
)
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
