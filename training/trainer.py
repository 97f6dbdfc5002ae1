"""Fitting a fraud classifier with fixed seeds.

The default family is scikit-learn's ``HistGradientBoostingClassifier``: it needs no extra
dependency (scikit-learn is already required), handles unscaled, skewed tabular features,
is converted to a single ONNX ``TreeEnsembleClassifier`` by skl2onnx, and is deterministic
given ``random_state`` with early stopping off (early stopping would draw a random holdout).
It is wrapped in ``CalibratedClassifierCV(method="sigmoid", ensemble=False)``: Platt scaling
fitted on out-of-fold scores, which skl2onnx exports exactly (isotonic calibration is
exported with nearest-knot lookup instead of interpolation and differed by up to 4e-2 from
scikit-learn in our check, so it is not offered).

The ``mlp`` family is ``StandardScaler`` + ``MLPClassifier``: its ONNX graph is MatMul/Add
and activations, which the CUDA execution provider runs where a GPU exists. It is not
wrapped in a calibrator (skl2onnx cannot convert a calibrated Pipeline); being trained on
log-loss, its probabilities are usually close to calibrated, and the ECE is reported.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

ModelFamily = Literal["hgb", "mlp"]


@dataclass(frozen=True)
class TrainerConfig:
    """Hyper-parameters and seed; the same config and data give the same model.

    Attributes:
        family: ``hgb`` (calibrated gradient boosting) or ``mlp``.
        seed: Seeds every random choice (bins subsampling, weights init, batches).
        max_iter: Boosting iterations (``hgb``).
        learning_rate: Shrinkage (``hgb``).
        max_leaf_nodes: Tree size (``hgb``).
        calibration_folds: Out-of-fold folds for the Platt calibrator (``hgb``); 0 disables.
        mlp_hidden: Hidden layer sizes (``mlp``).
        mlp_max_iter: Epochs (``mlp``); reaching it is recorded, not an error.
    """

    family: ModelFamily = "hgb"
    seed: int = 42
    max_iter: int = 100
    learning_rate: float = 0.1
    max_leaf_nodes: int = 31
    calibration_folds: int = 3
    mlp_hidden: tuple[int, ...] = (32, 16)
    mlp_max_iter: int = 200

    def params(self) -> dict[str, str]:
        """The config as flat string parameters, for tracking."""
        return {key: str(value) for key, value in asdict(self).items()}


@dataclass(frozen=True)
class TrainedModel:
    """A fitted estimator and what happened while fitting it.

    Attributes:
        estimator: The fitted scikit-learn estimator (kept in memory only, never pickled).
        family: The model family.
        converged: False when the MLP hit its epoch budget.
        train_seconds: Wall time of the fit.
    """

    estimator: Any
    family: ModelFamily
    converged: bool
    train_seconds: float

    def scores(self, x: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
        """Native probability of the positive class."""
        return np.asarray(self.estimator.predict_proba(x)[:, 1], dtype=np.float64)


def build_estimator(config: TrainerConfig) -> Any:
    """The unfitted estimator for a config."""
    if config.family == "mlp":
        mlp = MLPClassifier(
            hidden_layer_sizes=config.mlp_hidden,
            max_iter=config.mlp_max_iter,
            random_state=config.seed,
            early_stopping=False,
        )
        return Pipeline([("scale", StandardScaler()), ("mlp", mlp)])
    boosting = HistGradientBoostingClassifier(
        max_iter=config.max_iter,
        learning_rate=config.learning_rate,
        max_leaf_nodes=config.max_leaf_nodes,
        early_stopping=False,
        random_state=config.seed,
    )
    if config.calibration_folds < 2:
        return boosting
    folds = StratifiedKFold(n_splits=config.calibration_folds, shuffle=False)
    return CalibratedClassifierCV(boosting, method="sigmoid", cv=folds, ensemble=False)


def train_model(
    x: npt.NDArray[np.float32], y: npt.NDArray[np.int64], config: TrainerConfig
) -> TrainedModel:
    """Fits the configured estimator on ``(x, y)``.

    Args:
        x: Training features, float32.
        y: Labels, 0 or 1.
        config: Family, hyper-parameters and seed.

    Returns:
        The fitted model; the MLP's convergence warning becomes ``converged=False``.
    """
    estimator = build_estimator(config)
    started = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        # A fixed epoch budget is deliberate; the outcome is recorded, not raised.
        warnings.simplefilter("always", ConvergenceWarning)
        estimator.fit(x, y)
    elapsed = time.perf_counter() - started
    converged = True
    for warning in caught:
        if issubclass(warning.category, ConvergenceWarning):
            converged = False
        else:
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    return TrainedModel(estimator, config.family, converged, elapsed)
