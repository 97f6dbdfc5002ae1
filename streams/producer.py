"""Public API for producers: validate, encode and publish records to an eventml topic.

Example:
    >>> from streams.producer import RecordProducer            # doctest: +SKIP
    >>> p = RecordProducer(kafka, topic="events", record="transaction", key_field="card_id")
    >>> p.send({...}); p.flush()
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from schemas import AvroCodec, default_catalog
from streams.exceptions import InfrastructureError
from streams.kafka.clients import make_producer
from streams.kafka.message import WireHeaders
from streams.settings import KafkaSettings


def codec_for(kafka: KafkaSettings, topic: str, record: str) -> AvroCodec:
    """The codec a service uses for ``record`` on ``topic``: Confluent framing when a registry
    URL is configured, Avro single-object encoding otherwise."""
    catalog = default_catalog()
    registry = kafka.registry_config()
    framing = None
    if registry is not None:
        from schemas.confluent import ConfluentFraming  # needs the registry client's extras

        framing = ConfluentFraming(registry, catalog.latest(record), topic)
    return AvroCodec(catalog, record, confluent=framing)


class RecordProducer:
    """Publishes records of one contract to one topic, keyed by a field of the record.

    Args:
        kafka: Resolved connection settings.
        topic: Full topic name.
        record: Short Avro record name (``transaction``, ``label``...).
        key_field: Field whose value becomes the message key (partitioning).
    """

    def __init__(
        self,
        kafka: KafkaSettings,
        topic: str,
        record: str,
        key_field: str | None = None,
        **producer_overrides: Any,
    ) -> None:
        self.topic = topic
        self.codec = codec_for(kafka, topic, record)
        self.key_field = key_field
        self._producer = make_producer(kafka, **producer_overrides)
        self.sent = 0

    def send(self, record: Mapping[str, Any]) -> None:
        """Validate, encode and queue one record (raises DecodeError subclasses when invalid)."""
        value = self.codec.encode(record)
        key = str(record[self.key_field]).encode() if self.key_field else None
        self.send_raw(value, key)

    def send_raw(
        self, value: bytes, key: bytes | None = None, headers: WireHeaders | None = None
    ) -> None:
        """Queue bytes as they are (used by replay and fault tests)."""
        while True:
            try:
                self._producer.produce(self.topic, value=value, key=key, headers=headers)
                break
            except BufferError:
                self._producer.poll(0.05)
        self._producer.poll(0)
        self.sent += 1

    def send_many(self, records: Iterable[Mapping[str, Any]]) -> int:
        """Queue many records; returns how many."""
        n = 0
        for record in records:
            self.send(record)
            n += 1
        return n

    def flush(self, timeout_s: float = 30.0) -> None:
        """Wait until the broker acknowledged everything queued."""
        left = self._producer.flush(timeout_s)
        if left:
            raise InfrastructureError(f"{left} records not acknowledged within {timeout_s} s")
