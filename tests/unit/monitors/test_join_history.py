"""Replaying what was committed rebuilds the join exactly as the crashed monitor held it."""

from __future__ import annotations

import random
from typing import Any

from monitors.join_history import LABEL, PREDICTION, Replayed, replay
from monitors.label_joiner import JoinCounts, LabelJoiner
from tests.contract.samples import SAMPLES


def _prediction(i: int, variant: str = "CHAMPION") -> dict[str, Any]:
    return {
        **SAMPLES["prediction"],
        "event_id": f"e{i}",
        "event_time": 1_000 + i,
        "variant": variant,
    }


def _label(i: int) -> dict[str, Any]:
    return {
        **SAMPLES["label"],
        "event_id": f"e{i}",
        "label_time": 1_050 + i,
        "is_fraud": i % 3 == 0,
    }


def _stream(n: int, seed: int) -> list[Replayed]:
    """Predictions of e0..e(n-1); labels of a random ~60 %, some before their prediction."""
    rng = random.Random(seed)
    out = [Replayed(PREDICTION, 10 * i, _prediction(i)) for i in range(n)]
    out += [
        Replayed(LABEL, 10 * i + rng.choice((-15, 5, 300)), _label(i))
        for i in range(n)
        if rng.random() < 0.6
    ]
    return sorted(out, key=lambda r: r.timestamp_ms)


def _feed(joiner: LabelJoiner, items: list[Replayed]) -> int:
    joined = 0
    for item in items:
        add = joiner.add_prediction if item.kind == PREDICTION else joiner.add_label
        joined += len(add(item.record))
    return joined


def test_rebuilt_joiner_completes_exactly_the_pairs_the_original_would() -> None:
    items = _stream(400, seed=3)
    cut = len(items) * 2 // 3  # the monitor committed this much, then was killed
    before, after = items[:cut], items[cut:]

    original = LabelJoiner(ttl_ms=10**9, max_entries=10**6)
    _feed(original, before)
    rebuilt = LabelJoiner(ttl_ms=10**9, max_entries=10**6)
    replay(rebuilt, list(reversed(before)))  # replay sorts by arrival itself

    assert rebuilt.counts == JoinCounts()  # pairs completed by replay were emitted before
    assert rebuilt.waiting() == original.waiting() != (0, 0)
    assert _feed(rebuilt, after) == _feed(original, after) > 0
    assert rebuilt.waiting() == original.waiting()


def test_without_the_rebuild_pairs_spanning_the_restart_are_lost() -> None:
    items = _stream(400, seed=4)
    cut = len(items) // 2
    original = LabelJoiner(ttl_ms=10**9, max_entries=10**6)
    _feed(original, items[:cut])
    empty = LabelJoiner(ttl_ms=10**9, max_entries=10**6)
    assert _feed(empty, items[cut:]) < _feed(original, items[cut:])


def test_invalid_records_are_skipped_during_replay() -> None:
    joiner = LabelJoiner(ttl_ms=10**9, max_entries=100)
    bad = {"event_id": "x"}  # no event time: dead-lettered the first time round
    replay(joiner, [Replayed(PREDICTION, 1, bad), Replayed(PREDICTION, 2, _prediction(1))])
    assert joiner.waiting() == (1, 0)
