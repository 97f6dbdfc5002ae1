"""FeatureBuilder: exact request-time values beside online features; missing flagged."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pytest

from inference.features import FeatureBuilder, InMemoryFeatureSource, OnlineFeatures
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


class SplitSource(InMemoryFeatureSource):
    """Records when a read is sent and when it is finished."""

    def __init__(self) -> None:
        super().__init__(["x"], [0.0])
        self.steps: list[str] = []

    def request(self, events: Sequence[Mapping[str, Any]]) -> Callable[[], OnlineFeatures]:
        self.steps.append("sent")

        def finish() -> OnlineFeatures:
            self.steps.append("read")
            return self.get(events)

        return finish


def test_the_online_read_is_sent_first_and_read_only_when_the_table_is_asked_for() -> None:
    source = SplitSource()
    source.put("c-1", [5.0], updated_at_ms=0)
    finish = FeatureBuilder(source).start([event(1, card="c-1", amount=3.0)])
    assert source.steps == ["sent"]  # request-time columns are computed meanwhile
    table = finish()
    assert source.steps == ["sent", "read"]
    assert table.select(["amount", "x"], np.arange(1)).tolist() == [[3.0, 5.0]]


def test_a_failing_request_time_column_still_reads_the_reply_it_sent_for() -> None:
    # Else the connection that carries the reply could not serve another read.
    source = SplitSource()
    broken = event(1)
    del broken["amount"]
    with pytest.raises(KeyError):
        FeatureBuilder(source).start([broken])
    assert source.steps == ["sent", "read"]
