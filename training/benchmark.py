"""The training figures the benchmark suite records (``benchmarks/`` writes them as JSON)."""

from __future__ import annotations

from typing import Any

from training.candidate import fit_candidate
from training.dataset import DatasetSpec, build_dataset
from training.synthetic import CardHistoryFeatures, synthetic_events
from training.trainer import TrainerConfig


def training_benchmark(seed: int, rows: int = 20_000, family: str = "hgb") -> dict[str, Any]:
    """Trains twice on the same seeded synthetic data and reports reproducibility and quality.

    Returns:
        ``onnx_sha256_run1``/``run2`` (equal when training is reproducible), ``roc_auc``,
        ``pr_auc``, ``onnx_parity_max_abs_diff``, ``train_seconds`` (first run), ``rows``
        (labelled rows used) and ``reproducible``.
    """
    events, labels = synthetic_events(rows, seed)
    cutoff = max(int(label["label_time"]) for label in labels)
    dataset = build_dataset(events, labels, CardHistoryFeatures(events), DatasetSpec(cutoff))
    config = TrainerConfig(family="mlp" if family == "mlp" else "hgb", seed=seed)
    first = fit_candidate(dataset, config)
    second = fit_candidate(dataset, config)
    return {
        "family": config.family,
        "onnx_sha256_run1": first.sha256,
        "onnx_sha256_run2": second.sha256,
        "reproducible": first.sha256 == second.sha256 and first.metrics == second.metrics,
        "roc_auc": first.metrics.roc_auc,
        "pr_auc": first.metrics.pr_auc,
        "onnx_parity_max_abs_diff": first.parity_max_abs_diff,
        "train_seconds": first.model.train_seconds,
        "rows": dataset.stats.labelled,
    }


def training_cli_benchmark(context: object, seed: int) -> dict[str, Any]:
    """``eventml bench training``: the gradient-boosted family on 20,000 seeded rows."""
    return training_benchmark(seed)
