"""Observing a batch into a histogram counts exactly what one observe per value counts."""

from __future__ import annotations

import math
import random

import pytest
from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.exposition import generate_latest

from streams.histograms import observe_all

BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0)


def exposition(values: list[float], batched: bool, labelled: bool) -> list[str]:
    """The histogram's exposition lines, but its creation time."""
    registry = CollectorRegistry()
    histogram = Histogram(
        "h", "test", ["view"] if labelled else [], buckets=BUCKETS, registry=registry
    )
    child = histogram.labels("card") if labelled else histogram
    if batched:
        observe_all(child, values)
    else:
        for value in values:
            child.observe(value)
    lines = generate_latest(registry).decode().splitlines()
    return [line for line in lines if "_created" not in line]


@pytest.mark.parametrize("labelled", [False, True])
def test_batch_equals_one_by_one_on_and_between_bounds(labelled: bool) -> None:
    rng = random.Random(3)
    values = [rng.choice((0.0, *BUCKETS, 7.5)) for _ in range(200)]  # exactly on bounds
    values += [rng.uniform(0.0, 8.0) for _ in range(500)] + [math.nan]
    batched = exposition(values, True, labelled)
    assert batched == exposition(values, False, labelled)
    assert any("_bucket" in line and not line.endswith(" 0.0") for line in batched)
    assert exposition([], True, labelled) == exposition([], False, labelled)


def test_a_child_without_bucket_counters_gets_one_observe_per_value() -> None:
    class Plain:
        def __init__(self) -> None:
            self.seen: list[float] = []

        def observe(self, value: float) -> None:
            self.seen.append(value)

    plain = Plain()
    observe_all(plain, [0.2, 3.0])
    assert plain.seen == [0.2, 3.0]
