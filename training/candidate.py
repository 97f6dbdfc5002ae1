"""The pure part of a training run: dataset in, checked ONNX model and its figures out."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from monitors.baseline import Baseline
from training.dataset import Dataset
from training.evaluation import Metrics, choose_threshold, evaluate
from training.onnx_export import export_onnx, sha256_hex, with_metadata
from training.onnx_scoring import cpu_scorer, max_abs_diff
from training.trainer import TrainedModel, TrainerConfig, train_model


@dataclass(frozen=True)
class Candidate:
    """A trained, exported and evaluated model, not yet tracked or registered.

    Attributes:
        model: The fitted estimator (in memory only).
        onnx: The ONNX bytes, threshold and feature names in their metadata.
        sha256: Hex sha256 of ``onnx``.
        metrics: Validation metrics of the ONNX scores.
        parity_max_abs_diff: Largest |ONNX - native| score on the validation set.
        baseline: The drift baseline the monitors compare live traffic against.
    """

    model: TrainedModel
    onnx: bytes
    sha256: str
    metrics: Metrics
    parity_max_abs_diff: float
    baseline: Baseline

    def artifacts(self) -> dict[str, bytes]:
        """Files to log with the run."""
        return {
            "model/model.onnx": self.onnx,
            "model/model.onnx.sha256": f"{self.sha256}  model.onnx\n".encode(),
            "baseline.json": self.baseline.to_json().encode(),
        }


def fit_candidate(
    dataset: Dataset, config: TrainerConfig, target_precision: float | None = None
) -> Candidate:
    """Trains, exports and evaluates a model on a dataset; deterministic for a given seed.

    Metrics, the threshold and the baseline's scores come from the ONNX model on the
    validation set, because that is what serving runs. The baseline's feature distributions
    use all rows; its score distribution uses the (out-of-sample) validation scores.
    """
    trained = train_model(dataset.x_train, dataset.y_train, config)
    names = dataset.feature_names
    onnx_bytes = export_onnx(trained.estimator, names, {"eventml.model_family": config.family})
    onnx_scores = cpu_scorer(onnx_bytes, names).score(dataset.x_valid)
    parity = max_abs_diff(onnx_scores, trained.scores(dataset.x_valid))
    threshold = choose_threshold(dataset.y_valid, onnx_scores, target_precision)
    metrics = evaluate(dataset.y_valid, onnx_scores, threshold)
    final = with_metadata(onnx_bytes, {"eventml.threshold": repr(threshold)})
    all_rows = np.vstack([dataset.x_train, dataset.x_valid])
    baseline = Baseline.fit(names, all_rows, onnx_scores, seed=config.seed)
    return Candidate(trained, final, sha256_hex(final), metrics, parity, baseline)
