"""The training baseline the drift monitors compare live traffic against.

A JSON-serialisable dict, stored as the run artifact ``baseline.json``::

    {"feature_names": [...],
     "features": {name: {"edges": [...], "proportions": [...], "sample": [...]}},
     "score": {"edges": [...], "proportions": [...], "sample": [...]}}

Edges are the inner quantile edges (duplicates from discrete features removed); the first
and last bins are open-ended, so there is one more proportion than edges. Proportions are
the share of rows per bin; the sample is a seeded draw of at most 1,000 values, for KS-type tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

BASELINE_BINS = 10
SAMPLE_SIZE = 1000


def distribution(
    values: npt.NDArray[np.floating],
    rng: np.random.Generator,
    bins: int = BASELINE_BINS,
    sample_size: int = SAMPLE_SIZE,
) -> dict[str, list[float]]:
    """Inner quantile edges, per-bin proportions and a sample of one variable.

    Bin ``i`` holds values in ``(edges[i-1], edges[i]]``; bin 0 is ``<= edges[0]`` and the
    last bin is ``> edges[-1]``, so there are ``len(edges) + 1`` proportions.
    """
    values = np.asarray(values, dtype=np.float64)
    quantiles = np.quantile(values, np.linspace(0, 1, bins + 1)[1:-1])
    edges = np.unique(quantiles)
    counts = np.bincount(np.searchsorted(edges, values, side="left"), minlength=edges.size + 1)
    take = min(sample_size, values.size)
    sample = rng.choice(values, size=take, replace=False) if take else values[:0]
    return {
        "edges": [float(e) for e in edges],
        "proportions": [float(c) / max(values.size, 1) for c in counts],
        "sample": [float(s) for s in sample],
    }


def build_baseline(
    x: npt.NDArray[np.float32],
    feature_names: Sequence[str],
    scores: npt.NDArray[np.float64],
    seed: int,
) -> dict[str, Any]:
    """The baseline dict of a training matrix and the model's scores on it."""
    rng = np.random.default_rng(seed)
    features = {name: distribution(x[:, i], rng) for i, name in enumerate(feature_names)}
    return {
        "feature_names": list(feature_names),
        "features": features,
        "score": distribution(scores, rng),
    }
