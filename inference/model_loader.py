"""Resolving the champion, canary and shadow aliases into a ready :class:`Router`."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from inference.exceptions import ModelLoadError, ModelSignatureError
from inference.model_provider import ModelArtifact, ModelProvider
from inference.routing import LoadedModel, Router
from inference.scorer import OnnxScorer, ScorerOptions
from inference.settings import InferenceSettings
from streams.exceptions import InfrastructureError

log = logging.getLogger(__name__)


class RouterLoader:
    """Builds routers from the provider, reusing sessions of versions already loaded.

    A new router is returned only once every model in it is loaded, checked and warm, so
    swapping it in never exposes a half-loaded model.

    Args:
        provider: Resolves aliases to artifacts.
        settings: Aliases, canary share, threads and provider preference.
        available_features: Names the feature builder can produce.
    """

    def __init__(
        self,
        provider: ModelProvider,
        settings: InferenceSettings,
        available_features: Sequence[str],
    ) -> None:
        self._provider = provider
        self._settings = settings
        self._available = frozenset(available_features)
        self._options = ScorerOptions(
            prefer_cuda=settings.provider_preference == "auto",
            intra_op_threads=settings.intra_op_threads,
            inter_op_threads=settings.inter_op_threads,
        )
        self._loaded: dict[str, LoadedModel] = {}

    def load(self) -> Router:
        """Resolve every alias and return the router over them.

        Raises:
            ModelLoadError: The champion alias is unset, or a model cannot be loaded.
        """
        settings = self._settings
        champion = self._load_alias(settings.champion_alias)
        if champion is None:
            raise ModelLoadError(f"alias {settings.champion_alias!r} is not set")
        canary = self._load_alias(settings.canary_alias)
        shadow = self._load_alias(settings.shadow_alias)
        keep = {m.scorer.sha256 for m in (champion, canary, shadow) if m is not None}
        self._loaded = {k: v for k, v in self._loaded.items() if k in keep}
        return Router(champion, canary, shadow, settings.canary_share)

    def _load_alias(self, alias: str | None) -> LoadedModel | None:
        artifact = self._provider.resolve(alias) if alias else None
        if artifact is None:
            return None
        cached = self._loaded.get(artifact.sha256)
        if cached is not None and cached.version == artifact.version:
            return cached
        model = self._load(artifact)
        self._loaded[artifact.sha256] = model
        log.info(
            "loaded %s v%s for alias %s on %s",
            model.name,
            model.version,
            alias,
            model.scorer.active_provider,
        )
        return model

    def _load(self, artifact: ModelArtifact) -> LoadedModel:
        unknown = [n for n in artifact.feature_names if n not in self._available]
        if unknown:
            raise ModelSignatureError(
                f"{artifact.name} v{artifact.version} needs features the service cannot build: "
                f"{unknown}"
            )
        scorer = OnnxScorer(
            artifact.onnx_bytes, artifact.sha256, artifact.feature_names, self._options
        )
        return LoadedModel(artifact.name, artifact.version, artifact.threshold, scorer)


class ModelSwapper:
    """Loads the next router on a thread of its own while the current one keeps serving.

    Args:
        loader: Builds routers.
    """

    def __init__(self, loader: RouterLoader) -> None:
        self._loader = loader
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="eventml-model-load")
        self._pending: Future[Router] | None = None
        self.failures = 0

    def request(self) -> None:
        """Start a reload unless one is running (it resolves every alias anew anyway)."""
        if self._pending is None:
            self._pending = self._executor.submit(self._loader.load)

    def ready(self) -> Router | None:
        """The new router once fully loaded and warm, else None (also after a failure)."""
        pending = self._pending
        if pending is None or not pending.done():
            return None
        self._pending = None
        try:
            return pending.result()
        except InfrastructureError as exc:
            self.failures += 1
            log.error("model reload failed, keeping the loaded models: %s", exc)
            return None

    def close(self) -> None:
        """Stop the loading thread (a load in progress is abandoned)."""
        self._executor.shutdown(wait=False, cancel_futures=True)
