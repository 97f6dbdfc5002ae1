"""Avro contracts of eventml (``<record>.v<N>.avsc``), their catalogue and wire formats.

Example:
    >>> from schemas import default_catalog, AvroCodec
    >>> codec = AvroCodec(default_catalog(), "label")
    >>> data = codec.encode({"event_id": "e1", "is_fraud": True, "label_time": 1})
    >>> codec.decode(data)["is_fraud"]
    True
"""

from __future__ import annotations

from schemas.catalog import SchemaCatalog, SchemaVersion, default_catalog
from schemas.codec import AvroCodec, WireFormat
from schemas.compatibility import check_backward_compatible, check_catalog
from schemas.exceptions import (
    DecodeError,
    IncompatibleSchemaError,
    InvalidValueError,
    SchemaError,
    SchemaViolationError,
    UnknownFingerprintError,
)
from schemas.prediction_columns import PredictionColumns
from schemas.prediction_encoder import PredictionEncoder
from schemas.transaction_decoder import TransactionDecoder

__all__ = [
    "AvroCodec",
    "DecodeError",
    "IncompatibleSchemaError",
    "InvalidValueError",
    "PredictionColumns",
    "PredictionEncoder",
    "SchemaCatalog",
    "SchemaError",
    "SchemaVersion",
    "SchemaViolationError",
    "TransactionDecoder",
    "UnknownFingerprintError",
    "WireFormat",
    "check_backward_compatible",
    "check_catalog",
    "default_catalog",
]
