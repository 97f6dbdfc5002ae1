from __future__ import annotations

import dataclasses

import onnx
import pytest

from tests.unit.training.training_testkit import FAST, small_dataset
from training.candidate import fit_candidate
from training.onnx_export import FEATURE_NAMES_KEY, read_metadata


@pytest.fixture(scope="module")
def dataset():  # type: ignore[no-untyped-def]
    return small_dataset()


def test_same_data_and_seed_give_the_same_onnx_bytes_and_metrics(dataset) -> None:  # type: ignore[no-untyped-def]
    first = fit_candidate(dataset, FAST)
    second = fit_candidate(dataset, FAST)
    assert first.sha256 == second.sha256
    assert first.metrics == second.metrics
    assert first.baseline == second.baseline


def test_onnx_matches_the_native_model_and_has_the_agreed_interface(dataset) -> None:  # type: ignore[no-untyped-def]
    candidate = fit_candidate(dataset, FAST)
    assert candidate.parity_max_abs_diff <= 1e-5
    model = onnx.load_from_string(candidate.onnx)
    (graph_input,) = model.graph.input
    assert graph_input.name == "features"
    dims = graph_input.type.tensor_type.shape.dim
    assert dims[1].dim_value == len(dataset.feature_names)
    assert "probabilities" in [o.name for o in model.graph.output]
    meta = read_metadata(candidate.onnx)
    assert FEATURE_NAMES_KEY in meta
    assert float(meta["eventml.threshold"]) == candidate.metrics.threshold


def test_mlp_family_exports_with_parity(dataset) -> None:  # type: ignore[no-untyped-def]
    config = dataclasses.replace(FAST, family="mlp", mlp_hidden=(8,), mlp_max_iter=30)
    candidate = fit_candidate(dataset, config)
    assert candidate.parity_max_abs_diff <= 1e-5
    assert candidate.model.converged is False  # the budget was hit, recorded not raised
    ops = {n.op_type for n in onnx.load_from_string(candidate.onnx).graph.node}
    assert {"MatMul", "Relu"} <= ops


def test_baseline_is_what_the_monitors_read(dataset) -> None:  # type: ignore[no-untyped-def]
    from monitors.baseline import Baseline

    candidate = fit_candidate(dataset, FAST)
    stored = Baseline.from_json(candidate.artifacts()["baseline.json"].decode())
    assert stored == candidate.baseline
    assert stored.feature_names == tuple(dataset.feature_names)
    amount = stored.features[stored.feature_names.index("amount")]
    assert len(amount.proportions) == len(amount.edges) + 1
    assert abs(sum(amount.proportions) - 1.0) < 1e-6
    assert 0 < len(amount.sample) <= 1000
