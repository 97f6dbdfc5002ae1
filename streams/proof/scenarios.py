"""Fault scenarios: each runs the service set, injects one fault mid-stream, and accounts for
every event id. A scenario is a function of a :class:`Pipeline` (and the infrastructure it may
break) returning a :class:`FaultOutcome`."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import redis

from schemas import AvroCodec, default_catalog
from streams.demo.observer import wait_until
from streams.demo.summary import served
from streams.features.catalog import list_views
from streams.features.online_store import RedisOnlineStore
from streams.features.parity import parity_diff
from streams.kafka.dead_letter import DeadLetter
from streams.kafka.topics import TopicCatalogue
from streams.producer import RecordProducer
from streams.proof.fuzz import fuzzed
from streams.proof.pipeline import Pipeline
from streams.proof.restartable import RestartableInfra
from streams.reader import TopicReader

SERVICES = ("aggregator", "inference", "monitor")


@dataclass(frozen=True)
class ScenarioConfig:
    """Size and pace of one scenario's stream (half before the fault, half after)."""

    events: int = 4000
    rate: float = 400.0
    settle_timeout_s: float = 120.0
    fuzzed: int = 10_000  # per topic (events and labels)
    backlog: int = 20_000  # events waiting when inference is killed mid-drain


@dataclass(frozen=True)
class FaultOutcome:
    """What one scenario counted."""

    scenario: str
    produced: int
    lost_events: int
    duplicate_predictions: int
    dead_lettered: int
    crashes: int
    recovery_seconds: float
    detail: dict[str, Any] = field(default_factory=dict)


def ready(pipeline: Pipeline, timeout_s: float = 90.0) -> None:
    """Wait until every service is ready (``ServiceGroup.wait_ready``) and a warm-up batch
    was served."""
    not_ready = pipeline.services.wait_ready(list(pipeline.services.metrics_ports), timeout_s)
    if not_ready:
        raise TimeoutError(f"{not_ready} did not get ready; crashed: {pipeline.crashed()}")
    pipeline.feed.produce(50)
    if not pipeline.wait_served(timeout_s):
        raise TimeoutError("the warm-up events were not served")


def caught_up_s(pipeline: Pipeline, fault_wall: float, back_wall: float) -> float:
    """Seconds from the fault until every event produced before the service came back had
    its prediction (from the predictions' broker timestamps)."""
    with pipeline.lock:
        first = served(pipeline.observed)
        produced = pipeline.observed.produced
        times = [
            produced[eid][1] + first[eid]["_e2e_ms"] / 1000
            for eid, (_, wall) in produced.items()
            if wall <= back_wall and eid in first and "_e2e_ms" in first[eid]
        ]
    return max(max(times, default=fault_wall) - fault_wall, 0.0)


def _outcome(
    name: str, pipeline: Pipeline, recovery_s: float, dead: int = 0, **detail: Any
) -> FaultOutcome:
    pipeline.wait_served(pipeline_timeout(pipeline))
    counts = pipeline.accounting()
    return FaultOutcome(
        name,
        counts.produced,
        counts.lost,
        counts.duplicate_predictions,
        dead,
        len(pipeline.crashed()),
        round(recovery_s, 2),
        detail,
    )


def pipeline_timeout(pipeline: Pipeline) -> float:
    return float(pipeline.services.env.get("EVENTML_PROOF_SETTLE_S", "120"))


