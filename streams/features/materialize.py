"""Rebuild the online store from the event log (after Redis lost its data, or for a new view).

The same aggregation core replays the events topic partition by partition with the live
aggregator's lateness rule, then writes every entity's row through the guarded write: a row
never replaces a newer one the live aggregator wrote meanwhile, so running this beside a live
aggregator is safe and the live rows win once they are ahead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from streams.features.aggregator import FeatureAggregator, SourceEvent
from streams.features.definitions import FeatureView
from streams.features.online_store import RedisOnlineStore
from streams.reader import ReadRecord

WRITE_CHUNK = 1000


@dataclass(frozen=True)
class MaterializeResult:
    """What a run read and wrote."""

    events: int
    undecodable: int
    rows_written: int
    rows_stale: int


def materialize(
    records: Iterable[ReadRecord],
    views: Sequence[FeatureView],
    store: RedisOnlineStore,
    allowed_lateness_ms: int,
    on_progress: Callable[[int], None] = lambda n: None,
) -> MaterializeResult:
    """Fold ``records`` (an events topic read from the beginning) into each view, then write
    every entity's row. Undecodable records are skipped: the live path dead-letters them."""
    aggregators = [FeatureAggregator(v, allowed_lateness_ms=allowed_lateness_ms) for v in views]
    keys: list[dict[str, None]] = [{} for _ in views]
    events = undecodable = 0
    batch: list[ReadRecord] = []
    for record in records:
        if record.value is None:
            undecodable += 1
            continue
        batch.append(record)
        for seen, view in zip(keys, views, strict=True):
            seen[str(record.value.get(view.key_field))] = None
        events += 1
        if len(batch) >= WRITE_CHUNK:
            _apply(aggregators, batch)
            on_progress(events)
    _apply(aggregators, batch)
    written = stale = 0
    for aggregator, seen in zip(aggregators, keys, strict=True):
        known = [key for key in seen if aggregator.state(key) is not None]
        for start in range(0, len(known), WRITE_CHUNK):
            rows = aggregator.rows(known[start : start + WRITE_CHUNK])
            result = store.write(aggregator.view, rows)
            written, stale = written + result.written, stale + result.stale
    return MaterializeResult(events, undecodable, written, stale)


def _apply(aggregators: list[FeatureAggregator], batch: list[ReadRecord]) -> None:
    for aggregator in aggregators:
        view = aggregator.view
        aggregator.apply(
            SourceEvent.of(
                view, r.value or {}, topic=r.topic, partition=r.partition, offset=r.offset
            )
            for r in batch
        )
    batch.clear()
