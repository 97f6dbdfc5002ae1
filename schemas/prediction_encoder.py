"""A fast writer for ``prediction.v1`` in Avro single-object encoding.

The inference service writes one prediction per event, and fastavro's general writer was the
largest cost per event (~15 µs, mostly the 30-odd doubles of the feature vector written one by
one). This writer knows the one layout: the feature vector is one ``struct.pack``, or its
buffer when it is a float64 numpy vector (as the inference service passes it). It produces
the bytes :class:`~schemas.codec.AvroCodec` produces (the tests compare them byte for byte) and
hands anything it was not written for to the codec: another schema version, Confluent framing,
a missing or unknown field, a value of an unexpected type. So errors and coercions stay the
codec's; only the common, well-typed record takes the short path. The inference service
writes a scored part's records at once (:meth:`PredictionEncoder.encode_part`, see
:mod:`~schemas.prediction_columns`), and one at a time only what that path does not handle.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

import numpy as np

from schemas import single_object
from schemas.codec import AvroCodec
from schemas.layout import Layout, layout_of
from schemas.prediction_columns import (
    VARIANTS,
    PredictionColumns,
    Unsupported,
    write_long,
    write_records,
)
from schemas.validators import check_prediction

# The writer schema this module encodes, field by field (name, Avro type as in the .avsc).
LAYOUT: Layout = (
    ("event_id", "string"),
    ("entity", "string"),
    ("score", "double"),
    ("decision", "boolean"),
    ("threshold", "double"),
    ("model_name", "string"),
    ("model_version", "string"),
    ("variant", ("enum", ("CHAMPION", "CANARY", "SHADOW"))),
    ("features_missing", "boolean"),
    ("feature_freshness_ms", ("null", "long")),
    ("latency_ms", "double"),
    ("event_time", "long"),
    ("scored_at", "long"),
    ("features", ("array", "double")),
)
_FIELDS = frozenset(name for name, _ in LAYOUT)
_DOUBLE = struct.Struct("<d").pack
_FLOAT_ONLY = {float}
_FLOAT64 = np.dtype(np.float64)
_LE_FLOAT64 = np.dtype("<f8")


def _string(s: Any) -> bytes:
    if type(s) is not str:
        raise Unsupported
    data = s.encode()
    return write_long(len(data)) + data


def _boolean(b: Any) -> bytes:
    if type(b) is not bool:
        raise Unsupported
    return b"\x01" if b else b"\x00"


def _double(x: Any) -> bytes:
    if type(x) is not float and type(x) is not int:
        raise Unsupported
    return _DOUBLE(x)


@cache
def _doubles_struct(n: int) -> struct.Struct:
    return struct.Struct(f"<{n}d")


def _doubles(values: Any) -> bytes:
    if type(values) is np.ndarray:
        # A float64 vector is written from its buffer: Avro doubles are little-endian
        # float64 already (~0.3 µs for 33 values; packing them one by one took ~2 µs).
        if values.dtype != _FLOAT64 or values.ndim != 1:
            raise Unsupported
        if not values.size:
            return b"\x00"
        return write_long(values.size) + values.astype(_LE_FLOAT64, copy=False).tobytes() + b"\x00"
    if type(values) is not list:
        raise Unsupported
    if not values:
        return b"\x00"
    if {*map(type, values)} != _FLOAT_ONLY:  # (map and set stay in C: ~5x a generator)
        raise Unsupported
    return write_long(len(values)) + _doubles_struct(len(values)).pack(*values) + b"\x00"


def _body(r: Mapping[str, Any]) -> bytes:
    freshness = r["feature_freshness_ms"]
    variant = VARIANTS.get(r["variant"]) if type(r["variant"]) is str else None
    if variant is None:
        raise Unsupported
    return b"".join(
        (
            _string(r["event_id"]),
            _string(r["entity"]),
            _double(r["score"]),
            _boolean(r["decision"]),
            _double(r["threshold"]),
            _string(r["model_name"]),
            _string(r["model_version"]),
            variant,
            _boolean(r["features_missing"]),
            b"\x00" if freshness is None else b"\x02" + write_long(freshness),
            _double(r["latency_ms"]),
            write_long(r["event_time"]),
            write_long(r["scored_at"]),
            _doubles(r["features"]),
        )
    )


class PredictionEncoder:
    """Encodes trusted ``prediction`` records as ``codec`` would, faster where it can.

    Args:
        codec: The prediction codec of the topic; used as is unless it writes
            ``prediction.v1`` in single-object encoding.

    Example:
        >>> from schemas.catalog import default_catalog
        >>> codec = AvroCodec(default_catalog(), "prediction")
        >>> encoder = PredictionEncoder(codec)
        >>> encoder.fast
        True
    """

    def __init__(self, codec: AvroCodec) -> None:
        self._codec = codec
        self.fast = (
            codec.record == "prediction"
            and not codec.registry_framed
            and layout_of(codec.writer.raw) == LAYOUT
        )
        self._header = single_object.MARKER + codec.writer.fingerprint
        self.encode: Callable[[Mapping[str, Any]], bytes] = (
            self._encode_fast if self.fast else self._encode_codec
        )

    def encode_part(self, part: PredictionColumns) -> list[bytes]:
        """Every record of a scored part, in order: as :meth:`encode` writes them one by one
        (see :mod:`~schemas.prediction_columns`), several times faster."""
        if self.fast:
            try:
                return write_records(part, self._header)
            except Unsupported:
                pass
        return [self.encode(record) for record in part.records()]

    def _encode_codec(self, record: Mapping[str, Any]) -> bytes:
        return self._codec.encode(record, trusted=True)

    def _encode_fast(self, record: Mapping[str, Any]) -> bytes:
        if record.keys() != _FIELDS:
            return self._codec.encode(record, trusted=True)
        try:
            body = _body(record)
        except Unsupported:
            return self._codec.encode(record, trusted=True)
        check_prediction(record)
        return self._header + body
