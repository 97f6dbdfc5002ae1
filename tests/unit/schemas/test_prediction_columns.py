"""A part's predictions written from columns: the codec's bytes, or the one-at-a-time path."""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np
import pytest

from schemas import AvroCodec, InvalidValueError, PredictionColumns, PredictionEncoder
from schemas.exceptions import SchemaViolationError
from schemas.prediction_columns import Unsupported, write_records

BIG = [0, 1, -1, 63, 64, -64, -65, 2**31, 2**53 + 1, 2**62, 2**63 - 1, -(2**63)]


def _text(rng: random.Random) -> str:
    # Up to 80 characters of up to 4 bytes: length prefixes of one byte and of two.
    return "".join(rng.choice("abcXYZ-_é€😀0") for _ in range(rng.randrange(0, 80)))


def _part(rng: random.Random, n: int, **change: Any) -> PredictionColumns:
    width = rng.choice([0, 1, 33, 200])
    scores = np.array([rng.choice([0.0, 1.0, rng.random()]) for _ in range(n)])
    values: dict[str, Any] = {
        "event_ids": [_text(rng) for _ in range(n)],
        "entities": [f"card-{rng.randrange(10**6)}" for _ in range(n)],
        "scores": scores,
        "threshold": rng.choice([0.0, 0.5, 1.0]),
        "model_name": rng.choice(["bench", "fraud", "", "m" * 70]),
        "model_version": str(rng.randrange(100)),
        "variant": rng.choice(["CHAMPION", "CANARY", "SHADOW"]),
        "missing": np.array([rng.random() < 0.3 for _ in range(n)], dtype=np.bool_),
        "freshness_ms": np.array([rng.choice(BIG) for _ in range(n)], dtype=np.int64),
        "latency_ms": np.array([rng.choice([0.0, -0.0, math.inf, rng.random() * 1e3])] * n),
        "event_times": np.array(
            [rng.choice([*BIG, rng.randrange(10**13)]) for _ in range(n)], dtype=np.int64
        ),
        "scored_at": rng.choice([*BIG, rng.randrange(-(10**13), 10**13)]),
        "features": np.array([[rng.uniform(-1e6, 1e6) for _ in range(width)] for _ in range(n)]),
    }
    if not n or not width:
        values["features"] = np.zeros((n, width))
    return PredictionColumns(**{**values, **change})


def test_writes_the_codecs_bytes_for_every_record(
    codec: AvroCodec, encoder: PredictionEncoder
) -> None:
    rng = random.Random(7)
    header = encoder.encode(_part(rng, 1).records()[0])[:10]
    for _ in range(300):
        part = _part(rng, rng.choice([0, 1, 2, 17]))
        expected = [codec.encode(record, trusted=True) for record in part.records()]
        assert write_records(part, header) == expected  # the columns path itself
        assert encoder.encode_part(part) == expected
    assert codec.decode(expected[-1]) == {
        **part.records()[-1],
        "features": part.features[-1].tolist(),
    }


def test_records_are_what_one_prediction_at_a_time_holds() -> None:
    part = _part(random.Random(8), 3, missing=np.array([True, False, False]), threshold=0.5)
    first, second = part.records()[:2]
    assert first["feature_freshness_ms"] is None and first["features_missing"] is True
    assert second["feature_freshness_ms"] == part.freshness_ms[1]
    assert second["decision"] == (part.scores[1] >= 0.5)
    assert second["features"].tolist() == part.features[1].tolist()


@pytest.mark.parametrize(
    "change",
    [
        {"scores": np.array([0.25, 0.5], dtype=np.float32)},  # not float64
        {"threshold": np.float64(0.5)},  # not a plain float
        {"features": np.ones((2, 3), dtype=np.float32)},
        {"event_times": np.array([1, 2], dtype=np.int32)},
    ],
)
def test_other_types_are_written_one_at_a_time(
    codec: AvroCodec, encoder: PredictionEncoder, change: dict[str, Any]
) -> None:
    part = _part(random.Random(9), 2, **change)
    with pytest.raises(Unsupported):
        write_records(part, b"")
    expected = [codec.encode(record, trusted=True) for record in part.records()]
    assert encoder.encode_part(part) == expected


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"scores": np.array([0.5, math.nan])}, InvalidValueError),
        ({"scores": np.array([0.5, 1.5])}, InvalidValueError),
        ({"threshold": -0.1}, InvalidValueError),
        ({"variant": "OTHER"}, SchemaViolationError),
        ({"entities": ["c-1", None]}, SchemaViolationError),
        ({"event_ids": ["e-1", 2]}, SchemaViolationError),
    ],
)
def test_bad_parts_raise_what_one_record_at_a_time_raises(
    encoder: PredictionEncoder, change: dict[str, Any], error: type[Exception]
) -> None:
    part = _part(random.Random(10), 2, **change)
    with pytest.raises(error):
        encoder.encode(part.records()[1])
    with pytest.raises(error):
        encoder.encode_part(part)
