"""Feature definitions: validation, versions and the shipped catalogue."""

from __future__ import annotations

import dataclasses
import pickle
from datetime import timedelta

import pytest

from streams.features import (
    CARD,
    MERCHANT,
    Aggregation,
    DefinitionError,
    UnknownViewError,
    Window,
    get_view,
    list_views,
)


def test_version_is_stable_short_hex() -> None:
    assert CARD.version == dataclasses.replace(CARD).version
    assert len(CARD.version) == 12
    int(CARD.version, 16)
    assert CARD.version != MERCHANT.version


def test_version_changes_with_what_is_computed() -> None:
    changed_window = dataclasses.replace(
        CARD.aggregations[0], window=Window.sliding(timedelta(minutes=2), timedelta(seconds=5))
    )
    assert (
        dataclasses.replace(CARD, aggregations=(changed_window, *CARD.aggregations[1:])).version
        != CARD.version
    )
    assert dataclasses.replace(CARD, aggregations=CARD.aggregations[:-1]).version != CARD.version
    assert dataclasses.replace(CARD, key_field="merchant_id").version != CARD.version
    new_default = dataclasses.replace(CARD.aggregations[5], default=-1.0)
    replaced = (*CARD.aggregations[:5], new_default, *CARD.aggregations[6:])
    assert dataclasses.replace(CARD, aggregations=replaced).version != CARD.version


def test_version_ignores_documentation() -> None:
    documented = dataclasses.replace(CARD, description="other", owner="someone", tags=("x",))
    assert documented.version == CARD.version


@pytest.mark.parametrize(
    "build",
    [
        lambda: Window.sliding(timedelta(minutes=1), timedelta(seconds=7)),
        lambda: Window("tumbling", 60_000, 5_000),
        lambda: Window("sliding", 0, 0),
        lambda: Aggregation("x", "mean", "amount"),
        lambda: Aggregation("x", "last", "amount", Window.tumbling(timedelta(days=1))),
        lambda: Aggregation("x", "sum", None, Window.tumbling(timedelta(days=1))),
        lambda: Aggregation(
            "x", "distinct_count", "a", Window.tumbling(timedelta(days=1)), capacity=0
        ),
    ],
)
def test_invalid_definitions_are_refused(build: object) -> None:
    with pytest.raises(DefinitionError):
        build()  # type: ignore[operator]


def test_view_refuses_repeated_names() -> None:
    with pytest.raises(DefinitionError):
        dataclasses.replace(CARD, aggregations=(CARD.aggregations[0], CARD.aggregations[0]))


def test_catalogue_lookup() -> None:
    assert get_view("card") is CARD
    assert [view.name for view in list_views()] == ["card", "merchant"]
    assert CARD.feature_names[0] == "txn_count_1m"
    assert len(CARD.defaults) == len(CARD.aggregations)
    with pytest.raises(UnknownViewError, match="card, merchant"):
        get_view("device")


def test_a_view_hashes_like_its_fields_and_a_pickled_copy_rehashes() -> None:
    copy = pickle.loads(pickle.dumps(CARD))
    assert copy == CARD and hash(copy) == hash(CARD)
    renamed = dataclasses.replace(CARD, name="card2")
    assert renamed != CARD and hash(renamed) != hash(CARD)
    # The cached hash is never pickled: string hashes differ between processes.
    hash(CARD)
    assert b"_hash" not in pickle.dumps(CARD)
