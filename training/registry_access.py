"""Building a ModelRegistry from settings, publishing its model events to Kafka."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlflow.tracking import MlflowClient

from streams.producer import RecordProducer
from streams.settings import KafkaSettings
from training.exceptions import RegistryError
from training.registry import ModelRegistry, Publish
from training.settings import TrainingSettings
from training.tracking import embedded_client


def mlflow_client(settings: TrainingSettings, home: Path) -> MlflowClient:
    """A client on the configured tracking server, or on the embedded SQLite store."""
    if settings.tracking_uri:
        return MlflowClient(tracking_uri=settings.tracking_uri, registry_uri=settings.tracking_uri)
    return embedded_client(settings.store_dir(home))


def kafka_publisher(kafka: KafkaSettings, topic: str) -> Publish:
    """A ``publish`` that sends each model event to ``topic`` and waits for the ack."""
    producer = RecordProducer(kafka, topic, "model_event", key_field="model_name")

    def publish(record: dict[str, Any]) -> None:
        producer.send(record)
        producer.flush()

    return publish


def open_registry(settings: TrainingSettings, home: Path, publish: Publish) -> ModelRegistry:
    """The registry of ``settings.model_name`` with a local artifact cache under ``home``."""
    return ModelRegistry(
        mlflow_client(settings, home), settings.model_name, publish, home / "model-cache"
    )


def _refuse(_: dict[str, Any]) -> None:
    raise RegistryError("read-only registry access cannot change aliases")


def read_only_registry(settings: TrainingSettings, home: Path) -> ModelRegistry:
    """The registry for looking only (status, reports): any alias change raises."""
    return open_registry(settings, home, _refuse)
