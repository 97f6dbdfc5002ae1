"""OnnxScorer: refuses bad models at load, scores exactly like ONNX Runtime."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from inference.exceptions import ModelIntegrityError, ModelSignatureError, ScoringError
from inference.scorer import CPU, CUDA, OnnxScorer, choose_providers
from tests.unit.inference.onnx_models import onnx_bytes

NAMES = [f"f{i}" for i in range(5)]


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_scores_equal_onnxruntime_direct_result() -> None:
    model = onnx_bytes(5)
    scorer = OnnxScorer(model, _digest(model), NAMES)
    x = np.random.default_rng(1).normal(size=(64, 5)).astype(np.float32)
    direct = ort.InferenceSession(model, providers=[CPU]).run(["probabilities"], {"features": x})
    np.testing.assert_array_equal(scorer.score(x), direct[0][:, 1].astype(np.float64))
    assert scorer.score(x).dtype == np.float64
    assert scorer.active_provider == CPU


def test_zipmap_output_gives_the_same_scores_as_the_tensor_output() -> None:
    plain, zipped = onnx_bytes(5, zipmap=False), onnx_bytes(5, zipmap=True)
    x = np.random.default_rng(2).normal(size=(16, 5))
    a = OnnxScorer(plain, None, NAMES).score(x)
    b = OnnxScorer(zipped, None, NAMES).score(x)
    np.testing.assert_allclose(a, b, rtol=1e-6)


def test_tree_ensemble_is_reported_as_cpu_only() -> None:
    scorer = OnnxScorer(onnx_bytes(5, kind="trees"), None, NAMES)
    assert "TreeEnsembleClassifier" in scorer.cpu_only_ops
    assert scorer.active_provider == CPU


def test_refuses_sha256_mismatch() -> None:
    model = onnx_bytes(5)
    with pytest.raises(ModelIntegrityError, match="sha256 mismatch"):
        OnnxScorer(model, _digest(model + b"x"), NAMES)


def test_refuses_bytes_that_are_not_onnx() -> None:
    junk = b"\x00\x01 this is a pickle, honest"
    with pytest.raises(ModelIntegrityError, match="not an ONNX model"):
        OnnxScorer(junk, _digest(junk), NAMES)


def test_refuses_wrong_feature_count_at_load() -> None:
    with pytest.raises(ModelSignatureError, match=r"\[None, 6\]"):
        OnnxScorer(onnx_bytes(5), None, [*NAMES, "extra"])


def test_refuses_model_whose_stored_feature_names_differ() -> None:
    proto = onnx.load_from_string(onnx_bytes(5))
    proto.metadata_props.add(key="eventml.feature_names", value=json.dumps(NAMES[::-1]))
    with pytest.raises(ModelSignatureError, match="trained on features"):
        OnnxScorer(proto.SerializeToString(), None, NAMES)


def test_refuses_double_input() -> None:
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import DoubleTensorType
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    fitted = LogisticRegression().fit(rng.normal(size=(50, 5)), rng.integers(0, 2, 50))
    onx = convert_sklearn(
        fitted,
        initial_types=[("features", DoubleTensorType([None, 5]))],
        options={id(fitted): {"zipmap": False}},
    )
    with pytest.raises(ModelSignatureError, match="tensor\\(double\\)"):
        OnnxScorer(onx.SerializeToString(), None, NAMES)


def test_score_rejects_wrong_width() -> None:
    scorer = OnnxScorer(onnx_bytes(5), None, NAMES)
    with pytest.raises(ScoringError):
        scorer.score(np.zeros((2, 4)))
    assert scorer.score(np.zeros((0, 5))).shape == (0,)


def test_provider_order_prefers_cuda_only_when_available() -> None:
    assert choose_providers(True, [CUDA, CPU]) == [CUDA, CPU]
    assert choose_providers(True, [CPU]) == [CPU]
    assert choose_providers(False, [CUDA, CPU]) == [CPU]
