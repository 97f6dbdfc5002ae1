"""MLflow run tracking: parameters, metrics, lineage tags and artifacts of a training run.

By default MLflow runs embedded on a SQLite file (``sqlite:///<dir>/mlflow.db``, artifacts
under ``<dir>/artifacts``); in production the same calls go to a tracking server URL.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from mlflow.tracking import MlflowClient

from training.dataset import DatasetSpec

LINEAGE_PACKAGES = ("eventml", "scikit-learn", "skl2onnx", "onnx", "onnxruntime", "numpy", "mlflow")


def embedded_tracking_uri(directory: Path) -> str:
    """The SQLite tracking/registry URI of an embedded store in ``directory``."""
    return f"sqlite:///{directory.resolve()}/mlflow.db"


@dataclass(frozen=True)
class Lineage:
    """Where a model came from, logged as ``lineage.*`` tags.

    Attributes:
        source_topic: The events topic read.
        offsets: Per partition, the ``[first, last]`` offsets read, as ``{partition: [a, b]}``.
        feature_definitions_hash: Hash of the feature definitions the features came from.

    The window, label cut-off and seed come from the run's own config (see :meth:`tags`).
    """

    source_topic: str = ""
    offsets: Mapping[int, tuple[int, int]] | None = None
    feature_definitions_hash: str = ""

    def tags(self, spec: DatasetSpec, seed: int) -> dict[str, str]:
        """The lineage as string tags, with the window, cut-off, seed, code and packages."""
        offsets = {str(p): list(r) for p, r in sorted((self.offsets or {}).items())}
        tags = {
            "lineage.source_topic": self.source_topic,
            "lineage.offsets": json.dumps(offsets),
            "lineage.window_start_ms": str(spec.window_start_ms),
            "lineage.window_end_ms": str(spec.window_end_ms),
            "lineage.label_cutoff_ms": str(spec.label_cutoff_ms),
            "lineage.feature_definitions_hash": self.feature_definitions_hash,
            "lineage.seed": str(seed),
            "lineage.code_version": code_version(),
        }
        tags.update({f"lineage.package.{p}": v for p, v in package_versions().items()})
        return tags


def code_version() -> str:
    """``git describe`` of the checkout this code runs from, else the package version."""
    try:
        described = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--tags"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return f"eventml-{_version('eventml')}"
    return described.stdout.strip() or f"eventml-{_version('eventml')}"


def package_versions() -> dict[str, str]:
    """Installed versions of the packages that determine the model bytes."""
    return {name: _version(name) for name in LINEAGE_PACKAGES}


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "unknown"


class MlflowTracking:
    """Logs training runs to one MLflow experiment.

    Args:
        client: An MLflow client (tracking and registry URIs set).
        experiment: Experiment name; created on first use.
        artifact_location: Where a new experiment stores artifacts (``None``: server default).
    """

    def __init__(
        self, client: MlflowClient, experiment: str, artifact_location: str | None = None
    ) -> None:
        self.client = client
        found = client.get_experiment_by_name(experiment)
        self.experiment_id: str = (
            found.experiment_id
            if found is not None
            else client.create_experiment(experiment, artifact_location=artifact_location)
        )

    def start_run(self, run_name: str, params: Mapping[str, str], tags: Mapping[str, str]) -> str:
        """Creates a run with its parameters and tags and returns its id."""
        run = self.client.create_run(self.experiment_id, run_name=run_name, tags=dict(tags))
        run_id: str = run.info.run_id
        for key, value in sorted(params.items()):
            self.client.log_param(run_id, key, value)
        return run_id

    def log_metrics(self, run_id: str, metrics: Mapping[str, float]) -> None:
        """Logs final metric values."""
        for key, value in sorted(metrics.items()):
            self.client.log_metric(run_id, key, float(value))

    def log_files(self, run_id: str, files: Mapping[str, bytes]) -> None:
        """Logs in-memory files as artifacts; keys are paths like ``model/model.onnx``."""
        with tempfile.TemporaryDirectory() as scratch:
            for relative, data in files.items():
                path = Path(scratch, relative)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
                parent = str(Path(relative).parent)
                self.client.log_artifact(run_id, str(path), None if parent == "." else parent)

    def finish(self, run_id: str, failed: bool = False) -> None:
        """Ends the run as FINISHED or FAILED."""
        self.client.set_terminated(run_id, "FAILED" if failed else "FINISHED")


def embedded_client(directory: Path) -> MlflowClient:
    """An MLflow client on the embedded SQLite store in ``directory`` (created if needed)."""
    directory.mkdir(parents=True, exist_ok=True)
    uri = embedded_tracking_uri(directory)
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def embedded_artifact_location(directory: Path) -> str:
    """Where the embedded store keeps artifacts: ``<dir>/artifacts``."""
    return str((directory / "artifacts").resolve())
