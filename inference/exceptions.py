"""Errors of the inference service."""

from __future__ import annotations

from streams.exceptions import EventmlError, InfrastructureError


class InferenceError(EventmlError):
    """Base class of every error raised by ``inference``."""


class ModelLoadError(InferenceError, InfrastructureError):
    """A model could not be fetched or turned into a working session."""


class ModelIntegrityError(ModelLoadError):
    """Model bytes whose sha256 differs from the registry's, or that are not ONNX at all."""


class ModelSignatureError(ModelLoadError):
    """A model whose input does not match the feature names and dtype the service builds."""


class InvalidFeatureError(InferenceError):
    """An event whose feature vector holds NaN or infinity: it is dead-lettered."""

    reason = "invalid_feature"


class ScoringError(InferenceError):
    """ONNX Runtime failed on a batch the session had accepted at load."""


class FeatureSourceError(InferenceError, InfrastructureError):
    """The online feature source could not answer (after the runner's retries)."""
