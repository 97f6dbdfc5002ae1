"""The foundation as a user drives it: infra up, topics, produce, tail, dlq, infra down."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.contract.samples import SAMPLES

pytestmark = pytest.mark.e2e


def _eventml(home: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"KAFKA_BOOTSTRAP_SERVERS", "REDIS_URL"}}
    env.update({"EVENTML_HOME": str(home), "COLUMNS": "200"})
    return subprocess.run(
        [sys.executable, "-m", "streams.cli", *args],
        env=env,
        input=stdin,
        text=True,
        capture_output=True,
        timeout=120,
        check=False,
    )


def _dead_letter_a_broken_event(bootstrap: str) -> None:
    """What a consumer does with a broken event: publish it to the dead-letter topic."""
    from streams.kafka.clients import make_producer
    from streams.kafka.dead_letter import DeadLetter, DeadLetterPublisher
    from streams.kafka.message import RawRecord
    from streams.settings import KafkaSettings

    producer = make_producer(KafkaSettings(bootstrap_servers=bootstrap))
    broken = RawRecord("events", 1, 41, b'{"event_id": "broken"}', b"c-1")
    letter = DeadLetter.of(broken, ValueError("missing fields"), "schema_violation", "e2e")
    DeadLetterPublisher(producer).publish(letter)
    assert producer.flush(10) == 0


def test_walkthrough(tmp_path: Path) -> None:
    home = tmp_path / "home"
    up = _eventml(home, "infra", "up")
    try:
        assert up.returncode == 0, up.stderr
        status = json.loads(_eventml(home, "infra", "status", "--json").stdout)
        assert status["running"] and status["kafka_bootstrap_servers"].startswith("127.0.0.1:")
        assert status["redis_url"].startswith("redis://127.0.0.1:")

        created = _eventml(home, "topics", "create")
        assert created.returncode == 0 and "events-dlq" in created.stdout
        assert "created" not in _eventml(home, "topics", "create").stdout  # idempotent
        listed = _eventml(home, "topics", "list")
        assert "missing" not in listed.stdout and "predictions-shadow" in listed.stdout

        good = [{**SAMPLES["transaction"], "event_id": f"e{i}"} for i in range(3)]
        lines = [json.dumps(r) for r in good] + ['{"event_id": "half"}', "not json"]
        events = tmp_path / "events.jsonl"
        events.write_text("\n".join(lines) + "\n")
        produced = _eventml(home, "produce", str(events))
        assert produced.returncode == 1  # invalid lines make the exit non-zero...
        assert "sent 3 records" in produced.stdout  # ...but the valid ones are sent
        assert "line 4" in produced.stderr and "line 5" in produced.stderr

        tailed = _eventml(home, "tail", "events")
        values = [json.loads(line)["value"] for line in tailed.stdout.splitlines()]
        assert sorted(v["event_id"] for v in values) == ["e0", "e1", "e2"]

        inspected = _eventml(home, "dlq", "inspect", "events")
        assert inspected.returncode == 0 and "0 dead letters" in inspected.stdout

        bootstrap = status["kafka_bootstrap_servers"]
        _dead_letter_a_broken_event(bootstrap)
        inspected = _eventml(home, "dlq", "inspect", "events")
        assert "1 dead letters: schema_violation=1" in inspected.stdout
        fixed = {**SAMPLES["transaction"], "event_id": "fixed"}
        fixes = tmp_path / "fixes.jsonl"
        fixes.write_text(json.dumps({"dlq_offset": 0, "value": fixed}) + "\n")
        replayed = _eventml(home, "dlq", "replay", "events", "--fixes", str(fixes))
        assert replayed.returncode == 0 and "replayed 1 records" in replayed.stdout
        tailed = _eventml(home, "tail", "events")
        ids = [json.loads(line)["value"]["event_id"] for line in tailed.stdout.splitlines()]
        assert sorted(ids) == ["e0", "e1", "e2", "fixed"]

        if shutil.which("kcat"):
            listing = _eventml(home, "infra", "kcat", "-L").stdout
            assert 'topic "events-dlq" with 1 partitions' in listing
            assert 'topic "events" with 4 partitions' in listing
    finally:
        down = _eventml(home, "infra", "down")
    assert down.returncode == 0 and "stopped" in down.stdout
    assert _eventml(home, "infra", "status").returncode == 1
