"""The model registry: versions of ONNX models in MLflow, their aliases and the audit trail.

Every alias change is published as a ``model_event.v1`` dict through the injected ``publish``
callable (the Kafka producer in production, a list's ``append`` in tests) and appended to the
alias history. Aliases: ``champion`` serves, ``challenger`` is the candidate that passed the
gates, ``shadow`` is scored alongside the champion without acting on it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from training.alias_history import AliasChange, append_change, read_history, rollback_target
from training.exceptions import ArtifactIntegrityError, NoPreviousVersionError, RegistryError
from training.model_events import ModelAction, ModelEvent
from training.onnx_export import sha256_hex

MODEL_ARTIFACT = "model/model.onnx"
BASELINE_ARTIFACT = "baseline.json"
Publish = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class ModelRef:
    """A registered model version and where its artifact is (or will be) cached locally."""

    name: str
    version: str
    path: Path
    sha256: str
    feature_names: tuple[str, ...]
    threshold: float
    run_id: str


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class ModelRegistry:
    """Registers versions, moves aliases with an audit trail, and hands out verified artifacts.

    Args:
        client: MLflow client whose registry URI is set.
        model_name: The registered model this registry manages.
        publish: Called with each model-event record.
        cache_dir: Where downloaded artifacts are kept.
        clock: Epoch milliseconds; injected so tests can fix it.
    """

    def __init__(
        self,
        client: MlflowClient,
        model_name: str,
        publish: Publish,
        cache_dir: Path,
        clock: Callable[[], int] = _now_ms,
    ) -> None:
        self.client = client
        self.model_name = model_name
        self._publish = publish
        self._cache_dir = cache_dir
        self._clock = clock

    def now_ms(self) -> int:
        """The registry's clock, epoch milliseconds."""
        return self._clock()

    def register(
        self,
        run_id: str,
        sha256: str,
        feature_names: Sequence[str],
        threshold: float,
        actor: str = "eventml",
    ) -> str:
        """Creates a model version from the run's ``model/model.onnx``; returns the version."""
        try:
            self.client.get_registered_model(self.model_name)
        except MlflowException:
            self.client.create_registered_model(self.model_name)
        run = self.client.get_run(run_id)
        tags = {
            "eventml.sha256": sha256,
            "eventml.feature_names": json.dumps(list(feature_names)),
            "eventml.threshold": repr(float(threshold)),
        }
        source = f"{run.info.artifact_uri}/{Path(MODEL_ARTIFACT).parent}"
        created = self.client.create_model_version(
            self.model_name, source=source, run_id=run_id, tags=tags
        )
        version = str(created.version)
        self._emit(
            ModelEvent(
                self.model_name,
                version,
                "REGISTERED",
                self._clock(),
                actor=actor,
                artifact_sha256=sha256,
                run_id=run_id,
            )
        )
        return version

    def promote(self, version: str, alias: str, reason: str, actor: str) -> AliasChange:
        """Points ``alias`` at ``version`` (``PROMOTED`` for champion, else ``ALIAS_SET``)."""
        self._version(version)
        action: ModelAction = "PROMOTED" if alias == "champion" else "ALIAS_SET"
        return self._move(alias, version, action, reason, actor)

    def rollback(self, alias: str, reason: str, actor: str) -> AliasChange:
        """Points ``alias`` back at its previous holder.

        Raises:
            NoPreviousVersionError: The alias never had an earlier holder.
        """
        target = rollback_target(self.history(), alias)
        if target is None:
            raise NoPreviousVersionError(
                f"{self.model_name}@{alias} has no previous version to roll back to"
            )
        return self._move(alias, target, "ROLLED_BACK", reason, actor)

    def remove(self, alias: str, reason: str, actor: str) -> AliasChange:
        """Removes ``alias`` from whichever version holds it."""
        return self._move(alias, None, "ALIAS_REMOVED", reason, actor)

    def history(self, name: str | None = None) -> list[AliasChange]:
        """Every alias change of the model, oldest first."""
        try:
            return read_history(self.client, name or self.model_name)
        except MlflowException as error:
            raise RegistryError(f"no registered model {name or self.model_name!r}") from error

    def holder(self, alias: str) -> str | None:
        """The version holding ``alias`` now, or ``None``."""
        try:
            return str(self.client.get_model_version_by_alias(self.model_name, alias).version)
        except MlflowException:
            return None

    def resolve(self, alias: str) -> ModelRef:
        """The version holding ``alias``, with its recorded sha256, inputs and threshold."""
        version = self.holder(alias)
        if version is None:
            raise RegistryError(f"{self.model_name}@{alias} is not set")
        return self.ref(version)

    def ref(self, version: str) -> ModelRef:
        """The :class:`ModelRef` of a version."""
        found = self._version(version)
        tags: dict[str, str] = found.tags
        return ModelRef(
            name=self.model_name,
            version=version,
            path=self._cache_dir / self.model_name / version / Path(MODEL_ARTIFACT).name,
            sha256=tags["eventml.sha256"],
            feature_names=tuple(json.loads(tags["eventml.feature_names"])),
            threshold=float(tags["eventml.threshold"]),
            run_id=str(found.run_id),
        )

    def download(self, ref: ModelRef) -> Path:
        """Fetches the artifact if not cached and returns its path once its sha256 matches.

        Raises:
            ArtifactIntegrityError: The bytes are not the ones registered.
        """
        if not ref.path.exists():
            ref.path.parent.mkdir(parents=True, exist_ok=True)
            fetched = self.client.download_artifacts(
                ref.run_id, MODEL_ARTIFACT, str(ref.path.parent)
            )
            Path(fetched).replace(ref.path)
        actual = sha256_hex(ref.path.read_bytes())
        if actual != ref.sha256:
            raise ArtifactIntegrityError(
                f"{ref.name} v{ref.version}: artifact sha256 {actual} != registered {ref.sha256}"
            )
        return ref.path

    def baseline_json(self, version: str) -> str:
        """The drift baseline (``baseline.json``) logged with a version's training run."""
        ref = self.ref(version)
        target = ref.path.parent
        target.mkdir(parents=True, exist_ok=True)
        try:
            fetched = self.client.download_artifacts(ref.run_id, BASELINE_ARTIFACT, str(target))
        except MlflowException as error:
            raise RegistryError(f"{ref.name} v{version} has no {BASELINE_ARTIFACT}") from error
        return Path(fetched).read_text(encoding="utf-8")

    def _version(self, version: str) -> Any:
        try:
            return self.client.get_model_version(self.model_name, version)
        except MlflowException as error:
            raise RegistryError(f"{self.model_name} has no version {version!r}") from error

    def _move(
        self, alias: str, version: str | None, action: ModelAction, reason: str, actor: str
    ) -> AliasChange:
        previous = self.holder(alias)
        if version is None:
            if previous is None:
                raise RegistryError(f"{self.model_name}@{alias} is not set")
            self.client.delete_registered_model_alias(self.model_name, alias)
        else:
            self.client.set_registered_model_alias(self.model_name, alias, version)
        change = AliasChange(
            self._clock(), self.model_name, alias, previous, version, action, reason, actor
        )
        append_change(self.client, change)
        sha = self.ref(version).sha256 if version is not None else None
        self._emit(
            ModelEvent(
                self.model_name,
                version or previous or "",
                action,
                change.time_ms,
                alias=alias,
                previous_version=previous,
                reason=reason,
                actor=actor,
                artifact_sha256=sha,
            )
        )
        return change

    def _emit(self, event: ModelEvent) -> None:
        self._publish(event.to_record())
