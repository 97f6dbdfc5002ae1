"""One training job as a user or the trainer service runs it: event log in, registry out."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from streams.features.backfill import HistoricalFeatures
from streams.features.catalog import list_views
from streams.features.definitions import FeatureView
from streams.kafka.topics import TopicCatalogue
from streams.settings import KafkaSettings
from training.dataset import DatasetSpec
from training.event_log import read_window
from training.pipeline import TrainingConfig, TrainingOutcome, train_and_register
from training.registry import Publish
from training.registry_access import open_registry
from training.settings import TrainingSettings
from training.tracking import Lineage, embedded_artifact_location
from training.trainer import TrainerConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobSpec:
    """What to train on.

    Attributes:
        window_end_ms: Events before this event time are used; it is also the label cut-off
            (labels with ``label_time`` after it are not known yet). ``None``: everything.
        lookback_ms: How far before the end events are taken (``None``: from the start).
        promote_to: Alias a passing version gets.
        actor: Recorded in the registry's audit trail.
    """

    window_end_ms: int | None = None
    lookback_ms: int | None = None
    promote_to: str = "challenger"
    actor: str = "eventml train"


def run_job(
    kafka: KafkaSettings,
    topics: TopicCatalogue,
    settings: TrainingSettings,
    home: Path,
    spec: JobSpec,
    publish: Publish,
) -> TrainingOutcome:
    """Read the window from the event log, backfill features, train, gate and register.

    Raises:
        TrainingError: Empty window, single-class labels or a schema mismatch (published as
            ``TRAINING_FAILED`` before it is raised).
    """
    start = (
        spec.window_end_ms - spec.lookback_ms
        if spec.window_end_ms is not None and spec.lookback_ms is not None
        else None
    )
    views = list_views()
    # Features of the first events in the window need the events before it: read one
    # longest window more of history (the dataset itself keeps only [start, end)).
    history_start = None if start is None else start - _longest_window_ms(views)
    window = read_window(kafka, topics, history_start, spec.window_end_ms)
    cutoff = spec.window_end_ms
    if cutoff is None:
        known = [int(label["label_time"]) for label in window.labels]
        cutoff = max(known) if known else 0
    log.info(
        "training window: %d events, %d labels, cut-off %d",
        len(window.events),
        len(window.labels),
        cutoff,
    )
    source = HistoricalFeatures(views, window.events)
    registry = open_registry(settings, home, publish)
    config = TrainingConfig(
        dataset=DatasetSpec(
            label_cutoff_ms=cutoff, window_start_ms=start, window_end_ms=spec.window_end_ms
        ),
        trainer=TrainerConfig(
            family=settings.family,
            seed=settings.seed,
            max_iter=settings.max_iter,
            calibration_folds=settings.calibration_folds,
        ),
        lineage=Lineage(
            source_topic=topics.events,
            offsets=window.offsets,
            feature_definitions_hash=",".join(v.version for v in views),
        ),
        artifact_location=(
            None if settings.tracking_uri else embedded_artifact_location(settings.store_dir(home))
        ),
        promote_to=spec.promote_to,
        actor=spec.actor,
    )
    return train_and_register(config, window.events, window.labels, source, registry, publish)


def _longest_window_ms(views: Sequence[FeatureView]) -> int:
    sizes = [a.window.size_ms for v in views for a in v.aggregations if a.window is not None]
    return max(sizes, default=0)
