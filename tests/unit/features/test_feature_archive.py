"""Parquet event archive and the training-facing backfill source."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from streams.features import (
    CARD,
    MERCHANT,
    FeatureError,
    HistoricalFeatures,
    QueryPoint,
    features_at,
    read_events,
    write_events,
)
from tests.unit.features.conftest import seeded_stream


def test_archive_round_trip_in_time_order(tmp_path: Path) -> None:
    stream = seeded_stream(1_000, seed=2)
    path = tmp_path / "events.parquet"
    assert write_events(path, reversed(stream), batch_size=300) == 1_000
    assert list(read_events(path)) == stream


def test_empty_archive_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FeatureError):
        write_events(tmp_path / "empty.parquet", [])


def test_backfill_refuses_unordered_events() -> None:
    stream = seeded_stream(10, seed=2)
    with pytest.raises(FeatureError, match="time-ordered"):
        features_at(CARD, list(reversed(stream)), [QueryPoint("c1", stream[-1]["event_time"])])


def test_historical_features_concatenate_views(tmp_path: Path) -> None:
    stream = seeded_stream(2_000, seed=4)
    path = tmp_path / "events.parquet"
    write_events(path, stream)
    source = HistoricalFeatures([CARD, MERCHANT], list(read_events(path)))
    assert source.feature_names == CARD.feature_names + MERCHANT.feature_names
    queries = stream[-50:]
    values = source.features_for(queries)
    assert values.shape == (50, len(source.feature_names))
    card = features_at(CARD, stream, [QueryPoint(e["card_id"], e["event_time"]) for e in queries])
    assert np.array_equal(values[:, : len(CARD.feature_names)], card.values)
