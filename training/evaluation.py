"""Quality metrics of a score vector against labels, and the operating threshold.

The threshold is the one that maximises F1 on the validation set, unless a target precision
is given, in which case it is the lowest threshold whose precision reaches the target (the
most recall at that precision). Both are computed on the ONNX scores, which are what
serving thresholds.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt
from sklearn.metrics import (
    average_precision_score,
    log_loss,
    precision_recall_curve,
    roc_auc_score,
)

Scores = npt.NDArray[np.float64]
Labels = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Metrics:
    """Validation metrics of one model.

    Attributes:
        roc_auc: Area under the ROC curve.
        pr_auc: Average precision (area under the precision-recall curve).
        log_loss: Mean negative log-likelihood.
        precision: Precision at ``threshold``.
        recall: Recall at ``threshold``.
        threshold: The operating threshold (score >= threshold flags the event).
        ece: Expected calibration error over 10 equal-width bins.
        rows: Validation rows.
        positives: Positive labels among them.
    """

    roc_auc: float
    pr_auc: float
    log_loss: float
    precision: float
    recall: float
    threshold: float
    ece: float
    rows: int
    positives: int

    def as_dict(self) -> dict[str, float]:
        """The metrics as a flat dict of floats, for tracking."""
        return {key: float(value) for key, value in asdict(self).items()}


def choose_threshold(y: Labels, scores: Scores, target_precision: float | None = None) -> float:
    """The operating threshold: max F1, or the lowest one reaching ``target_precision``."""
    precision, recall, thresholds = precision_recall_curve(y, scores)
    precision, recall = precision[:-1], recall[:-1]
    if target_precision is not None:
        reaching = np.flatnonzero(precision >= target_precision)
        if reaching.size:
            return float(thresholds[reaching[0]])
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
    return float(thresholds[int(np.argmax(f1))])


def expected_calibration_error(y: Labels, scores: Scores, bins: int = 10) -> float:
    """Weighted mean gap between mean score and positive rate over equal-width score bins."""
    index = np.minimum((scores * bins).astype(np.int64), bins - 1)
    total = 0.0
    for b in range(bins):
        members = index == b
        if members.any():
            gap = abs(float(scores[members].mean()) - float(y[members].mean()))
            total += gap * float(members.mean())
    return total


def evaluate(y: Labels, scores: Scores, threshold: float) -> Metrics:
    """All validation metrics of ``scores`` at ``threshold``."""
    flagged = scores >= threshold
    true_positives = int(np.sum(flagged & (y == 1)))
    return Metrics(
        roc_auc=float(roc_auc_score(y, scores)),
        pr_auc=float(average_precision_score(y, scores)),
        log_loss=float(log_loss(y, np.clip(scores, 1e-7, 1 - 1e-7), labels=[0, 1])),
        precision=true_positives / max(int(flagged.sum()), 1),
        recall=true_positives / max(int(np.sum(y == 1)), 1),
        threshold=float(threshold),
        ece=expected_calibration_error(y, scores),
        rows=int(y.size),
        positives=int(np.sum(y == 1)),
    )
