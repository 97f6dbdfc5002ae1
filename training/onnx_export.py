"""Exporting a fitted estimator to a byte-for-byte reproducible ONNX model.

The graph takes one float tensor ``features`` of shape ``[None, n_features]`` and returns
``label`` and ``probabilities`` (a plain ``[N, 2]`` tensor: ``zipmap`` is off). The fields
skl2onnx fills with a random or environment-dependent value (the graph name is a fresh UUID)
are fixed, and the feature names and caller metadata go into ``metadata_props`` sorted by key,
so the same fitted model always serialises to the same bytes and sha256.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

import onnx
from skl2onnx import convert_sklearn, update_registered_converter
from skl2onnx.common.data_types import FloatTensorType
from skl2onnx.common.shape_calculator import calculate_linear_classifier_output_shapes
from skl2onnx.operator_converters.random_forest import convert_sklearn_random_forest_classifier
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import Pipeline

from training.exceptions import ExportError

INPUT_NAME = "features"
PROBABILITY_OUTPUT = "probabilities"
FEATURE_NAMES_KEY = "eventml.feature_names"
TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}


def export_onnx(
    estimator: Any, feature_names: Sequence[str], metadata: Mapping[str, str] | None = None
) -> bytes:
    """Converts a fitted estimator to deterministic ONNX bytes.

    Args:
        estimator: A fitted classifier from :mod:`training.trainer`.
        feature_names: Input column names, stored in the model's metadata.
        metadata: Extra ``metadata_props`` (e.g. the decision threshold).

    Returns:
        The serialised model.

    Raises:
        ExportError: skl2onnx cannot convert the estimator.
    """
    _register_hist_gradient_boosting_converter()
    final = estimator.steps[-1][1] if isinstance(estimator, Pipeline) else estimator
    try:
        model = convert_sklearn(
            estimator,
            initial_types=[(INPUT_NAME, FloatTensorType([None, len(feature_names)]))],
            options={id(final): {"zipmap": False}},
            target_opset=TARGET_OPSET,
        )
    except (ValueError, RuntimeError, TypeError, KeyError, NotImplementedError) as error:
        raise ExportError(f"cannot convert {type(estimator).__name__} to ONNX: {error}") from error
    props = {FEATURE_NAMES_KEY: json.dumps(list(feature_names)), **(metadata or {})}
    return with_metadata(model.SerializeToString(), props)


def with_metadata(model_bytes: bytes, props: Mapping[str, str]) -> bytes:
    """Returns the model with ``props`` merged into its metadata and the volatile fields fixed."""
    model = onnx.load_from_string(model_bytes)
    merged = {p.key: p.value for p in model.metadata_props} | dict(props)
    del model.metadata_props[:]
    for key in sorted(merged):
        model.metadata_props.add(key=key, value=merged[key])
    model.graph.name = "eventml"
    model.doc_string = ""
    model.graph.doc_string = ""
    return bytes(model.SerializeToString(deterministic=True))


def read_metadata(model_bytes: bytes) -> dict[str, str]:
    """The ``metadata_props`` of a serialised model."""
    return {p.key: p.value for p in onnx.load_from_string(model_bytes).metadata_props}


def sha256_hex(data: bytes) -> str:
    """Hex sha256 of the artifact bytes."""
    return hashlib.sha256(data).hexdigest()


def _register_hist_gradient_boosting_converter() -> None:
    """Replaces skl2onnx's converter for HistGradientBoostingClassifier with a fixed copy.

    skl2onnx 1.20 emits a Python ``False`` for a leaf's ``nodes_missing_value_tracks_true``,
    which onnx >= 1.19 rejects ("Expected an int, got a boolean"). The wrapper converts the
    flags to ints on the node being added and otherwise runs skl2onnx's own converter.
    Registering is idempotent; remove once skl2onnx casts the flag itself.
    """
    update_registered_converter(
        HistGradientBoostingClassifier,
        "SklearnHistGradientBoostingClassifier",
        calculate_linear_classifier_output_shapes,
        _convert_hist_gradient_boosting,
        options={
            "zipmap": [True, False, "columns"],
            "raw_scores": [True, False],
            "output_class_labels": [False, True],
            "nocl": [True, False],
        },
    )


def _convert_hist_gradient_boosting(scope: Any, operator: Any, container: Any) -> None:
    add_node = container.add_node

    def add_node_with_int_flags(*args: Any, **attrs: Any) -> Any:
        flags = attrs.get("nodes_missing_value_tracks_true")
        if flags is not None:
            attrs["nodes_missing_value_tracks_true"] = [int(flag) for flag in flags]
        return add_node(*args, **attrs)

    container.add_node = add_node_with_int_flags
    try:
        convert_sklearn_random_forest_classifier(scope, operator, container)
    finally:
        del container.add_node
