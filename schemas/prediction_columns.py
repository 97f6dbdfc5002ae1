"""``prediction.v1`` bodies written a scored part at a time, from columns.

The inference service writes one prediction per event. Built as a record each and written
field by field (:mod:`~schemas.prediction_encoder`), that cost ~6.4 µs an event, the
largest share of the consumer's work per event. A part (one model's scores over a batch)
shares its model, variant, threshold and scoring time, so those fields are written once;
doubles and longs are converted for the whole part by numpy; each record is then one join of
ready pieces. The bytes are :class:`~schemas.codec.AvroCodec`'s, byte for byte (the tests
compare them); values this writer was not written for raise :class:`Unsupported` and the
caller writes those records one at a time, so their errors stay the codec's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from schemas.varint import zigzag

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

VARIANTS = {"CHAMPION": b"\x00", "CANARY": b"\x02", "SHADOW": b"\x04"}
_LE_FLOAT64 = np.dtype("<f8")
_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1
_VARINT_BYTES = 10  # 64 bits, 7 a byte
# Length prefixes of strings under 64 bytes: one byte.
_SHORT = tuple(zigzag(n) for n in range(64))


class Unsupported(Exception):  # noqa: N818 - "let the codec write it"
    """A value these writers were not written for (the codec writes, or rejects, it)."""


class PredictionColumns(NamedTuple):
    """The predictions of one scored part, by column.

    Per record (length ``n``): ``event_ids``, ``entities``, ``scores``, ``missing``,
    ``freshness_ms`` (read only where ``missing`` is false; the record holds null
    elsewhere), ``latency_ms``, ``event_times`` and the rows of ``features``. The rest is
    the part's: every record holds the same value.
    """

    event_ids: Sequence[Any]
    entities: Sequence[Any]
    scores: FloatArray
    threshold: float
    model_name: str
    model_version: str
    variant: str
    missing: BoolArray
    freshness_ms: IntArray
    latency_ms: FloatArray
    event_times: IntArray
    scored_at: int
    features: FloatArray

    def records(self) -> list[dict[str, Any]]:
        """The same predictions as ``prediction.v1`` records (the one-at-a-time path)."""
        missing = self.missing.tolist()
        freshness = self.freshness_ms.tolist()
        scores = self.scores.tolist()
        latency = self.latency_ms.tolist()
        times = self.event_times.tolist()
        return [
            {
                "event_id": self.event_ids[i],
                "entity": self.entities[i],
                "score": scores[i],
                "decision": scores[i] >= self.threshold,
                "threshold": self.threshold,
                "model_name": self.model_name,
                "model_version": self.model_version,
                "variant": self.variant,
                "features_missing": missing[i],
                "feature_freshness_ms": None if missing[i] else freshness[i],
                "latency_ms": latency[i],
                "event_time": times[i],
                "scored_at": self.scored_at,
                "features": self.features[i],
            }
            for i in range(len(scores))
        ]


def write_records(part: PredictionColumns, header: bytes) -> list[bytes]:
    """Each record, ``header`` (the wire format's) then its Avro body, in order.

    Raises:
        Unsupported: A value of a type or range the codec must handle (or reject), or a
            score or threshold outside [0, 1] (which the one-at-a-time path rejects).
    """
    n = len(part.scores)
    shared = _shared(part)
    _check_probabilities(part)
    scores = _float64s(part.scores, n)
    latency = _float64s(part.latency_ms, n)
    width, features = _feature_rows(part.features, n)
    scored_at = write_long(part.scored_at)
    decisions = (part.scores >= part.threshold).tolist()
    times = _varints(_int64s(part.event_times, n))
    fresh = _varints(_int64s(part.freshness_ms, n))
    ids, entities = _strings(part.event_ids, n), _strings(part.entities, n)
    flags = part.missing
    if not isinstance(flags, np.ndarray) or flags.dtype != np.bool_ or flags.shape != (n,):
        raise Unsupported
    prefix = write_long(width) if width else b""
    tail = b"\x00"
    out = []
    for i, missing in enumerate(flags.tolist()):
        at, step = i * 8, i * 8 * width
        out.append(
            b"".join(
                (
                    header,
                    ids[i],
                    entities[i],
                    scores[at : at + 8],
                    b"\x01" if decisions[i] else b"\x00",
                    shared,
                    b"\x01\x00" if missing else b"\x00\x02" + fresh[i],
                    latency[at : at + 8],
                    times[i],
                    scored_at,
                    prefix,
                    features[step : step + 8 * width],
                    tail,
                )
            )
        )
    return out


def _check_probabilities(part: PredictionColumns) -> None:
    """Scores and threshold in [0, 1] (NaN fails both comparisons)."""
    scores = part.scores
    if not isinstance(scores, np.ndarray) or not (
        0.0 <= part.threshold <= 1.0 and bool(np.all(scores >= 0.0) & np.all(scores <= 1.0))
    ):
        raise Unsupported


def _shared(part: PredictionColumns) -> bytes:
    """threshold, model_name, model_version and variant: contiguous and the part's own."""
    variant = VARIANTS.get(part.variant) if type(part.variant) is str else None
    if variant is None or type(part.threshold) not in (float, int):
        raise Unsupported
    names = _strings([part.model_name, part.model_version], 2)
    return _float64s(np.array([part.threshold], dtype=np.float64), 1) + b"".join(names) + variant


def write_long(n: Any) -> bytes:
    """Zigzag varint, as Avro writes ``int`` and ``long``."""
    if type(n) is not int or not _LONG_MIN <= n <= _LONG_MAX:
        raise Unsupported
    return zigzag(n)


def _strings(values: Sequence[Any], n: int) -> list[bytes]:
    if len(values) != n or not {*map(type, values)} <= {str}:
        raise Unsupported
    out = []
    for value in values:
        data = value.encode()
        size = len(data)
        out.append((_SHORT[size] if size < 64 else zigzag(size)) + data)
    return out


def _float64s(values: Any, n: int) -> bytes:
    if not isinstance(values, np.ndarray) or values.dtype != np.float64 or values.shape != (n,):
        raise Unsupported
    return values.astype(_LE_FLOAT64, copy=False).tobytes()


def _int64s(values: Any, n: int) -> IntArray:
    if not isinstance(values, np.ndarray) or values.dtype != np.int64 or values.shape != (n,):
        raise Unsupported
    return values


def _feature_rows(features: Any, n: int) -> tuple[int, bytes]:
    """Columns per row, and every row's doubles back to back."""
    if (
        not isinstance(features, np.ndarray)
        or features.dtype != np.float64
        or features.ndim != 2
        or features.shape[0] != n
    ):
        raise Unsupported
    return features.shape[1], features.astype(_LE_FLOAT64, copy=False).tobytes()


def _varints(values: IntArray) -> list[bytes]:
    """Each int64 as Avro writes a ``long`` (zig-zag, 7 bits a byte), the whole array at
    once: a 13-digit time took ~1 µs in a Python loop."""
    unsigned = ((values << 1) ^ (values >> 63)).view(np.uint64)
    shifts = np.arange(_VARINT_BYTES, dtype=np.uint64) * np.uint64(7)
    groups = unsigned[:, None] >> shifts
    used = np.maximum((groups != 0).sum(axis=1), 1)
    cells = (groups & np.uint64(0x7F)).astype(np.uint8)
    cells[np.arange(_VARINT_BYTES) < (used - 1)[:, None]] |= 0x80
    raw = cells.tobytes()
    return [
        raw[i * _VARINT_BYTES : i * _VARINT_BYTES + size] for i, size in enumerate(used.tolist())
    ]
