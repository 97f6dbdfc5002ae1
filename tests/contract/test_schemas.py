"""Every contract parses, round-trips, and evolves backward compatibly."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from schemas import (
    AvroCodec,
    IncompatibleSchemaError,
    SchemaCatalog,
    check_backward_compatible,
    check_catalog,
    default_catalog,
)
from schemas.catalog import SCHEMA_DIR
from schemas.exceptions import DecodeError
from tests.contract.samples import SAMPLES

EMPTY = 0xC15D213AA4D7A795  # CRC-64-AVRO's initial value, from the Avro specification


def rabin_fingerprint(data: bytes) -> bytes:
    """CRC-64-AVRO exactly as the Avro specification writes it, little-endian on the wire."""
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (EMPTY & -(fp & 1))
        table.append(fp)
    fp = EMPTY
    for byte in data:
        fp = (fp >> 8) ^ table[(fp ^ byte) & 0xFF]
    return fp.to_bytes(8, "little")


def test_every_record_has_a_sample_and_parses() -> None:
    catalog = default_catalog()
    assert sorted(SAMPLES) == catalog.records


@pytest.mark.parametrize("record", sorted(SAMPLES))
def test_round_trip(record: str) -> None:
    codec = AvroCodec(default_catalog(), record)
    data = codec.encode(SAMPLES[record])
    assert data[:2] == b"\xc3\x01"
    assert codec.decode(data) == SAMPLES[record]


@pytest.mark.parametrize("cut", range(11))
def test_every_truncation_of_a_record_is_a_decode_error(cut: int) -> None:
    # The marker alone, or the marker with part of the fingerprint, once escaped as a bare
    # ValueError, which no consumer's dead-letter path catches.
    codec = AvroCodec(default_catalog(), "transaction")
    data = codec.encode(SAMPLES["transaction"])
    with pytest.raises(DecodeError):
        codec.decode(data[:cut])


@pytest.mark.parametrize("record", sorted(SAMPLES))
def test_json_is_read_like_avro(record: str) -> None:
    codec = AvroCodec(default_catalog(), record)
    assert codec.decode(json.dumps(SAMPLES[record]).encode()) == SAMPLES[record]


def test_fingerprint_matches_the_avro_specification() -> None:
    from fastavro.schema import to_parsing_canonical_form

    for record in default_catalog().records:
        for version in default_catalog().versions(record):
            canonical = to_parsing_canonical_form(version.parsed).encode()
            assert version.fingerprint == rabin_fingerprint(canonical)


def test_old_writer_is_read_by_new_reader() -> None:
    catalog = default_catalog()
    v1 = AvroCodec(catalog, "transaction", writer_version=1)
    latest = AvroCodec(catalog, "transaction")
    sample = {
        k: v for k, v in SAMPLES["transaction"].items() if k not in {"home_country", "device_id"}
    }
    decoded = latest.decode(v1.encode(sample))
    assert decoded == {**sample, "home_country": None, "device_id": None}
    assert v1.encode(sample)[2:10] == catalog.get("transaction", 1).fingerprint


def test_shipped_catalog_is_backward_compatible() -> None:
    report = check_catalog(default_catalog())
    assert report == {"transaction v1 -> v2": []}


BASE = {
    "type": "record",
    "name": "R",
    "fields": [
        {"name": "a", "type": "string"},
        {"name": "k", "type": {"type": "enum", "name": "K", "symbols": ["X", "Y"]}},
    ],
}


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"name": "b", "type": "long"}, "new field without a default"),
        ({"name": "a", "type": "long"}, "string cannot be read as long"),
    ],
)
def test_incompatible_changes_are_named(change: dict[str, str], problem: str) -> None:
    fields = [f for f in BASE["fields"] if f["name"] != change["name"]] + [change]  # type: ignore[union-attr, index]
    problems = check_backward_compatible(BASE, {**BASE, "fields": fields})
    assert len(problems) == 1
    assert problem in problems[0]


def test_enum_symbol_removed_needs_a_default() -> None:
    k_new = {"name": "k", "type": {"type": "enum", "name": "K", "symbols": ["X"]}}
    new = {**BASE, "fields": [BASE["fields"][0], k_new]}  # type: ignore[index]
    assert check_backward_compatible(BASE, new) == [
        "R.k: enum symbols ['Y'] removed without a default"
    ]
    k_new["type"]["default"] = "X"  # type: ignore[index]
    assert check_backward_compatible(BASE, new) == []


def test_optional_field_and_promotion_are_compatible() -> None:
    new = {
        **BASE,
        "fields": [*BASE["fields"], {"name": "n", "type": ["null", "int"], "default": None}],
    }  # type: ignore[misc]
    assert check_backward_compatible(BASE, new) == []
    assert check_backward_compatible({"type": "int"}, {"type": "double"}) == []
    assert check_backward_compatible({"type": "double"}, {"type": "int"}) != []


def test_catalog_check_fails_on_a_breaking_version(tmp_path: Path) -> None:
    shutil.copy(SCHEMA_DIR / "label.v1.avsc", tmp_path / "label.v1.avsc")
    v2 = json.loads((SCHEMA_DIR / "label.v1.avsc").read_text())
    v2["fields"].append({"name": "source", "type": "string"})
    (tmp_path / "label.v2.avsc").write_text(json.dumps(v2))
    with pytest.raises(IncompatibleSchemaError, match=r"label v1 -> v2.*source: new field"):
        check_catalog(SchemaCatalog(tmp_path))


def test_confluent_framing_round_trip() -> None:
    from schemas.confluent import ConfluentFraming

    catalog = default_catalog()
    framing = ConfluentFraming({"url": "mock://contract"}, catalog.latest("label"), "labels")
    codec = AvroCodec(catalog, "label", confluent=framing)
    data = codec.encode(SAMPLES["label"])
    assert data[0] == 0  # Confluent magic byte, then a 4-byte schema id
    assert codec.decode(data) == SAMPLES["label"]
