"""Kafka plumbing: topic catalogue, client configuration, decoding and the dead-letter path."""

from __future__ import annotations

from streams.kafka.dead_letter import DeadLetter, DeadLetterPublisher
from streams.kafka.decoding import DecodedBatch, decode_batch
from streams.kafka.message import KafkaMessage, RawRecord
from streams.kafka.topics import TopicCatalogue, TopicSpec

__all__ = [
    "DeadLetter",
    "DeadLetterPublisher",
    "DecodedBatch",
    "KafkaMessage",
    "RawRecord",
    "TopicCatalogue",
    "TopicSpec",
    "decode_batch",
]
