"""The synthetic world and its timeline: seeded, labels never before their time."""

from __future__ import annotations

from streams.demo.generator import SyntheticWorld, WorldConfig
from streams.demo.timeline import timeline


def test_same_seed_same_world_and_unique_ids() -> None:
    first = list(SyntheticWorld(WorldConfig(seed=3)).events(3000))
    again = list(SyntheticWorld(WorldConfig(seed=3)).events(3000))
    assert first == again
    assert len({e["event_id"] for e, _ in first}) == 3000
    assert all(label["label_time"] > event["event_time"] for event, label in first)
    times = [e["event_time"] for e, _ in first]
    assert times == sorted(times)


def test_drift_changes_the_population_after_its_onset() -> None:
    pairs = list(SyntheticWorld(WorldConfig(seed=4, drift_at=5000)).events(10_000))
    before = [e for e, _ in pairs[:5000]]
    after = [e for e, _ in pairs[5000:]]
    mean = lambda xs: sum(e["amount"] for e in xs) / len(xs)  # noqa: E731
    assert mean(after) > 1.3 * mean(before)
    assert not any(e["channel"] == "MOTO" for e in before)
    assert sum(e["channel"] == "MOTO" for e, label in pairs[5000:] if label["is_fraud"]) > 10


def test_labels_arrive_after_their_time_and_none_is_lost() -> None:
    pairs = list(SyntheticWorld(WorldConfig(seed=5)).events(2000))
    items = list(timeline(pairs))
    assert sum(kind == "event" for kind, _ in items) == 2000
    assert sum(kind == "label" for kind, _ in items) == 2000
    clock = 0
    for kind, record in items:
        if kind == "event":
            clock = record["event_time"]
        elif record["label_time"] <= clock:
            continue
        else:  # only the final flush may release labels ahead of the clock
            assert all(k == "label" for k, _ in items[items.index((kind, record)) :])
            break
