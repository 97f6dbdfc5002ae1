from __future__ import annotations

from typing import Any

import pytest

from monitors import InvalidRecordError, JoinCounts, LabelJoiner, ModelKey


def prediction(event_id: str, t: int, variant: str = "CHAMPION", score: float = 0.9) -> Any:
    version = "2" if variant == "SHADOW" else "1"
    return {
        "event_id": event_id,
        "score": score,
        "threshold": 0.5,
        "model_name": "fraud",
        "model_version": version,
        "variant": variant,
        "event_time": t,
    }


def label(event_id: str, t: int, is_fraud: bool = True) -> Any:
    return {"event_id": event_id, "card_id": None, "is_fraud": is_fraud, "label_time": t}


def test_join_counts_out_of_order_duplicate_and_missing_labels() -> None:
    joiner = LabelJoiner(ttl_ms=1_000, max_entries=100)
    joined = []
    joined += joiner.add_prediction(prediction("a", 0))
    joined += joiner.add_prediction(prediction("a", 1, "SHADOW", score=0.2))
    joined += joiner.add_label(label("a", 100))  # joins champion and shadow
    joined += joiner.add_label(label("a", 101, is_fraud=False))  # duplicate: first wins
    joined += joiner.add_label(label("b", 150, is_fraud=False))  # before its prediction
    joined += joiner.add_prediction(prediction("b", 160))
    joined += joiner.add_prediction(prediction("c", 200))  # never labelled
    joined += joiner.add_label(label("z", 210))  # never predicted
    joiner.expire(5_000)
    joined += joiner.add_label(label("c", 5_001))  # too late: prediction expired

    assert [(j.event_id, j.key.variant, j.is_fraud) for j in joined] == [
        ("a", "CHAMPION", True),
        ("a", "SHADOW", True),
        ("b", "CHAMPION", False),
    ]
    assert joined[1].key == ModelKey("fraud", "2", "SHADOW")
    assert joiner.counts == JoinCounts(
        joined=3,
        labels_before_prediction=3,  # b, z and the late c
        duplicate_labels=1,
        labels_without_prediction=1,  # z expired; c is still waiting
        predictions_expired=1,
        evicted_for_capacity=0,
    )


def test_capacity_bound_evicts_the_oldest_first() -> None:
    joiner = LabelJoiner(ttl_ms=10**9, max_entries=2)
    for i in range(5):
        joiner.add_prediction(prediction(f"e{i}", i))

    assert joiner.add_label(label("e0", 10)) == []
    assert len(joiner.add_label(label("e4", 11))) == 1
    assert joiner.counts.predictions_expired == 3
    assert joiner.counts.evicted_for_capacity == 3


def test_a_label_without_id_is_an_invalid_record() -> None:
    joiner = LabelJoiner(ttl_ms=10, max_entries=10)
    with pytest.raises(InvalidRecordError):
        joiner.add_label({"is_fraud": True, "label_time": 1})


def test_a_prediction_delivered_twice_joins_once_whichever_comes_first() -> None:
    joiner = LabelJoiner(ttl_ms=1_000, max_entries=100)
    joined = joiner.add_prediction(prediction("a", 0))
    joined += joiner.add_prediction(prediction("a", 0))  # before the label
    joined += joiner.add_prediction(prediction("a", 0, "SHADOW"))  # another model: not a repeat
    joined += joiner.add_label(label("a", 10))
    joined += joiner.add_prediction(prediction("a", 0))  # after the label
    joined += joiner.add_label(label("b", 20))
    joined += joiner.add_prediction(prediction("b", 5))
    joined += joiner.add_prediction(prediction("b", 5))
    assert [(j.event_id, j.key.variant) for j in joined] == [
        ("a", "CHAMPION"),
        ("a", "SHADOW"),
        ("b", "CHAMPION"),
    ]
    assert joiner.counts.duplicate_predictions == 3
    assert joiner.counts.joined == 3
