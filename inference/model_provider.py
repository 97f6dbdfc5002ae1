"""Where models come from: the :class:`ModelProvider` contract and two small providers.

The MLflow-backed provider lives with the registry in ``training``; the in-memory and
directory providers here serve tests, demos and air-gapped deployments.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from inference.exceptions import ModelLoadError


@dataclass(frozen=True)
class ModelArtifact:
    """A registered model version as the inference service needs it.

    Attributes:
        name: Registered model name.
        version: Registry version.
        onnx_bytes: The serialised model.
        sha256: Hex digest the registry recorded for ``onnx_bytes``.
        feature_names: Input column names, in order.
        threshold: Decision threshold on the positive-class probability.
    """

    name: str
    version: str
    onnx_bytes: bytes
    sha256: str
    feature_names: tuple[str, ...]
    threshold: float

    @classmethod
    def of(
        cls,
        name: str,
        version: str,
        onnx_bytes: bytes,
        feature_names: Sequence[str],
        threshold: float,
    ) -> ModelArtifact:
        """An artifact whose digest is computed from its bytes."""
        digest = hashlib.sha256(onnx_bytes).hexdigest()
        return cls(name, version, onnx_bytes, digest, tuple(feature_names), threshold)


class ModelProvider(Protocol):
    """Resolves a registry alias (``champion``, ``challenger``, ``shadow``) to a model."""

    def resolve(self, alias: str) -> ModelArtifact | None:
        """The artifact the alias points at, or None when the alias is not set.

        Raises:
            ModelLoadError: The registry or artifact store cannot be read.
        """
        ...


class InMemoryModelProvider:
    """Aliases held in a dict; :meth:`set` moves one (tests, hot-swap drills)."""

    def __init__(self, aliases: Mapping[str, ModelArtifact] | None = None) -> None:
        self._aliases = dict(aliases or {})

    def set(self, alias: str, artifact: ModelArtifact | None) -> None:
        """Point ``alias`` at ``artifact`` (None removes it)."""
        if artifact is None:
            self._aliases.pop(alias, None)
        else:
            self._aliases[alias] = artifact

    def resolve(self, alias: str) -> ModelArtifact | None:
        """The artifact the alias points at, or None."""
        return self._aliases.get(alias)


class DirectoryModelProvider:
    """Aliases as folders: ``<root>/<alias>/model.onnx`` beside ``<root>/<alias>/model.json``.

    ``model.json`` holds ``name``, ``version``, ``sha256``, ``feature_names`` and
    ``threshold``. A missing folder means the alias is not set.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def resolve(self, alias: str) -> ModelArtifact | None:
        """The artifact in ``<root>/<alias>``, or None."""
        folder = self.root / alias
        if not folder.is_dir():
            return None
        try:
            meta = json.loads((folder / "model.json").read_text())
            model = (folder / "model.onnx").read_bytes()
            return ModelArtifact(
                name=str(meta["name"]),
                version=str(meta["version"]),
                onnx_bytes=model,
                sha256=str(meta["sha256"]),
                feature_names=tuple(str(n) for n in meta["feature_names"]),
                threshold=float(meta["threshold"]),
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelLoadError(
                f"cannot read model for alias {alias!r} in {folder}: {exc}"
            ) from exc

    def write(self, alias: str, artifact: ModelArtifact) -> None:
        """Store ``artifact`` under ``alias`` (model first, so a reader never sees new
        metadata beside old bytes: the sha256 check would refuse that pair anyway)."""
        folder = self.root / alias
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "model.onnx").write_bytes(artifact.onnx_bytes)
        meta = {
            "name": artifact.name,
            "version": artifact.version,
            "sha256": artifact.sha256,
            "feature_names": list(artifact.feature_names),
            "threshold": artifact.threshold,
        }
        (folder / "model.json").write_text(json.dumps(meta))
