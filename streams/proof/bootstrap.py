"""A champion model for proof runs: trained by ``eventml train`` from a seeded period."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path

from streams.demo.summary import Observed
from streams.exceptions import EventmlError
from streams.kafka.admin import create_topics
from streams.kafka.clients import make_admin
from streams.kafka.topics import TopicCatalogue
from streams.proof.feed import Feed
from streams.proof.pipeline import service_env
from streams.settings import KafkaSettings, RedisSettings

BOOTSTRAP_EVENTS = 10_000
LOOKBACK_HOURS = 12.0
TRAIN_COMMAND = (sys.executable, "-m", "streams.cli", "train", "--promote-to", "champion")


class BootstrapError(EventmlError):
    """The champion could not be trained."""


def train_champion(kafka: KafkaSettings, redis: RedisSettings, home: Path, seed: int = 7) -> None:
    """Produce a bootstrap period and train version 1 as champion into ``home``'s registry."""
    prefix = f"proof-boot-{uuid.uuid4().hex[:6]}."
    topics = TopicCatalogue(prefix, kafka.topic_partitions)
    create_topics(make_admin(kafka), topics.specs())
    Feed(kafka, topics, Observed(), threading.Lock(), seed + 1000).produce(BOOTSTRAP_EVENTS)
    env = {
        **os.environ,
        **service_env(kafka, redis, home, prefix),
        "EVENTML_TRAINING_MAX_ITER": "60",
        "EVENTML_TRAINING_CALIBRATION_FOLDS": "2",
    }
    log_path = home / "logs" / "bootstrap-train.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        code = subprocess.run(
            [*TRAIN_COMMAND, "--lookback-hours", str(LOOKBACK_HOURS)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
            timeout=600,
        ).returncode
    if code != 0:
        tail = log_path.read_text(errors="replace")[-1500:]
        raise BootstrapError(f"bootstrap training failed (exit {code}):\n{tail}")
