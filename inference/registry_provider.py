"""Models from the MLflow registry for the inference service: by alias, sha256-verified."""

from __future__ import annotations

from inference.exceptions import ModelLoadError
from inference.model_provider import ModelArtifact
from streams.exceptions import EventmlError
from training.registry import ModelRegistry


class RegistryModelProvider:
    """Resolves ``champion``/``challenger``/``shadow`` through the registry.

    The artifact is downloaded once per version and its sha256 checked against the one
    registered before any byte reaches ONNX Runtime.
    """

    def __init__(self, registry: ModelRegistry) -> None:
        self._registry = registry

    def resolve(self, alias: str) -> ModelArtifact | None:
        """The version holding ``alias``, or None when the alias is not set."""
        try:
            version = self._registry.holder(alias)
            if version is None:
                return None
            ref = self._registry.ref(version)
            path = self._registry.download(ref)
        except EventmlError as exc:
            raise ModelLoadError(f"cannot load {alias}: {exc}") from exc
        return ModelArtifact(
            ref.name, ref.version, path.read_bytes(), ref.sha256, ref.feature_names, ref.threshold
        )
