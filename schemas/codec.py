"""Encode and decode one record type on the wire, whatever format the producer chose."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from fastavro import schemaless_reader, schemaless_writer
from fastavro.validation import ValidationError as _FastavroValidationError
from fastavro.validation import validate

from schemas import single_object
from schemas.catalog import SchemaCatalog, SchemaVersion
from schemas.exceptions import DecodeError, SchemaViolationError, UnknownFingerprintError
from schemas.validators import VALIDATORS, Validator

if TYPE_CHECKING:
    from schemas.confluent import ConfluentFraming

Record = dict[str, Any]


class WireFormat(StrEnum):
    """How a record's bytes are laid out."""

    SINGLE_OBJECT = "avro-single-object"
    CONFLUENT = "confluent"
    JSON = "json"


def detect_format(data: bytes) -> WireFormat | None:
    """Guess the wire format from the first bytes; None when it is none of them."""
    if single_object.is_single_object(data):
        return WireFormat.SINGLE_OBJECT
    if data[:1] == b"\x00" and len(data) > 5:
        return WireFormat.CONFLUENT
    if data.lstrip()[:1] == b"{":
        return WireFormat.JSON
    return None


class AvroCodec:
    """Writes one record type and reads it back from any accepted wire format.

    Readers resolve the writer schema by fingerprint (single-object) or registry id
    (Confluent) and read into the newest version, so old data stays readable.

    Args:
        catalog: Where schemas are looked up.
        record: Short record name, for example ``transaction``.
        writer_version: Version to write; the newest when None.
        accept_json: Also accept JSON objects (for simple producers such as kcat).
        confluent: When given, encode with Confluent Schema Registry framing.
    """

    def __init__(
        self,
        catalog: SchemaCatalog,
        record: str,
        *,
        writer_version: int | None = None,
        accept_json: bool = True,
        confluent: ConfluentFraming | None = None,
    ) -> None:
        self.catalog = catalog
        self.record = record
        self.reader: SchemaVersion = catalog.latest(record)
        self.writer: SchemaVersion = (
            self.reader if writer_version is None else catalog.get(record, writer_version)
        )
        self.accept_json = accept_json
        self._confluent = confluent
        self._validator: Validator | None = VALIDATORS.get(record)
        self._defaults = {
            f["name"]: f["default"] for f in self.reader.raw["fields"] if "default" in f
        }
        self._field_names = frozenset(f["name"] for f in self.reader.raw["fields"])
        self._double_fields = tuple(
            f["name"] for f in self.reader.raw["fields"] if f["type"] == "double"
        )

    @property
    def registry_framed(self) -> bool:
        """Whether records are written with Confluent Schema Registry framing."""
        return self._confluent is not None

    def encode(self, value: Mapping[str, Any], *, trusted: bool = False) -> bytes:
        """Validate ``value`` and write it in the configured format.

        Args:
            value: The record.
            trusted: Built by eventml's own code (predictions...): skip the separate type
                validation pass and let the writer's own checks stand (which coerce, e.g.,
                numeric strings). Records from outside are never trusted.

        Raises:
            SchemaViolationError: A field is missing or of the wrong type.
            InvalidValueError: A value is outside its domain.
        """
        # The writer checks types as it writes (half the cost of a separate validation pass,
        # which only the JSON path needs); domain checks run on the type-checked record.
        record = self._complete(value, validate_types=not trusted)
        buffer = io.BytesIO()
        try:
            schemaless_writer(buffer, self.writer.parsed, record)
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
            raise SchemaViolationError(f"{self.record}: {exc}") from exc
        if self._validator is not None:
            self._validator(record)
        if self._confluent is not None:
            return self._confluent.encode(record)
        return single_object.frame(self.writer.fingerprint, buffer.getvalue())

    def decode(self, data: bytes) -> Record:
        """Read ``data`` into a dict shaped by the newest schema version.

        Raises:
            DecodeError: Or one of its subclasses; ``err.reason`` names the cause.
        """
        fmt = detect_format(data)
        if fmt is WireFormat.SINGLE_OBJECT:
            record = self._decode_single_object(data)
        elif fmt is WireFormat.CONFLUENT and self._confluent is not None:
            record = self._confluent.decode(data)
        elif fmt is WireFormat.JSON and self.accept_json:
            record = self._decode_json(data)
        else:
            raise DecodeError(f"{self.record}: bytes are neither Avro nor an accepted format")
        if self._validator is not None:
            self._validator(record)
        return record

    def _decode_single_object(self, data: bytes) -> Record:
        if len(data) < single_object.HEADER_SIZE:
            raise DecodeError(f"{self.record}: truncated single-object header ({len(data)} bytes)")
        fingerprint, body = single_object.unframe(data)
        writer = self.catalog.by_fingerprint(fingerprint)
        if writer is None:
            raise UnknownFingerprintError(
                f"{self.record}: unknown writer schema fingerprint {fingerprint.hex()}"
            )
        if writer.record != self.record:
            raise SchemaViolationError(
                f"expected a {self.record} record, got {writer.record} v{writer.version}"
            )
        stream = io.BytesIO(body)
        try:
            record = schemaless_reader(stream, writer.parsed, self.reader.parsed)
        except (ValueError, TypeError, KeyError, IndexError, EOFError, UnicodeDecodeError) as exc:
            raise DecodeError(f"{self.record}: corrupt Avro body: {exc}") from exc
        if stream.tell() != len(body):
            raise DecodeError(f"{self.record}: {len(body) - stream.tell()} trailing bytes")
        if not isinstance(record, dict):
            raise DecodeError(f"{self.record}: body is not a record")
        return record

    def _decode_json(self, data: bytes) -> Record:
        try:
            value = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise DecodeError(f"{self.record}: invalid JSON: {exc}") from exc
        if not isinstance(value, dict):
            raise SchemaViolationError(f"{self.record}: JSON must be an object")
        return self._complete(value)

    def _complete(self, value: Mapping[str, Any], validate_types: bool = True) -> Record:
        """Fill defaults, reject unknown fields, coerce JSON ints to doubles, then validate."""
        unknown = set(value) - self._field_names
        if unknown:
            raise SchemaViolationError(f"{self.record}: unknown fields {sorted(unknown)}")
        record: Record = {**self._defaults, **value}
        for name in self._double_fields:
            if type(record.get(name)) is int:
                record[name] = float(record[name])
        if not validate_types:
            return record
        try:
            validate(record, self.reader.parsed, raise_errors=True)
        except _FastavroValidationError as exc:
            raise SchemaViolationError(f"{self.record}: {_first_error(exc)}") from exc
        return record


def _first_error(exc: _FastavroValidationError) -> str:
    errors = getattr(exc, "errors", None)
    if errors:
        first = errors[0]
        return f"field {first.field!r} does not match {first.schema!r}: got {first.datum!r}"
    return str(exc)
