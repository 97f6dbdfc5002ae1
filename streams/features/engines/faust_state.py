"""Live feature state of one view under Faust: one aggregator per consumed partition, backed
by a changelogged table of entity states.

The table holds, per entity, ``{"p": partition, "state": EntityState.to_dict()}`` and, per
partition, the aggregator's watermarks and the offset after the last message applied
(``next``) under :func:`watermark_key`. Keeping ``p`` in the value
lets a worker rebuild a partition's aggregator from the table alone after a rebalance or a
restart (Faust restores the table from its changelog before the agents resume), and lets every
write go to the changelog partition of the partition it came from, which is the partition
Faust restores on the worker that owns it.

Nothing here imports Faust: the table is a plain mapping and the changelog a callback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from typing import Any

from streams.features.aggregator import AggregationResult, FeatureAggregator, SourceEvent
from streams.features.definitions import FeatureView
from streams.features.layout import layout_of

# (changelog partition, key, value): must reach the changelog before the source commit.
SendChangelog = Callable[[int, str, Any], object]
WATERMARK_PREFIX = "\x00watermarks/"


def watermark_key(partition: int) -> str:
    """Table key of a partition's watermarks (no entity id starts with NUL)."""
    return f"{WATERMARK_PREFIX}{partition}"


class PartitionedState:
    """Aggregators of one view, one per partition, loaded lazily from the table.

    Args:
        view: The view.
        lateness_ms: Allowed lateness of the aggregators.
        table: The table's local data (entity id → stored value).
        send_changelog: Publishes one table change to a changelog partition.
    """

    def __init__(
        self,
        view: FeatureView,
        lateness_ms: int,
        table: MutableMapping[str, Any],
        send_changelog: SendChangelog,
    ) -> None:
        self.view = view
        self._lateness = lateness_ms
        self._table = table
        self._send = send_changelog
        self._live: dict[int, FeatureAggregator] = {}
        self._pending: list[tuple[int, str, Any]] = []

    def forget(self) -> None:
        """Drop the live aggregators (on a rebalance: the table is the truth again) and the
        unsent changes: a partition's new owner replays their events (and may now write its
        changelog partition, which stale sends from here would overwrite)."""
        self._live.clear()
        self._pending.clear()

    def apply(self, partition: int, events: Sequence[SourceEvent]) -> AggregationResult:
        """Fold one partition's share of a batch in; write each changed entity once."""
        aggregator = self._live.get(partition)
        if aggregator is None:
            aggregator = self._live[partition] = self._load(partition)
        result = aggregator.apply(events)
        for row in result.rows:
            state = aggregator.state(row.entity_id)
            if state is not None:
                self._put(partition, row.entity_id, {"p": partition, "state": state.to_dict()})
        if result.applied:
            self._mark(partition, watermarks=aggregator.watermarks)
        return result

    def resume_offset(self, partition: int) -> int | None:
        """Offset after the last message of ``partition`` applied (None: nothing yet)."""
        marks = self._table.get(watermark_key(partition))
        return None if marks is None else marks.get("next")

    def advance(self, partition: int, next_offset: int) -> None:
        """Record that every message of ``partition`` before ``next_offset`` is applied (or
        dead-lettered); goes to the changelog with the batch's entity states."""
        current = self.resume_offset(partition)
        if current is None or next_offset > current:
            self._mark(partition, next_offset=next_offset)

    def send_changelog(self) -> list[object]:
        """Publish the table changes made since the last call; returns what the callback
        returned (Faust: the messages' futures, for the agent to await before its batch is
        acknowledged).

        Call it only once the batch's rows are in Redis: a change in the changelog means
        "applied", and a replay skips applied events, so a row not yet written when the
        worker died would stay missing from Redis. Written first, a crash before this call
        only replays the batch, whose rows the store's guard then finds to be no news.
        """
        sent = [self._send(partition, key, value) for partition, key, value in self._pending]
        self._pending = []
        return sent

    def _mark(
        self,
        partition: int,
        watermarks: Mapping[str, int] | None = None,
        next_offset: int | None = None,
    ) -> None:
        marks = dict(self._table.get(watermark_key(partition)) or {"watermarks": {}})
        marks["p"] = partition
        if watermarks is not None:
            marks["watermarks"] = dict(watermarks)
        if next_offset is not None:
            marks["next"] = next_offset
        self._put(partition, watermark_key(partition), marks)

    def _put(self, partition: int, key: str, value: dict[str, Any]) -> None:
        self._table[key] = value
        self._pending.append((partition, key, value))

    def _load(self, partition: int) -> FeatureAggregator:
        marks = self._table.get(watermark_key(partition)) or {"watermarks": {}}
        snapshot = {
            "view_version": layout_of(self.view).version,
            "watermarks": marks["watermarks"],
            "offsets": {},  # per-entity offsets are enough to skip replays
            "entities": dict(self._entities_of(partition)),
        }
        return FeatureAggregator.restore(self.view, snapshot, allowed_lateness_ms=self._lateness)

    def _entities_of(self, partition: int) -> Iterable[tuple[str, Any]]:
        for key, value in list(self._table.items()):
            if (
                isinstance(key, str)
                and not key.startswith(WATERMARK_PREFIX)
                and (isinstance(value, dict) and value.get("p") == partition)
            ):
                yield key, value["state"]


def contiguous_prefix(offsets: Sequence[int], resume: int | None) -> tuple[int, int | None]:
    """How many of a partition's batch offsets (in arrival order) may be applied, and where
    to re-read from when they stop being contiguous.

    Faust skips messages it fetched around a rebalance or its table recovery and still
    acknowledges them (it expects to re-read them after seeking to the committed offsets,
    which does not always happen), so offsets can be committed for messages that never
    reached the agent. A message whose offset is past the next expected one means such a
    gap: it and everything after it in the batch are left out and the partition is re-read
    from the first missing offset. Offsets below the expected one are replays (applied).

    Example:
        >>> contiguous_prefix([5, 6, 7], 5), contiguous_prefix([5, 6, 9, 10], 5)
        ((3, None), (2, 7))
        >>> contiguous_prefix([3, 4, 5], 5), contiguous_prefix([8, 9], None)
        ((3, None), (2, None))
    """
    if not offsets:
        return 0, None
    expected = offsets[0] if resume is None else resume
    for i, offset in enumerate(offsets):
        if offset > expected:
            return i, expected
        expected = max(expected, offset + 1)
    return len(offsets), None
