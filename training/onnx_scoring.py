"""Scoring serialised ONNX models with ONNX Runtime, for parity checks and gates."""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import onnxruntime as ort

from training.onnx_export import INPUT_NAME, PROBABILITY_OUTPUT


class OnnxScorer:
    """An ONNX Runtime session over model bytes returning positive-class probabilities.

    Args:
        model: Serialised ONNX model from :func:`training.onnx_export.export_onnx`.
        providers: Execution providers in preference order (CPU by default, so parity
            checks compare like with like).
        threads: Intra-op threads; one keeps timings and results stable on shared hosts.
    """

    def __init__(
        self,
        model: bytes,
        providers: Sequence[str] = ("CPUExecutionProvider",),
        threads: int = 1,
    ) -> None:
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(model, options, providers=list(providers))

    def score(self, x: npt.NDArray[np.floating]) -> npt.NDArray[np.float64]:
        """Probability of the positive class for each row of ``x``."""
        feed = {INPUT_NAME: np.ascontiguousarray(x, dtype=np.float32)}
        (probabilities,) = self._session.run([PROBABILITY_OUTPUT], feed)
        return np.asarray(probabilities, dtype=np.float64)[:, 1]

    def latency_p99_ms(self, x: npt.NDArray[np.float32], repeats: int = 30) -> float:
        """p99 wall time in milliseconds of scoring the whole batch ``x``, after one warm-up."""
        self.score(x)
        timings = []
        for _ in range(repeats):
            started = time.perf_counter()
            self.score(x)
            timings.append((time.perf_counter() - started) * 1000.0)
        return float(np.percentile(timings, 99))


def max_abs_diff(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> float:
    """Largest absolute difference between two score vectors (0.0 when empty)."""
    return float(np.max(np.abs(a - b))) if a.size else 0.0