def _kill_restart(service: str) -> Callable[[Pipeline, RestartableInfra, ScenarioConfig], Any]:
    def scenario(pipeline: Pipeline, infra: RestartableInfra, c: ScenarioConfig) -> FaultOutcome:
        pipeline.feed.produce(c.events // 2, c.rate)
        fault = time.time()
        pipeline.kill(service)
        pipeline.restart(service)
        back = time.time()
        detail: dict[str, Any] = {}
        if service == "aggregator":
            # Pause the feed: recovered means the online store equals the backfill again.
            detail["parity_reached"] = _wait_parity(pipeline, c.settle_timeout_s)
            recovery = time.time() - fault
        elif service == "monitor":
            wait_until(lambda: pipeline.monitor_lag() == 0, c.settle_timeout_s, 0.5)
            recovery = time.time() - fault
        pipeline.feed.produce(c.events - c.events // 2, c.rate)
        if service == "inference":
            pipeline.wait_served(c.settle_timeout_s)
            recovery = caught_up_s(pipeline, fault, back)
        outcome = _outcome(f"kill_{service}", pipeline, recovery, **detail)
        return _finish(pipeline, outcome, c)

    return scenario


def kill_inference_in_backlog(
    pipeline: Pipeline, infra: RestartableInfra, c: ScenarioConfig
) -> FaultOutcome:
    """kill -9 inference while it drains a backlog: full batches in flight, the most a crash
    can deliver twice (the bound is one batch per partition)."""
    pipeline.feed.prepare(c.backlog)
    before = pipeline.inference_scored()
    pipeline.freeze("inference")  # the backlog builds up while inference holds its partitions
    try:
        pipeline.feed.produce(c.backlog)
    finally:
        pipeline.thaw("inference")
    # An eighth of the backlog scored, by inference's own count (the predictions topic is
    # read seconds behind on a busy machine): it is draining, full batches in flight.
    draining = before + c.backlog // 8
    wait_until(lambda: pipeline.inference_scored() >= draining, c.settle_timeout_s, 0.02)
    fault = time.time()
    pipeline.kill("inference")
    unread = pipeline.inference_lag()
    pipeline.restart("inference")
    back = time.time()
    pipeline.wait_served(c.settle_timeout_s)
    recovery = caught_up_s(pipeline, fault, back)
    outcome = _outcome("kill_inference_in_backlog", pipeline, recovery, uncommitted_at_kill=unread)
    return _finish(pipeline, outcome, c)


def _wait_parity(pipeline: Pipeline, timeout_s: float) -> bool:
    prefix = pipeline.services.env["EVENTML_AGGREGATOR_REDIS_PREFIX"]
    url = pipeline.services.env["REDIS_URL"]
    events = list(pipeline.feed.records)
    return wait_until(lambda: parity_diff(url, prefix, events) <= 1e-9, timeout_s, 0.5)


def _finish(pipeline: Pipeline, outcome: FaultOutcome, c: ScenarioConfig) -> FaultOutcome:
    """Add the end-of-run checks every scenario shares: monitor caught up, online store exact."""
    wait_until(lambda: pipeline.monitor_lag() == 0, c.settle_timeout_s, 0.5)
    prefix = pipeline.services.env["EVENTML_AGGREGATOR_REDIS_PREFIX"]
    url = pipeline.services.env["REDIS_URL"]
    detail = {
        **outcome.detail,
        "monitor_lag_at_end": pipeline.monitor_lag(),
        "feature_parity_max_abs_diff": parity_diff(url, prefix, list(pipeline.feed.records)),
        "online_rows_missing_at_end": _rows_missing(pipeline),
    }
    return FaultOutcome(**{**outcome.__dict__, "detail": detail})


def restart_redis(pipeline: Pipeline, infra: RestartableInfra, c: ScenarioConfig) -> FaultOutcome:
    """kill -9 Redis mid-stream and start an empty one on the same port."""
    pipeline.feed.produce(c.events // 2, c.rate)
    fault = time.time()
    infra.restart_redis()
    back = time.time()
    # Redis came back empty: entities without a new event would have no online row (served
    # with defaults and the missing-features flag), so the operator rebuilds the store from
    # the event log while the stream goes on.
    rebuild = pipeline.run_cli("features", "materialize")
    pipeline.feed.produce(c.events - c.events // 2, c.rate)
    rebuild.wait(c.settle_timeout_s)
    pipeline.wait_served(c.settle_timeout_s)
    outcome = _outcome("restart_redis", pipeline, caught_up_s(pipeline, fault, back))
    detail = {"materialize_exit_code": rebuild.returncode}
    return _finish(pipeline, FaultOutcome(**{**outcome.__dict__, "detail": detail}), c)


def _rows_missing(pipeline: Pipeline) -> int:
    env = pipeline.services.env
    store = RedisOnlineStore(
        redis.Redis.from_url(env["REDIS_URL"]), prefix=env["EVENTML_AGGREGATOR_REDIS_PREFIX"]
    )
    events = pipeline.feed.records
    end = max(int(e["event_time"]) for e in events) + 1
    missing = 0
    for view in list_views():
        ids = sorted({str(e[view.key_field]) for e in events})
        missing += int((~store.get(ids, view, None, end).found).sum())
    return missing


def restart_broker(pipeline: Pipeline, infra: RestartableInfra, c: ScenarioConfig) -> FaultOutcome:
    """kill -9 the broker (persisting to S3) mid-stream and start it again."""
    pipeline.feed.produce(c.events // 2, c.rate)
    fault = time.time()
    infra.restart_broker()
    back = time.time()
    pipeline.feed.produce(c.events - c.events // 2, c.rate)
    pipeline.wait_served(c.settle_timeout_s)
    outcome = _outcome("restart_broker", pipeline, caught_up_s(pipeline, fault, back))
    missing = _missing_from_topic(pipeline)
    return FaultOutcome(**{**outcome.__dict__, "detail": {"lost_by_broker": missing}})


def _missing_from_topic(pipeline: Pipeline) -> int:
    """Produced (and acknowledged) event ids absent from the events topic."""
    codec = AvroCodec(default_catalog(), "transaction")
    seen = {
        codec.decode(r.raw or b"")["event_id"]
        for r in TopicReader(pipeline.kafka, pipeline.topics.events, None, idle_timeout_s=30)
    }
    with pipeline.lock:
        return len(set(pipeline.observed.produced) - seen)


def fuzz_inputs(pipeline: Pipeline, infra: RestartableInfra, c: ScenarioConfig) -> FaultOutcome:
    """``c.fuzzed`` bad records at each of the events and labels topics, between good ones."""
    rng = random.Random(11)
    kafka, topics = pipeline.kafka, pipeline.topics
    targets = [
        ("transaction", RecordProducer(kafka, topics.events, "transaction", "card_id")),
        ("label", RecordProducer(kafka, topics.labels, "label", "event_id")),
    ]
    codecs = {name: AvroCodec(default_catalog(), name) for name, _ in targets}
    pipeline.feed.produce(c.events // 2, c.rate)
    fault = time.time()
    records = pipeline.feed.records
    for i in range(2 * c.fuzzed):
        name, producer = targets[i % 2]
        valid = dict(records[i % len(records)])
        if name == "label":
            valid = {"event_id": valid["event_id"], "card_id": None, "is_fraud": False}
            valid["label_time"] = int(records[-1]["event_time"])
        value, _ = fuzzed(rng, codecs[name], name, valid)
        producer.send_raw(value, f"fuzz-{i}".encode())
    for _, producer in targets:
        producer.flush()
    back = time.time()
    pipeline.feed.produce(c.events - c.events // 2, c.rate)
    pipeline.wait_served(c.settle_timeout_s)
    wait_until(lambda: pipeline.monitor_lag() == 0, c.settle_timeout_s, 0.5)
    dead = {t: _dead_letter_sources(pipeline, t) for t in (topics.events, topics.labels)}
    detail = {
        "fuzzed_per_topic": c.fuzzed,
        "dead_lettered_events": dead[topics.events],
        "dead_lettered_labels": dead[topics.labels],
    }
    recovery = caught_up_s(pipeline, fault, back)
    outcome = _outcome("fuzz_inputs", pipeline, recovery, sum(dead.values()), **detail)
    return _finish(pipeline, outcome, c)


def _dead_letter_sources(pipeline: Pipeline, topic: str) -> int:
    """Distinct source records in ``topic``'s dead-letter topic (two stages may report one)."""
    reader = TopicReader(
        pipeline.kafka, TopicCatalogue.dead_letter_of(topic), None, idle_timeout_s=3
    )
    sources = set()
    for record in reader:
        letter = DeadLetter.from_wire(record.key, record.raw, record.headers)
        sources.add((letter.partition, letter.offset))
    return len(sources)


Scenario = Callable[[Pipeline, RestartableInfra, ScenarioConfig], FaultOutcome]
SCENARIOS: dict[str, Scenario] = {
    "kill_aggregator": _kill_restart("aggregator"),
    "kill_inference": _kill_restart("inference"),
    "kill_inference_in_backlog": kill_inference_in_backlog,
    "kill_monitor": _kill_restart("monitor"),
    "restart_redis": restart_redis,
    "restart_broker": restart_broker,
    "fuzz_inputs": fuzz_inputs,
}
