"""Decoding errors become dead letters carrying the original bytes and the reason."""

from __future__ import annotations

import json

from schemas import AvroCodec, default_catalog
from streams.kafka.dead_letter import DeadLetter
from streams.kafka.decoding import decode_batch
from streams.kafka.message import RawRecord
from streams.kafka.replay import load_fixes, plan_replay
from tests.contract.samples import SAMPLES

CODEC = AvroCodec(default_catalog(), "transaction")


def _msg(offset: int, value: bytes | None) -> RawRecord:
    return RawRecord("events", 2, offset, value, b"card", [("trace", b"t1")])


def test_each_kind_of_bad_record_gets_its_reason() -> None:
    good = CODEC.encode(SAMPLES["transaction"])
    bad_json = json.dumps({**SAMPLES["transaction"], "amount": "lots"}).encode()
    nan = json.dumps({**SAMPLES["transaction"], "amount": float("nan")}).encode()
    messages = [
        _msg(0, good),
        _msg(1, b"\x07garbage"),
        _msg(2, b"\xc3\x01" + bytes(8) + b"\x02"),
        _msg(3, bad_json),
        _msg(4, nan),
        _msg(5, None),
        _msg(6, good[:-3]),
    ]
    batch = decode_batch(messages, CODEC, stage="test")
    assert [m.offset() for m, _ in batch.records] == [0]
    reasons = {d.offset: d.reason for d in batch.dead}
    assert reasons == {
        1: "undecodable",
        2: "unknown_fingerprint",
        3: "schema_violation",
        4: "invalid_value",
        5: "empty_value",
        6: "undecodable",
    }
    assert all(d.value == messages[d.offset].value() for d in batch.dead)


def test_headers_round_trip_through_the_wire() -> None:
    letter = DeadLetter.of(_msg(7, b"xx"), ValueError("boom"), "undecodable", "aggregator")
    headers = dict(letter.wire_headers())
    assert headers["trace"] == b"t1"
    assert headers["eventml.error.reason"] == b"undecodable"
    assert headers["eventml.error.type"] == b"ValueError"
    assert headers["eventml.source.offset"] == b"7"
    back = DeadLetter.from_wire(letter.key, letter.value, letter.wire_headers())
    assert back == letter


def test_replay_plan_uses_fixes_and_filters() -> None:
    a = DeadLetter.of(_msg(1, b"bad"), ValueError("x"), "undecodable", "s")
    b = DeadLetter.of(_msg(2, b"worse"), ValueError("y"), "schema_violation", "s")
    fixes = load_fixes(['{"dlq_offset": 11, "value": {"event_id": "e"}}', ""])
    plan = plan_replay([(10, a), (11, b)], fixes, only_fixed=False)
    assert [(p.dead_letter_offset, p.value) for p in plan] == [
        (10, b"bad"),
        (11, b'{"event_id": "e"}'),
    ]
    assert ("eventml.replayed.from", b"11") in plan[1].headers
    assert [p.dead_letter_offset for p in plan_replay([(10, a), (11, b)], fixes, True)] == [11]
    assert [
        p.dead_letter_offset
        for p in plan_replay([(10, a), (11, b)], {}, False, reason="undecodable")
    ] == [10]
