"""Following the model-events topic: which registry changes call for a model reload."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from confluent_kafka import OFFSET_END, Consumer, TopicPartition

from schemas import AvroCodec
from streams.kafka.clients import make_background_consumer
from streams.kafka.dead_letter import DeadLetterPublisher
from streams.kafka.decoding import decode_batch
from streams.settings import KafkaSettings

log = logging.getLogger(__name__)

RELOAD_ACTIONS = frozenset({"ALIAS_SET", "ALIAS_REMOVED", "PROMOTED", "ROLLED_BACK"})
STAGE = "inference-model-events"


def needs_reload(event: dict[str, Any], aliases: frozenset[str]) -> bool:
    """Whether a ``model_event.v1`` record can change what one of ``aliases`` points at."""
    if event["action"] not in RELOAD_ACTIONS:
        return False
    return event.get("alias") is None or event["alias"] in aliases


class ModelEventWatcher:
    """Reads model events by assignment (every replica needs every event: no group).

    Starts at the end: the current aliases are resolved at start-up anyway, so only later
    changes matter. (On brokers whose ListOffsets "latest" is a little early, an old event
    may be re-read; a reload is idempotent.)
    """

    def __init__(
        self,
        kafka: KafkaSettings,
        topic: str,
        codec: AvroCodec,
        dead_letters: DeadLetterPublisher,
        aliases: frozenset[str],
    ) -> None:
        self._consumer: Consumer = make_background_consumer(
            kafka, f"eventml-inference-me-{uuid.uuid4().hex}"
        )
        self._consumer.assign([TopicPartition(topic, 0, OFFSET_END)])
        self._codec = codec
        self._dead_letters = dead_letters
        self._aliases = aliases

    def poll(self) -> bool:
        """Read what arrived; True when a reload is needed."""
        polled = self._consumer.consume(100, 0)
        messages: list[Any] = [m for m in polled if m.error() is None]
        if not messages:
            return False
        batch = decode_batch(messages, self._codec, STAGE)
        for letter in batch.dead:
            self._dead_letters.publish(letter)
        events = [record for _, record in batch.records]
        for event in events:
            log.info(
                "model event %s %s v%s", event["action"], event["model_name"], event["version"]
            )
        return any(needs_reload(e, self._aliases) for e in events)

    def close(self) -> None:
        """Leave (nothing is committed: there is no group)."""
        self._consumer.close()
