"""Small ONNX models and feature sources for the inference tests (built with skl2onnx)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from inference.features import InMemoryFeatureSource
from inference.model_provider import ModelArtifact
from training.request_features import RequestFeatures

ONLINE_NAMES = ("card_txn_count_1h", "card_amount_sum_1h")
ALL_NAMES = (*RequestFeatures().names, *ONLINE_NAMES)


def onnx_bytes(
    n_features: int, seed: int = 0, kind: str = "logistic", zipmap: bool = False
) -> bytes:
    """A binary classifier fitted on seeded random data, as ONNX bytes."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(400, n_features)).astype(np.float32)
    y = (x[:, 0] + 0.5 * rng.normal(size=400) > 0).astype(int)
    model: Any = (
        LogisticRegression(max_iter=200)
        if kind == "logistic"
        else RandomForestClassifier(n_estimators=5, max_depth=3, random_state=seed)
    )
    model.fit(x, y)
    options = {id(model): {"zipmap": zipmap}}
    onx = convert_sklearn(
        model,
        initial_types=[("features", FloatTensorType([None, n_features]))],
        options=options,
        target_opset={"": 17, "ai.onnx.ml": 3},
    )
    return bytes(onx.SerializeToString())


def artifact(
    version: str, seed: int = 0, name: str = "fraud", names: Sequence[str] = ALL_NAMES
) -> ModelArtifact:
    """A model over ``names`` wrapped as a registry artifact."""
    return ModelArtifact.of(name, version, onnx_bytes(len(names), seed), names, 0.5)


def feature_source() -> InMemoryFeatureSource:
    """An online source with defaults (0, 0) and nothing stored."""
    return InMemoryFeatureSource(ONLINE_NAMES, [0.0, 0.0])


def event(i: int, card: str | None = None, **overrides: Any) -> dict[str, Any]:
    """A valid ``transaction.v2`` record."""
    base: dict[str, Any] = {
        "event_id": f"e-{i}",
        "card_id": card or f"c-{i % 50}",
        "merchant_id": f"m-{i % 13}",
        "amount": float(10 + i % 97),
        "currency": "EUR",
        "merchant_category": "5411",
        "country": "DE",
        "channel": ("POS", "ECOM", "ATM", "MOTO")[i % 4],
        "event_time": 1_700_000_000_000 + i * 1000,
        "home_country": "DE" if i % 3 else "FR",
        "device_id": None,
    }
    return {**base, **overrides}
