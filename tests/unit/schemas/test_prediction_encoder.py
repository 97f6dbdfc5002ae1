"""PredictionEncoder: the same bytes as AvroCodec, and the codec's behaviour for the rest."""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np
import pytest

from schemas import AvroCodec, InvalidValueError, PredictionEncoder, SchemaViolationError
from schemas.catalog import default_catalog


def _record(rng: random.Random) -> dict[str, Any]:
    text = "".join(rng.choice("abcXYZ-_é€😀0") for _ in range(rng.randrange(0, 80)))
    big = rng.choice([0, 1, -1, 63, 64, -64, -65, 2**31, 2**62, 2**63 - 1, -(2**63)])
    return {
        "event_id": text,
        "entity": f"card-{rng.randrange(10**6)}",
        "score": rng.random(),
        "decision": rng.random() < 0.5,
        "threshold": rng.choice([0.0, 0.5, 1.0]),
        "model_name": rng.choice(["bench", "fraud", ""]),
        "model_version": str(rng.randrange(100)),
        "variant": rng.choice(["CHAMPION", "CANARY", "SHADOW"]),
        "features_missing": rng.random() < 0.5,
        "feature_freshness_ms": rng.choice([None, 0, big, rng.randrange(-(10**9), 10**9)]),
        "latency_ms": rng.choice([0.0, rng.random() * 1e3, -0.0, math.inf]),
        "event_time": rng.choice([big, rng.randrange(10**13)]),
        "scored_at": rng.randrange(-(10**13), 10**13),
        "features": [rng.uniform(-1e6, 1e6) for _ in range(rng.choice([0, 1, 30, 64, 200]))],
    }


def test_writes_the_codecs_bytes(codec: AvroCodec, encoder: PredictionEncoder) -> None:
    rng = random.Random(4)
    for _ in range(2000):
        record = _record(rng)
        assert encoder.encode(record) == codec.encode(record, trusted=True), record
    assert codec.decode(encoder.encode(record)) == record


@pytest.mark.parametrize(
    "change",
    [
        {"score": np.float64(0.25)},  # not a plain float: the codec writes it
        {"score": 1},  # an int in a double field
        {"features": [1, 2.5]},  # ints in the array
        {"features": np.arange(3, dtype=np.float64).tolist()},
        {"features": np.arange(3, dtype=np.float32)},  # not float64: the codec writes it
        {"feature_freshness_ms": np.int64(5)},
        {"decision": np.bool_(True)},
    ],
)
def test_other_types_take_the_codec_path_and_match(
    codec: AvroCodec, encoder: PredictionEncoder, change: dict[str, Any]
) -> None:
    record = {**_record(random.Random(1)), **change}
    assert encoder.encode(record) == codec.encode(record, trusted=True)


def test_a_float64_vector_is_written_as_its_list(
    codec: AvroCodec, encoder: PredictionEncoder
) -> None:
    rng = random.Random(5)
    matrix = np.array([[rng.uniform(-1e6, 1e6) for _ in range(33)] for _ in range(4)])
    for values in (matrix[1], matrix[:, 2], matrix[1].astype(">f8"), np.zeros(0), matrix[0, :1]):
        record = {**_record(rng), "features": values}
        listed = {**record, "features": [float(v) for v in values]}
        assert encoder.encode(record) == codec.encode(listed, trusted=True)


def test_defaults_are_filled_like_the_codec(codec: AvroCodec, encoder: PredictionEncoder) -> None:
    record = _record(random.Random(2))
    for name in ("features_missing", "feature_freshness_ms", "features"):
        del record[name]
    assert encoder.encode(record) == codec.encode(record, trusted=True)


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"score": math.nan}, InvalidValueError),
        ({"threshold": 1.5}, InvalidValueError),
        ({"unknown": 1}, SchemaViolationError),
        ({"event_time": 2**63}, SchemaViolationError),
        ({"variant": "OTHER"}, SchemaViolationError),
        ({"entity": None}, SchemaViolationError),
    ],
)
def test_bad_records_raise_what_the_codec_raises(
    codec: AvroCodec, encoder: PredictionEncoder, change: dict[str, Any], error: type[Exception]
) -> None:
    record = {**_record(random.Random(3)), **change}
    with pytest.raises(error):
        codec.encode(record, trusted=True)
    with pytest.raises(error):
        encoder.encode(record)


def test_other_records_and_framings_use_the_codec() -> None:
    transaction = AvroCodec(default_catalog(), "transaction")
    assert not PredictionEncoder(transaction).fast
