"""ONNX scoring: verify, load, check the signature, warm up, then score batches.

Everything that can be wrong with a model (bytes, sha256, input signature, outputs) is found
at load time, so a model that loads scores; a model that cannot score never loads.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import onnx
import onnxruntime as ort
from google.protobuf.message import DecodeError as ProtobufDecodeError  # type: ignore[import-untyped]

from inference.exceptions import ModelIntegrityError, ModelSignatureError, ScoringError

log = logging.getLogger(__name__)

CUDA = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"
FEATURE_NAMES_KEY = "eventml.feature_names"
ML_DOMAIN = "ai.onnx.ml"
FloatMatrix = npt.NDArray[np.floating[Any]]


@dataclass(frozen=True)
class ScorerOptions:
    """Session options of an :class:`OnnxScorer`.

    Attributes:
        prefer_cuda: Try ``CUDAExecutionProvider`` first when ONNX Runtime offers it.
        intra_op_threads: Threads inside one operator (0 lets ONNX Runtime decide).
        inter_op_threads: Threads across operators.
    """

    prefer_cuda: bool = True
    intra_op_threads: int = 1
    inter_op_threads: int = 1


def choose_providers(prefer_cuda: bool, available: Sequence[str]) -> list[str]:
    """CUDA then CPU when CUDA is available and wanted, else CPU only."""
    return [CUDA, CPU] if prefer_cuda and CUDA in available else [CPU]


def verify_model_bytes(model: bytes, sha256: str | None) -> onnx.ModelProto:
    """Checks the digest, then that the bytes are an ONNX model with a graph.

    Raises:
        ModelIntegrityError: Digest mismatch, or bytes that are not an ONNX model.
    """
    if sha256 is not None:
        actual = hashlib.sha256(model).hexdigest()
        if actual != sha256.lower():
            raise ModelIntegrityError(f"sha256 mismatch: expected {sha256}, got {actual}")
    try:
        proto = onnx.load_model_from_string(model)
    except (ProtobufDecodeError, ValueError) as exc:
        raise ModelIntegrityError(f"not an ONNX model: {exc}") from exc
    # Arbitrary bytes often parse as an empty protobuf message: require a real graph.
    if proto.ir_version == 0 or not proto.graph.node:
        raise ModelIntegrityError("not an ONNX model: no IR version or empty graph")
    return proto


class OnnxScorer:
    """One ONNX Runtime session returning positive-class probabilities.

    Args:
        model: Serialised ONNX model.
        sha256: Expected hex digest of ``model`` (checked before parsing); None skips it.
        feature_names: The columns the service builds, in order; the model's single input
            must be float32 ``[None, len(feature_names)]`` and, when it stores
            ``eventml.feature_names`` metadata, list the same names.
        options: Providers and threads.

    Raises:
        ModelIntegrityError: Bad digest or not ONNX.
        ModelSignatureError: Input or output signature the service cannot feed or read.
    """

    def __init__(
        self,
        model: bytes,
        sha256: str | None,
        feature_names: Sequence[str],
        options: ScorerOptions = ScorerOptions(),
    ) -> None:
        proto = verify_model_bytes(model, sha256)
        self.sha256 = hashlib.sha256(model).hexdigest()
        self.feature_names = tuple(feature_names)
        _check_metadata_names(proto, self.feature_names)
        session_options = ort.SessionOptions()
        session_options.intra_op_num_threads = options.intra_op_threads
        session_options.inter_op_num_threads = options.inter_op_threads
        providers = choose_providers(options.prefer_cuda, ort.get_available_providers())
        try:
            self._session = ort.InferenceSession(model, session_options, providers=providers)
        except (RuntimeError, ValueError) as exc:
            raise ModelIntegrityError(f"ONNX Runtime refused the model: {exc}") from exc
        self._input = _check_input(self._session, len(self.feature_names))
        self._output, self._output_is_tensor = _pick_output(self._session)
        self._bind_on_cuda = self._output_is_tensor and self.session_providers[0] == CUDA
        self.cpu_only_ops = tuple(
            sorted({n.op_type for n in proto.graph.node if n.domain == ML_DOMAIN})
        )
        self._log_placement()
        self.score(np.zeros((1, len(self.feature_names)), dtype=np.float32))  # warm-up

    @property
    def session_providers(self) -> list[str]:
        """Providers the session was created with, in priority order."""
        return list(self._session.get_providers())

    @property
    def active_provider(self) -> str:
        """The provider that actually runs the model.

        ONNX Runtime has no CUDA kernels for ``ai.onnx.ml`` operators (tree ensembles,
        linear classifiers, ZipMap): when the graph is made of them it runs on CPU even in a
        CUDA session, and this says so.
        """
        first = self.session_providers[0]
        if first == CUDA and self.cpu_only_ops:
            return CPU
        return first

    def score(self, matrix: FloatMatrix) -> npt.NDArray[np.float64]:
        """Positive-class probability of each row of ``matrix`` (``[n, features]``).

        Raises:
            ScoringError: Wrong shape, or ONNX Runtime failed.
        """
        x = np.ascontiguousarray(matrix, dtype=np.float32)
        if x.ndim != 2 or x.shape[1] != len(self.feature_names):
            raise ScoringError(f"expected [n, {len(self.feature_names)}], got {list(x.shape)}")
        if x.shape[0] == 0:
            return np.zeros(0, dtype=np.float64)
        try:
            if self._bind_on_cuda:
                raw: Any = self._run_bound(x)
            else:
                raw = self._session.run([self._output], {self._input: x})[0]
        except (RuntimeError, ValueError) as exc:
            raise ScoringError(f"ONNX Runtime failed on a batch of {x.shape[0]}: {exc}") from exc
        return _positive_class(raw, self._output_is_tensor)

    def _run_bound(self, x: npt.NDArray[np.float32]) -> npt.NDArray[Any]:
        # IO binding: the input is copied to the device once, the output read back once,
        # instead of ONNX Runtime staging both through its own buffers on every run.
        binding = self._session.io_binding()
        binding.bind_cpu_input(self._input, x)
        binding.bind_output(self._output, "cuda")
        self._session.run_with_iobinding(binding)
        return np.asarray(binding.copy_outputs_to_cpu()[0])

    def _log_placement(self) -> None:
        if self.session_providers[0] == CUDA and self.cpu_only_ops:
            log.warning(
                "model runs on CPU inside a CUDA session: ONNX Runtime has no CUDA kernel for %s",
                ", ".join(self.cpu_only_ops),
            )
        else:
            log.info("model runs on %s", self.active_provider)


def _check_metadata_names(proto: onnx.ModelProto, expected: tuple[str, ...]) -> None:
    props = {p.key: p.value for p in proto.metadata_props}
    if FEATURE_NAMES_KEY not in props:
        return
    stored = tuple(json.loads(props[FEATURE_NAMES_KEY]))
    if stored != expected:
        raise ModelSignatureError(
            f"model was trained on features {stored}, service builds {expected}"
        )


def _check_input(session: ort.InferenceSession, n_features: int) -> str:
    inputs = session.get_inputs()
    if len(inputs) != 1:
        raise ModelSignatureError(f"expected one input, model has {[i.name for i in inputs]}")
    (arg,) = inputs
    shape = list(arg.shape)
    fixed_rows = len(shape) == 2 and isinstance(shape[0], int) and shape[0] > 0
    if arg.type != "tensor(float)" or len(shape) != 2 or fixed_rows or shape[1] != n_features:
        raise ModelSignatureError(
            f"input {arg.name!r} is {arg.type} {shape}; expected tensor(float) [None, {n_features}]"
        )
    return str(arg.name)


def _pick_output(session: ort.InferenceSession) -> tuple[str, bool]:
    outputs = session.get_outputs()
    tensors = [o for o in outputs if o.type in ("tensor(float)", "tensor(double)")]
    # A symbolic column count (a string) is accepted and checked on the first run (warm-up).
    two_columns = [
        o
        for o in tensors
        if len(o.shape) == 2 and (o.shape[1] == 2 or not isinstance(o.shape[1], int))
    ]
    named = [o for o in two_columns if "prob" in o.name.lower()]
    if named or two_columns:
        return str((named or two_columns)[0].name), True
    maps = [o for o in outputs if o.type.startswith("seq(map(")]
    if maps:
        return str(maps[0].name), False
    raise ModelSignatureError(f"no probability output among {[o.name for o in outputs]}")


def _positive_class(raw: Any, is_tensor: bool) -> npt.NDArray[np.float64]:
    if is_tensor:
        probabilities = np.asarray(raw, dtype=np.float64)
        if probabilities.ndim != 2 or probabilities.shape[1] != 2:
            raise ScoringError(f"probability output has shape {list(probabilities.shape)}")
        return probabilities[:, 1].copy()
    # ZipMap: one {label: probability} dict per row; the positive label is 1 (or "1").
    return np.array([float(row.get(1, row.get("1", 0.0))) for row in raw], dtype=np.float64)
