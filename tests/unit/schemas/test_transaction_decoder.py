"""TransactionDecoder: AvroCodec's records, and AvroCodec's errors for everything else."""

from __future__ import annotations

import io
import json
import random
from typing import Any

import pytest
from fastavro import schemaless_writer

from schemas import (
    AvroCodec,
    DecodeError,
    InvalidValueError,
    SchemaError,
    TransactionDecoder,
    single_object,
)
from schemas.catalog import default_catalog
from streams.demo.generator import SyntheticWorld, WorldConfig


@pytest.fixture(scope="module")
def codec() -> AvroCodec:
    return AvroCodec(default_catalog(), "transaction")


@pytest.fixture(scope="module")
def decoder(codec: AvroCodec) -> TransactionDecoder:
    decoder = TransactionDecoder(codec)
    assert decoder.fast
    return decoder


def _outcome(read: Any, data: bytes) -> tuple[str, Any]:
    try:
        return "ok", read(data)
    except SchemaError as exc:  # DecodeError and the schema errors all derive from it
        return type(exc).__name__, getattr(exc, "reason", None)


def _records(n: int) -> list[dict[str, Any]]:
    world = SyntheticWorld(WorldConfig(seed=3, cards=50))
    rng = random.Random(3)
    out = []
    for event, _ in world.events(n):
        event["event_id"] = "".join(rng.choice("ab-é€😀9") for _ in range(rng.randrange(1, 90)))
        event["event_time"] = rng.choice([event["event_time"], 946_684_800_000])
        event["home_country"] = rng.choice([None, "", "FR"])
        event["device_id"] = rng.choice([None, "d" * rng.randrange(0, 200)])
        event["channel"] = rng.choice(["POS", "ECOM", "ATM", "MOTO"])
        out.append(event)
    return out


def test_reads_what_the_codec_reads(codec: AvroCodec, decoder: TransactionDecoder) -> None:
    for record in _records(1500):
        data = codec.encode(record)
        assert decoder.decode(data) == codec.decode(data) == record


def test_corrupt_bytes_get_the_codecs_error(codec: AvroCodec, decoder: TransactionDecoder) -> None:
    rng = random.Random(5)
    datas = [codec.encode(r) for r in _records(200)]
    cases = []
    for data in datas:
        cut = rng.randrange(0, len(data))
        flipped = bytearray(data)
        flipped[rng.randrange(10, len(data))] ^= 1 << rng.randrange(8)
        cases += [data[:cut], data + b"\x00", bytes(flipped), data[:10] + b"\xff" * 12]
    for data in cases:
        assert _outcome(decoder.decode, data) == _outcome(codec.decode, data), data


def test_other_formats_and_versions_go_to_the_codec(
    codec: AvroCodec, decoder: TransactionDecoder
) -> None:
    record = _records(1)[0]
    v1 = AvroCodec(default_catalog(), "transaction", writer_version=1)
    old = {k: v for k, v in record.items() if k not in ("home_country", "device_id")}
    for data in (v1.encode(old), json.dumps(record).encode(), b"", b"\xc3\x01"):
        assert _outcome(decoder.decode, data) == _outcome(codec.decode, data)


def test_domain_checks_still_apply(codec: AvroCodec, decoder: TransactionDecoder) -> None:
    body = io.BytesIO()
    schemaless_writer(body, codec.writer.parsed, {**_records(1)[0], "amount": -1.0})
    data = single_object.frame(codec.writer.fingerprint, body.getvalue())
    with pytest.raises(InvalidValueError):
        codec.decode(data)
    with pytest.raises(InvalidValueError):
        decoder.decode(data)


def test_other_records_use_the_codec() -> None:
    assert not TransactionDecoder(AvroCodec(default_catalog(), "label")).fast
    with pytest.raises(DecodeError):
        TransactionDecoder(AvroCodec(default_catalog(), "label")).decode(b"junk")
