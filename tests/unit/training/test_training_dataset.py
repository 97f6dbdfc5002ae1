from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tests.unit.training.training_testkit import PriorCount
from training.dataset import DatasetSpec, build_dataset
from training.exceptions import EmptyWindowError, SchemaMismatchError, SingleClassError
from training.request_features import RequestFeatures


def _event(i: int, card: str, t: int) -> dict[str, Any]:
    return {
        "event_id": f"e{i}",
        "card_id": card,
        "merchant_id": "m",
        "amount": 10.0 + i,
        "currency": "EUR",
        "merchant_category": "5411",
        "country": "DE",
        "channel": "POS",
        "event_time": t,
    }


def _log() -> list[dict[str, Any]]:
    return [_event(i, "c1" if i % 2 else "c2", 1000 * (i // 2)) for i in range(12)]


def _label(i: int, fraud: bool, at: int) -> dict[str, Any]:
    return {"event_id": f"e{i}", "is_fraud": fraud, "label_time": at}


def test_late_labels_are_excluded_and_counted() -> None:
    events = _log()
    labels = [_label(i, i % 3 == 0, 50_000) for i in range(12)]
    labels[5] = _label(5, True, 90_000)  # arrives after the cut-off
    labels.append(_label(4, True, 95_000))  # a late correction of e4 must not apply
    ds = build_dataset(events, labels, PriorCount(events), DatasetSpec(60_000, None, None, 0.5))
    assert ds.stats.labelled == 11
    assert ds.stats.unlabelled == 1
    assert ds.stats.labels_after_cutoff == 1
    y = np.concatenate([ds.y_train, ds.y_valid]).tolist()
    ids = [
        e["event_id"]
        for e in sorted(events, key=lambda e: e["event_time"])
        if e["event_id"] != "e5"
    ]
    assert y[ids.index("e4")] == 0


def test_a_late_label_never_changes_the_dataset() -> None:
    events = _log()
    labels = [_label(i, i % 3 == 0, 50_000) for i in range(12)]
    spec = DatasetSpec(60_000, None, None, 0.5)
    before = build_dataset(events, labels, PriorCount(events), spec)
    after = build_dataset(
        events,
        [*labels, _label(0, False, 70_000), _label(3, False, 60_001)],
        PriorCount(events),
        spec,
    )
    assert np.array_equal(before.x_train, after.x_train)
    assert np.array_equal(before.y_train, after.y_train)
    assert np.array_equal(before.y_valid, after.y_valid)


def test_features_come_strictly_before_the_event() -> None:
    events = [
        _event(0, "c1", 0),
        _event(1, "c1", 1000),
        _event(2, "c1", 1000),
        _event(3, "c1", 2000),
    ]
    labels = [_label(i, i in (1, 3), 10_000) for i in range(4)]
    ds = build_dataset(events, labels, PriorCount(events), DatasetSpec(10_000, None, None, 0.5))
    prior = np.concatenate([ds.x_train[:, 0], ds.x_valid[:, 0]]).tolist()
    assert prior == [0.0, 1.0, 1.0, 3.0]  # the two events at t=1000 do not see each other


def test_feature_order_is_source_then_request_time() -> None:
    events = _log()
    labels = [_label(i, i % 3 == 0, 0) for i in range(12)]
    ds = build_dataset(events, labels, PriorCount(events), DatasetSpec(0, None, None, 0.5))
    assert ds.feature_names == ("card_prior_count", *RequestFeatures().names)


def test_empty_window_is_a_clear_error() -> None:
    events = _log()
    labels = [_label(i, i % 3 == 0, 0) for i in range(12)]
    with pytest.raises(EmptyWindowError, match="no labelled events"):
        build_dataset(events, labels, PriorCount(events), DatasetSpec(0, 10**9, None))
    with pytest.raises(EmptyWindowError, match="no labelled events"):
        build_dataset(events, labels, PriorCount(events), DatasetSpec(-1))


def test_single_class_is_a_clear_error() -> None:
    events = _log()
    labels = [_label(i, False, 0) for i in range(12)]
    with pytest.raises(SingleClassError, match="train split has only class 0"):
        build_dataset(events, labels, PriorCount(events), DatasetSpec(0))


def test_schema_mismatch_names_the_difference() -> None:
    events = _log()
    labels = [_label(i, i % 3 == 0, 0) for i in range(12)]
    expected = ("card_count_1h", *RequestFeatures().names)
    spec = DatasetSpec(0, expected_feature_names=expected)
    with pytest.raises(SchemaMismatchError, match=r"missing \['card_count_1h'\]"):
        build_dataset(events, labels, PriorCount(events), spec)


def test_a_source_returning_the_wrong_shape_is_refused() -> None:
    class Broken(PriorCount):
        feature_names = ("a", "b")

    events = _log()
    labels = [_label(i, i % 3 == 0, 0) for i in range(12)]
    with pytest.raises(SchemaMismatchError, match="shape"):
        build_dataset(events, labels, Broken(events), DatasetSpec(0))
