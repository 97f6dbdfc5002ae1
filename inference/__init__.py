"""Streaming inference: micro-batched ONNX scoring with champion, canary and shadow models.

The service is :class:`InferenceRunner`; its pure stages are :class:`FeatureBuilder`,
:class:`Router`, :class:`OnnxScorer` and :class:`MicroBatcher`.
"""

from __future__ import annotations

from inference.batcher import MicroBatcher
from inference.exceptions import (
    FeatureSourceError,
    InferenceError,
    ModelIntegrityError,
    ModelLoadError,
    ModelSignatureError,
    ScoringError,
)
from inference.features import (
    FeatureBuilder,
    FeatureTable,
    InMemoryFeatureSource,
    OnlineFeatures,
    OnlineFeatureSource,
)
from inference.metrics import InferenceMetrics
from inference.model_provider import (
    DirectoryModelProvider,
    InMemoryModelProvider,
    ModelArtifact,
    ModelProvider,
)
from inference.routing import LoadedModel, Router, Variant, VariantScores
from inference.runner import InferenceRunner
from inference.scorer import OnnxScorer, ScorerOptions
from inference.settings import InferenceSettings

__all__ = [
    "DirectoryModelProvider",
    "FeatureBuilder",
    "FeatureSourceError",
    "FeatureTable",
    "InMemoryFeatureSource",
    "InMemoryModelProvider",
    "InferenceError",
    "InferenceMetrics",
    "InferenceRunner",
    "InferenceSettings",
    "LoadedModel",
    "MicroBatcher",
    "ModelArtifact",
    "ModelIntegrityError",
    "ModelLoadError",
    "ModelProvider",
    "ModelSignatureError",
    "OnlineFeatureSource",
    "OnlineFeatures",
    "OnnxScorer",
    "Router",
    "ScorerOptions",
    "ScoringError",
    "Variant",
    "VariantScores",
]
