"""Classification quality of scored, labelled events: plain functions on arrays."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.stats import rankdata

FloatArray = npt.NDArray[np.float64]
EPS = float(np.finfo(np.float64).eps)
"""Scores are clipped to [EPS, 1 - EPS] before logs, as scikit-learn does for float64."""


def roc_auc(y: npt.ArrayLike, scores: npt.ArrayLike) -> float | None:
    """Area under the ROC curve (Mann-Whitney, ties counted half); ``None`` with one class."""
    labels = np.asarray(y, dtype=bool)
    positives = int(labels.sum())
    negatives = labels.size - positives
    if positives == 0 or negatives == 0:
        return None
    ranks = rankdata(np.asarray(scores, dtype=np.float64))
    rank_sum = float(ranks[labels].sum())
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def per_event_log_loss(y: npt.ArrayLike, scores: npt.ArrayLike) -> FloatArray:
    """Each event's negative log-likelihood under its score."""
    labels = np.asarray(y, dtype=np.float64)
    p = np.clip(np.asarray(scores, dtype=np.float64), EPS, 1.0 - EPS)
    losses: FloatArray = -(labels * np.log(p) + (1.0 - labels) * np.log1p(-p))
    return losses


def log_loss(y: npt.ArrayLike, scores: npt.ArrayLike) -> float:
    """Mean log-loss (binary cross-entropy)."""
    return float(np.mean(per_event_log_loss(y, scores)))


def precision_recall(
    y: npt.ArrayLike, scores: npt.ArrayLike, thresholds: npt.ArrayLike
) -> tuple[float, float]:
    """Precision and recall of ``score >= threshold``; 0.0 where undefined, as sklearn."""
    labels = np.asarray(y, dtype=bool)
    decided = np.asarray(scores, dtype=np.float64) >= np.asarray(thresholds, dtype=np.float64)
    true_positives = int(np.sum(labels & decided))
    predicted, actual = int(decided.sum()), int(labels.sum())
    precision = true_positives / predicted if predicted else 0.0
    recall = true_positives / actual if actual else 0.0
    return precision, recall


def expected_calibration_error(y: npt.ArrayLike, scores: npt.ArrayLike, n_bins: int = 10) -> float:
    """Mean absolute gap between score and outcome rate over equal-width score bins.

    Each bin's gap is weighted by its share of events; the top bin includes 1.0.
    """
    labels = np.asarray(y, dtype=np.float64)
    p = np.asarray(scores, dtype=np.float64)
    bins = np.minimum((p * n_bins).astype(np.int64), n_bins - 1)
    label_sums = np.bincount(bins, weights=labels, minlength=n_bins)
    score_sums = np.bincount(bins, weights=p, minlength=n_bins)
    return float(np.sum(np.abs(label_sums - score_sums)) / p.size)


def metric_value(
    name: str, y: npt.ArrayLike, scores: npt.ArrayLike, thresholds: npt.ArrayLike
) -> float | None:
    """One metric by its ``QualityReport`` name, computing nothing else."""
    if name == "roc_auc":
        return roc_auc(y, scores)
    if name == "log_loss":
        return log_loss(y, scores)
    if name == "ece":
        return expected_calibration_error(y, scores)
    precision, recall = precision_recall(y, scores, thresholds)
    return {"precision": precision, "recall": recall}[name]


@dataclass(frozen=True)
class QualityReport:
    """Quality over a set of labelled events.

    Attributes:
        n: Labelled events.
        positives: Events labelled fraud.
        roc_auc: Area under the ROC curve, ``None`` when only one class was seen.
        precision: Precision at the served thresholds.
        recall: Recall at the served thresholds.
        log_loss: Mean log-loss.
        ece: Expected calibration error (10 equal-width bins).
    """

    n: int
    positives: int
    roc_auc: float | None
    precision: float
    recall: float
    log_loss: float
    ece: float

    @classmethod
    def compute(
        cls, y: npt.ArrayLike, scores: npt.ArrayLike, thresholds: npt.ArrayLike
    ) -> QualityReport:
        """All metrics for one set of events."""
        labels = np.asarray(y, dtype=np.float64)
        precision, recall = precision_recall(labels, scores, thresholds)
        return cls(
            n=int(labels.size),
            positives=int(labels.sum()),
            roc_auc=roc_auc(labels, scores),
            precision=precision,
            recall=recall,
            log_loss=log_loss(labels, scores),
            ece=expected_calibration_error(labels, scores),
        )

    def metric(self, name: str) -> float | None:
        """A metric by name (``roc_auc``, ``precision``, ``recall``, ``log_loss``, ``ece``)."""
        value: float | None = getattr(self, name)
        return value
