"""How the poll loop polls next: how many messages, how long it may block, and whether every
partition is held (pure)."""

from __future__ import annotations

from dataclasses import dataclass

BUSY_POLL_S = 0.001  # work downstream, or events held for a commit's answer: come back soon
FULL_POLL_S = 0.005  # the pipeline is full and the partitions are paused
IDLE_POLL_S = 0.1  # nothing in flight: block up to this long
LOOKAHEAD_BATCHES = 2  # polled messages the batcher holds: up to this many batches' worth


@dataclass(frozen=True)
class PollPlan:
    """The next poll.

    Attributes:
        hold: Pause every partition (backpressure: the pipeline is full).
        max_messages: At most this many messages.
        timeout_s: Block at most this long.
    """

    hold: bool
    max_messages: int
    timeout_s: float


def plan_poll(
    *,
    scoring: int,
    scored: int,
    acking: int,
    queue_depth: int,
    max_batch_size: int,
    waiting: int,
    held: bool,
    wait_s: float,
) -> PollPlan:
    """The next poll of the loop.

    Args:
        scoring: Batches submitted whose scores are not ready yet.
        scored: Batches scored and not sent yet: held back until a commit is confirmed
            (the replay window bounds them, so they do not fill the pipeline).
        acking: Batches sent and not all acknowledged yet.
        queue_depth: Batches that may be scoring at once.
        max_batch_size: Events in a full batch.
        waiting: Events in the batcher.
        held: Every waiting event is held back until a commit is confirmed (its partition is
            at its replay limit).
        wait_s: Seconds until the oldest waiting event's batch deadline.

    Example:
        >>> plan_poll(scoring=0, scored=0, acking=0, queue_depth=4, max_batch_size=100, waiting=0,
        ...           held=False, wait_s=0.02)
        PollPlan(hold=False, max_messages=200, timeout_s=0.02)
    """
    full = scoring >= queue_depth or acking >= 2 * queue_depth
    # Room for a batch beyond what waits: partitions at their replay limit keep theirs in
    # the batcher, and the next batch comes from the others.
    room = max(1, LOOKAHEAD_BATCHES * max_batch_size - waiting)
    # Events held back for a confirmed commit are past no deadline that polling at once
    # would meet: the commit's answer lets them go, so come back soon, not at once.
    deadline_s = BUSY_POLL_S if held else wait_s
    if full:
        timeout_s = FULL_POLL_S
    elif scoring or scored or acking:
        # Work downstream: come back soon to hand on scores and serve acknowledgements
        # (a batch's latency ends when its acknowledgement is seen, not when it arrives).
        timeout_s = min(BUSY_POLL_S, deadline_s)
    else:
        timeout_s = min(IDLE_POLL_S, deadline_s)
    return PollPlan(full, room, timeout_s)
