"""Faust's view state: table changes reach the changelog only when the agent says its rows are
in Redis, so a changelog entry never claims an event whose row could still be missing."""

from __future__ import annotations

from typing import Any

from streams.features import CARD, SourceEvent
from streams.features.engines.faust_state import PartitionedState, contiguous_prefix, watermark_key
from tests.unit.features.conftest import T0, transaction


def _events(first: int, n: int, partition: int = 0) -> list[SourceEvent]:
    return [
        SourceEvent.of(CARD, transaction(i, T0 + i), topic="tx", partition=partition, offset=i)
        for i in range(first, first + n)
    ]


def _state() -> tuple[PartitionedState, dict[str, Any], list[tuple[int, str, Any]]]:
    table: dict[str, Any] = {}
    sent: list[tuple[int, str, Any]] = []

    def send(partition: int, key: str, value: Any) -> tuple[int, str, Any]:
        sent.append((partition, key, value))
        return sent[-1]

    return PartitionedState(CARD, 60_000, table, send), table, sent


def test_changes_wait_for_send_changelog() -> None:
    state, table, sent = _state()
    result = state.apply(2, _events(0, 20, partition=2))
    assert result.rows and not sent  # applied locally, nothing claimed yet
    assert watermark_key(2) in table
    futures = state.send_changelog()
    assert futures == sent
    assert {key for _, key, _ in sent} == {r.entity_id for r in result.rows} | {watermark_key(2)}
    assert all(partition == 2 for partition, _, _ in sent)
    assert state.send_changelog() == []  # each change is sent once


def test_a_restart_reapplies_exactly_the_changes_never_sent() -> None:
    state, _, sent = _state()
    state.apply(0, _events(0, 30))
    state.send_changelog()  # rows of events 0..29 in Redis, then claimed
    state.apply(0, _events(30, 10))  # the worker dies before these are claimed
    changelog = {key: value for _, key, value in sent}  # what Faust restores from
    restored, table, _ = _state()
    table.update(changelog)
    assert restored.apply(0, _events(0, 40)).applied == 10  # the replay redoes only those


def test_forget_drops_unsent_changes() -> None:
    state, _, sent = _state()
    state.apply(1, _events(0, 5, partition=1))
    state.forget()  # partitions revoked before the rows were confirmed
    assert state.send_changelog() == [] and not sent


def test_resume_offset_survives_the_changelog_and_never_goes_back() -> None:
    state, _, sent = _state()
    assert state.resume_offset(0) is None
    state.apply(0, _events(0, 10))
    state.advance(0, 10)
    state.advance(0, 7)  # a replayed batch does not move it back
    state.send_changelog()
    restored, table, _ = _state()
    table.update({key: value for _, key, value in sent})
    assert restored.resume_offset(0) == 10
    assert restored.resume_offset(1) is None
    # the watermarks written by apply are kept beside it
    assert table[watermark_key(0)]["watermarks"] == state._live[0].watermarks


def test_contiguous_prefix_cuts_at_the_first_gap() -> None:
    assert contiguous_prefix([], 4) == (0, None)
    assert contiguous_prefix([4, 5, 6], 4) == (3, None)
    assert contiguous_prefix([2, 3, 4, 5], 4) == (4, None)  # replays, then new ones
    assert contiguous_prefix([4, 5, 9, 10], 4) == (2, 6)  # 6..8 never arrived
    assert contiguous_prefix([9, 10], 4) == (0, 4)  # restarted past the applied offset
    assert contiguous_prefix([9, 10], None) == (2, None)  # nothing applied yet
    assert contiguous_prefix([5, 5, 6], 5) == (3, None)  # a duplicate delivery
