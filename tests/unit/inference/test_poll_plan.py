"""The poll loop's next poll: held partitions under backpressure, short waits while work is
downstream, and a lookahead of batches bounded by what already waits."""

from __future__ import annotations

from inference.poll_plan import BUSY_POLL_S, FULL_POLL_S, IDLE_POLL_S, plan_poll

BASE = {
    "scoring": 0,
    "scored": 0,
    "acking": 0,
    "queue_depth": 4,
    "max_batch_size": 100,
    "waiting": 0,
    "held": False,
    "wait_s": 0.02,
}


def test_an_idle_loop_blocks_until_the_oldest_events_deadline_at_most_idle_poll() -> None:
    assert plan_poll(**BASE).timeout_s == 0.02
    assert plan_poll(**{**BASE, "wait_s": 5.0}).timeout_s == IDLE_POLL_S
    assert not plan_poll(**BASE).hold


def test_work_downstream_brings_the_loop_back_soon() -> None:
    for busy in ({"scoring": 1}, {"acking": 3}):
        plan = plan_poll(**{**BASE, **busy})
        assert plan.timeout_s == BUSY_POLL_S and not plan.hold


def test_scored_batches_held_for_a_commit_bring_the_loop_back_soon_but_hold_nothing() -> None:
    # They wait for a commit's answer, which a poll serves; the replay window bounds them,
    # and pausing for them would drop what the consumer had fetched ahead.
    plan = plan_poll(**{**BASE, "scored": 6})
    assert plan.timeout_s == BUSY_POLL_S and not plan.hold


def test_a_full_pipeline_holds_every_partition() -> None:
    for full in ({"scoring": 4}, {"acking": 8}):
        plan = plan_poll(**{**BASE, **full})
        assert plan.hold and plan.timeout_s == FULL_POLL_S
    assert not plan_poll(**{**BASE, "scoring": 3, "acking": 7}).hold


def test_events_held_for_a_commit_do_not_make_the_loop_spin_or_wait_long() -> None:
    plan = plan_poll(**{**BASE, "waiting": 50, "held": True, "wait_s": 0.0})
    assert plan.timeout_s == BUSY_POLL_S  # not 0 (spin), not the deadline (already past)


def test_the_lookahead_is_two_batches_less_what_waits_and_never_zero() -> None:
    assert plan_poll(**BASE).max_messages == 200
    assert plan_poll(**{**BASE, "waiting": 150}).max_messages == 50
    assert plan_poll(**{**BASE, "waiting": 900}).max_messages == 1
