"""Batch decoding gives exactly what decoding record by record gives, good records or bad."""

from __future__ import annotations

import io
import json
import random
from typing import Any

import pytest
from fastavro import schemaless_writer

from schemas import AvroCodec, DecodeError, single_object
from schemas.catalog import default_catalog
from streams.features.engines.batch_decoder import BatchDecoder
from tests.unit.features.conftest import T0, seeded_stream, transaction

CODEC = AvroCodec(default_catalog(), "transaction")
HEADER = 10  # single-object marker and fingerprint


def unchecked(record: dict[str, Any]) -> bytes:
    """Avro that is well-formed but fails the domain checks (the codec refuses to write it)."""
    body = io.BytesIO()
    schemaless_writer(body, CODEC.writer.parsed, record)
    return single_object.frame(CODEC.writer.fingerprint, body.getvalue())


def one_by_one(values: list[bytes | None]) -> list[Any]:
    out: list[Any] = []
    for value in values:
        try:
            out.append(CODEC.decode(value) if value is not None else DecodeError("tombstone"))
        except DecodeError as exc:
            out.append(exc)
    return out


def assert_same(got: list[Any], expected: list[Any]) -> None:
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        if isinstance(e, DecodeError):
            assert isinstance(g, DecodeError) and g.reason == e.reason
        else:
            assert g == e


def test_a_clean_batch_equals_record_by_record() -> None:
    values: list[bytes | None] = [CODEC.encode(r) for r in seeded_stream(500, seed=5)]
    assert_same(BatchDecoder(CODEC).decode(values), one_by_one(values))


def test_garbled_and_foreign_records_fall_back_to_the_same_outcomes() -> None:
    good = [CODEC.encode(transaction(i, T0 + i)) for i in range(6)]
    older = AvroCodec(default_catalog(), "transaction", writer_version=1)
    v1 = {k: v for k, v in transaction(9, T0).items() if k not in ("home_country", "device_id")}
    values: list[bytes | None] = [
        good[0],
        good[1][:-3],  # truncated body
        good[2] + b"\x00",  # trailing byte
        good[3] + good[4][HEADER:],  # two bodies in one message...
        good[5][:HEADER],  # ...and an empty one after it: boundaries must not shift
        None,
        json.dumps(transaction(7, T0)).encode(),
        older.encode(v1),
        unchecked(transaction(8, T0, amount=-1.0)),  # domain check fails
        good[0],
    ]
    got = BatchDecoder(CODEC).decode(values)
    assert_same(got, one_by_one(values))
    assert [isinstance(g, dict) for g in got] == [
        True, False, False, False, False, False, True, True, False, True,
    ]  # fmt: skip


def test_random_byte_flips_never_decode_differently() -> None:
    rng = random.Random(3)
    clean = [CODEC.encode(r) for r in seeded_stream(200, seed=6)]
    decoder = BatchDecoder(CODEC)
    for _ in range(20):
        values: list[bytes | None] = []
        for value in clean:
            data = bytearray(value)
            if rng.random() < 0.05:
                data[rng.randrange(HEADER, len(data))] = rng.randrange(256)
            values.append(bytes(data))
        assert_same(decoder.decode(values), one_by_one(values))


@pytest.mark.parametrize("size", [0, 1])
def test_small_batches(size: int) -> None:
    values: list[bytes | None] = [CODEC.encode(transaction(i, T0)) for i in range(size)]
    assert_same(BatchDecoder(CODEC).decode(values), one_by_one(values))
