"""A batch's acknowledgement time comes from librdkafka's per-record delivery latency."""

from __future__ import annotations

from inference.output import PendingBatch
from inference.stages import PreparedBatch


class Delivered:
    """The part of a delivered message the callback reads."""

    def __init__(self, latency_s: float | None) -> None:
        self._latency = latency_s

    def latency(self) -> float | None:
        return self._latency


def test_acked_at_is_the_last_record_queued_plus_the_longest_delivery_latency() -> None:
    pending = PendingBatch(PreparedBatch([], [], None, [], []), sent_at=0.0, remaining=3)
    pending.queued_at = 100.0
    for latency in (0.004, 0.011, None):  # None: librdkafka had no timestamp
        pending.acknowledged(None, Delivered(latency))
    assert pending.remaining == 0 and pending.error is None
    assert pending.acked_at == 100.011


def test_a_failed_delivery_is_kept() -> None:
    pending = PendingBatch(PreparedBatch([], [], None, [], []), sent_at=0.0, remaining=1)
    pending.acknowledged("broker down", Delivered(0.5))
    assert pending.error == "broker down" and pending.remaining == 0
