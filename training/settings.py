"""Settings of the trainer service and the registry commands (env prefix ``EVENTML_TRAINING_``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict


class TrainingSettings(BaseSettings):
    """Where MLflow lives and which registered model eventml manages.

    ``tracking_uri`` unset means the embedded SQLite store under ``<EVENTML_HOME>/mlflow``;
    set it to a tracking server URL (``http://mlflow:5000``) in production.
    """

    model_config = SettingsConfigDict(env_prefix="EVENTML_TRAINING_", frozen=True, extra="ignore")

    tracking_uri: str | None = None
    model_name: str = "fraud"
    family: Literal["hgb", "mlp"] = "hgb"
    seed: int = 42
    max_iter: int = 100
    calibration_folds: int = 3
    timeout_s: float = 900.0
    metrics_host: str = "127.0.0.1"
    metrics_port: int = 9102

    def store_dir(self, home: Path) -> Path:
        """The embedded store's directory."""
        return home / "mlflow"
