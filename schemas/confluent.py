"""Confluent Schema Registry framing (magic byte 0 + schema id), used when a registry URL is set."""

from __future__ import annotations

import json
from typing import Any

from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from schemas.catalog import SchemaVersion
from schemas.exceptions import DecodeError


class ConfluentFraming:
    """Encodes and decodes one record type through a Schema Registry.

    Args:
        registry_conf: ``SchemaRegistryClient`` settings (``url``, auth, TLS).
        reader: Schema version to read into and to register for writing.
        topic: Topic whose ``<topic>-value`` subject holds the schema.
    """

    def __init__(self, registry_conf: dict[str, Any], reader: SchemaVersion, topic: str) -> None:
        self._client = SchemaRegistryClient.new_client(registry_conf)
        schema_str = json.dumps(reader.raw)
        self._serializer = AvroSerializer(
            self._client, schema_str, conf={"auto.register.schemas": True}
        )
        self._deserializer = AvroDeserializer(self._client, schema_str)
        self._context = SerializationContext(topic, MessageField.VALUE)

    def encode(self, record: dict[str, Any]) -> bytes:
        """Register the schema if needed and frame the record."""
        data = self._serializer(record, self._context)
        assert data is not None  # a dict never serializes to None
        return bytes(data)

    def decode(self, data: bytes) -> dict[str, Any]:
        """Look the writer schema up by id and read the record."""
        try:
            value = self._deserializer(data, self._context)
        except Exception as exc:  # the registry client raises many unrelated types
            raise DecodeError(f"confluent-framed record unreadable: {exc}") from exc
        if not isinstance(value, dict):
            raise DecodeError("confluent-framed value is not a record")
        return value
