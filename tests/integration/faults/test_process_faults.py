"""Fault injection on the service set as separate processes — aggregator, inference and
monitor — with every event id accounted for (the scenarios of ``eventml bench faults``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from inference.settings import InferenceSettings
from streams.proof.bootstrap import train_champion
from streams.proof.pipeline import Pipeline
from streams.proof.restartable import RestartableInfra
from streams.proof.scenarios import SCENARIOS, SERVICES, FaultOutcome, ScenarioConfig, ready

# Each scenario bounds its own waits (settle timeout); a slow, shared machine needs more than
# the default per-test limit.
pytestmark = [
    pytest.mark.integration,
    pytest.mark.faults,
    pytest.mark.slow,
    pytest.mark.timeout(900),
]

CONFIG = ScenarioConfig(events=2400, rate=400.0, settle_timeout_s=120.0)
PARTITIONS = 4
# A kill -9 may replay at most one batch per partition (the inference default size).
MAX_BATCH = InferenceSettings.model_fields["max_batch_size"].default


@pytest.fixture(scope="module")
def proof_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RestartableInfra, Path]]:
    """Private broker and Redis (scenarios kill them) and a registry with a champion."""
    workdir = tmp_path_factory.mktemp("proof")
    infra = RestartableInfra(workdir / "infra")
    try:
        train_champion(infra.kafka, infra.redis_settings, workdir / "home")
        yield infra, workdir / "home"
    finally:
        infra.stop()


def _run(name: str, infra: RestartableInfra, home: Path, config: ScenarioConfig) -> FaultOutcome:
    pipeline = Pipeline(
        infra.kafka, infra.redis_settings, home, extra_env={"EVENTML_PROOF_SETTLE_S": "120"}
    )
    try:
        pipeline.start(*SERVICES)
        ready(pipeline, 180)
        return SCENARIOS[name](pipeline, infra, config)
    finally:
        pipeline.close()


def _no_loss(outcome: FaultOutcome) -> None:
    assert outcome.crashes == 0, outcome
    assert outcome.lost_events == 0, outcome
    assert outcome.produced == CONFIG.events + 50  # the warm-up events count too


def test_kill_9_of_the_aggregator_recovers_exact_features(
    proof_home: tuple[RestartableInfra, Path],
) -> None:
    outcome = _run("kill_aggregator", *proof_home, CONFIG)
    _no_loss(outcome)
    assert outcome.detail["parity_reached"], outcome
    assert outcome.detail["feature_parity_max_abs_diff"] == 0.0, outcome


def test_kill_9_of_inference_loses_nothing_and_replays_at_most_a_batch_per_partition(
    proof_home: tuple[RestartableInfra, Path],
) -> None:
    outcome = _run("kill_inference", *proof_home, CONFIG)
    _no_loss(outcome)
    assert outcome.duplicate_predictions <= PARTITIONS * MAX_BATCH, outcome


def test_kill_9_of_inference_draining_a_backlog_replays_at_most_a_batch_per_partition(
    proof_home: tuple[RestartableInfra, Path],
) -> None:
    outcome = _run("kill_inference_in_backlog", *proof_home, CONFIG)
    assert outcome.crashes == 0, outcome
    assert outcome.lost_events == 0, outcome
    assert outcome.produced == CONFIG.backlog + 50, outcome
    # Killed mid-drain: more than a batch was still to be read or committed.
    assert outcome.detail["uncommitted_at_kill"] > MAX_BATCH, outcome
    assert outcome.duplicate_predictions <= PARTITIONS * MAX_BATCH, outcome
    assert outcome.detail["feature_parity_max_abs_diff"] == 0.0, outcome


def test_kill_9_of_the_monitor_resumes_from_its_commits(
    proof_home: tuple[RestartableInfra, Path],
) -> None:
    outcome = _run("kill_monitor", *proof_home, CONFIG)
    _no_loss(outcome)
    assert outcome.duplicate_predictions == 0, outcome
    assert outcome.detail["monitor_lag_at_end"] == 0, outcome


def test_redis_restart_pauses_services_and_loses_nothing(
    proof_home: tuple[RestartableInfra, Path],
) -> None:
    outcome = _run("restart_redis", *proof_home, CONFIG)
    _no_loss(outcome)
    assert outcome.duplicate_predictions == 0, outcome
    # `eventml features materialize` rebuilt the rows Redis lost, beside the live aggregator.
    assert outcome.detail["materialize_exit_code"] == 0, outcome
    assert outcome.detail["online_rows_missing_at_end"] == 0, outcome
    assert outcome.detail["feature_parity_max_abs_diff"] == 0.0, outcome


def test_fuzzed_events_and_labels_are_all_dead_lettered(
    proof_home: tuple[RestartableInfra, Path],
) -> None:
    outcome = _run("fuzz_inputs", *proof_home, CONFIG)
    _no_loss(outcome)
    assert outcome.duplicate_predictions == 0, outcome
    assert outcome.detail["dead_lettered_events"] == CONFIG.fuzzed, outcome
    assert outcome.detail["dead_lettered_labels"] == CONFIG.fuzzed, outcome
    assert outcome.detail["monitor_lag_at_end"] == 0, outcome


# Known flaky, so only in `make test-faults`. After tansu restarts on its s3:// engine, fetches
# at the consumers' committed offsets come back empty although the records are in the bucket
# (librdkafka debug: FetchResponse without records, offset unchanged) — 27 to 138 s in the
# runs measured, then data flows and nothing is lost; in one of the last nine runs it lasted
# past the 240 s settle limit. The broker, not eventml, decides how long; the counts report it.
@pytest.mark.known_flaky
def test_broker_restart_on_persistent_storage_loses_nothing(
    tmp_path: Path,
    proof_home: tuple[RestartableInfra, Path],
) -> None:
    infra = RestartableInfra(tmp_path / "persistent", persistent=True)
    try:
        outcome = _run("restart_broker", infra, proof_home[1], ScenarioConfig(600, 50.0, 240.0))
    finally:
        infra.stop()
    assert outcome.crashes == 0, outcome
    assert outcome.detail["lost_by_broker"] == 0, outcome
    assert outcome.lost_events == 0, outcome
