"""FeatureBuilder: exact request-time values beside online features; missing flagged."""

from __future__ import annotations

import math

import numpy as np
import pytest

from inference.features import FeatureBuilder, InMemoryFeatureSource
from streams.exceptions import InfrastructureError
from tests.unit.inference.onnx_models import event


def test_exact_values_and_column_order() -> None:
    source = InMemoryFeatureSource(["n_1h", "sum_1h"], [0.0, -1.0])
    source.put("c-known", [3.0, 120.5], updated_at_ms=1_700_000_000_000)
    builder = FeatureBuilder(source)
    events = [
        event(
            0,
            card="c-known",
            amount=100.0,
            channel="ECOM",
            country="FR",
            home_country="DE",
            event_time=1_700_000_000_000 + 5_000,
            merchant_category="7995",
        ),
        event(
            1,
            card="c-new",
            amount=0.0,
            channel="ATM",
            country="DE",
            home_country=None,
            event_time=13 * 3_600_000 + 59_000,
            device_id="d-1",
        ),
    ]
    table = builder.build(events)
    assert table.names == (
        "amount",
        "log_amount",
        "channel_pos",
        "channel_ecom",
        "channel_atm",
        "channel_moto",
        "hour_of_day",
        "mcc_risk_bucket",
        "is_foreign",
        "has_device",
        "n_1h",
        "sum_1h",
    )
    hour0 = (1_700_000_005_000 // 3_600_000) % 24
    expected = np.array(
        [
            [100.0, math.log1p(100.0), 0, 1, 0, 0, hour0, 2, 1, 0, 3.0, 120.5],
            [0.0, 0.0, 0, 0, 1, 0, 13, 0, 0, 1, 0.0, -1.0],
        ]
    )
    # Request features are float32 (the model's input type): compare at that precision.
    np.testing.assert_array_equal(table.values, expected.astype(np.float32).astype(np.float64))
    assert table.missing.tolist() == [False, True]
    assert table.freshness_ms.tolist() == [5_000, 0]


def test_select_follows_the_models_order() -> None:
    builder = FeatureBuilder(InMemoryFeatureSource(["x"], [7.0]))
    table = builder.build([event(3, amount=2.0)])
    picked = table.select(["x", "amount"], np.arange(1))
    assert picked.dtype == np.float32
    assert picked.tolist() == [[7.0, 2.0]]


def test_infrastructure_error_propagates_instead_of_defaults() -> None:
    source = InMemoryFeatureSource(["x"], [0.0])
    source.available = False
    with pytest.raises(InfrastructureError):
        FeatureBuilder(source).build([event(1)])
