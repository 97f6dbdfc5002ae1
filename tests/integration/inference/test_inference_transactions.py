"""The transactional mode: each batch's predictions and offsets in one Kafka transaction."""

from __future__ import annotations

import pytest

from streams.kafka.topics import TopicCatalogue
from streams.settings import KafkaSettings
from streams.status import group_lag
from tests.integration.inference.harness import (
    default_models,
    produce_events,
    read_predictions,
    served_counts,
    settings_for,
    start_runner,
    wait_for,
)

pytestmark = pytest.mark.integration


def test_offsets_are_committed_with_the_predictions_and_a_crash_replays_none(
    kafka_settings: KafkaSettings, topics: TopicCatalogue, group_id: str
) -> None:
    n = 2000
    settings = settings_for(group_id, max_batch_size=100, transactional_id=f"{group_id}-0")
    first = start_runner(kafka_settings, topics, settings, default_models())
    produce_events(kafka_settings, topics, range(n))
    wait_for(lambda: first.runner.scored_events >= n // 4, what="progress", watch=[first])
    first.crash()  # stops between batches: every delivered batch's transaction is committed
    assert first.runner.scored_events < n

    second = start_runner(kafka_settings, topics, settings, default_models())
    left = n - first.runner.scored_events
    wait_for(lambda: second.runner.scored_events >= left, what="the rest", watch=[second])
    second.close()

    # Offsets went with the predictions: the second runner started exactly where the first
    # one's last transaction ended, so no event was scored twice.
    assert first.runner.scored_events + second.runner.scored_events == n
    predictions = read_predictions(kafka_settings, topics.predictions)
    assert served_counts(predictions) == {f"e-{i}": 1 for i in range(n)}
    lag = group_lag(kafka_settings, topics.events, group_id)
    assert [p.committed for p in lag] == [p.high_watermark for p in lag]
    assert first.runner.commit_failures == second.runner.commit_failures == 0
