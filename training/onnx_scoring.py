"""Scoring candidate models with the very scorer the inference service uses.

Parity checks run on CPU (so they compare like with like); the latency gate times the
scorer with serving's default options.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from inference.scorer import OnnxScorer, ScorerOptions

CPU_ONLY = ScorerOptions(prefer_cuda=False)


def cpu_scorer(model: bytes, feature_names: Sequence[str]) -> OnnxScorer:
    """The serving scorer pinned to the CPU provider (signature checked at load)."""
    return OnnxScorer(model, None, feature_names, CPU_ONLY)


def latency_p99_ms(scorer: OnnxScorer, x: npt.NDArray[np.float32], repeats: int = 30) -> float:
    """p99 wall time in milliseconds of scoring the whole batch ``x`` (warm-up done at load)."""
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        scorer.score(x)
        timings.append((time.perf_counter() - started) * 1000.0)
    return float(np.percentile(timings, 99))


def max_abs_diff(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> float:
    """Largest absolute difference between two score vectors (0.0 when empty)."""
    return float(np.max(np.abs(a - b))) if a.size else 0.0
