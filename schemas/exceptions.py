"""Errors of the Avro contracts and their wire formats."""

from __future__ import annotations

from streams.exceptions import EventmlError


class SchemaError(EventmlError):
    """A schema file is missing, unparsable, or not what the caller asked for."""


class IncompatibleSchemaError(SchemaError):
    """A new schema version cannot read data written with the previous version."""


class DecodeError(SchemaError):
    """A record could not be turned into a valid value of its contract.

    ``reason`` is a short, stable code used in dead-letter headers and metric labels.
    """

    reason = "undecodable"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnknownFingerprintError(DecodeError):
    """Avro single-object data whose writer schema fingerprint is not in the catalogue."""

    reason = "unknown_fingerprint"


class SchemaViolationError(DecodeError):
    """The record's structure does not match the contract (missing field, wrong type)."""

    reason = "schema_violation"


class InvalidValueError(DecodeError):
    """The record parses but a value is out of its domain (NaN amount, negative time...)."""

    reason = "invalid_value"
