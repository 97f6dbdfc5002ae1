"""The training baseline drift is measured against, stored with the model as JSON."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from monitors.exceptions import BaselineError

FORMAT_VERSION = 1
MAX_SAMPLE = 1_000
SCORE_COLUMN = "__score__"


@dataclass(frozen=True)
class ColumnBaseline:
    """The training distribution of one feature, or of the score.

    Attributes:
        name: Feature name (``SCORE_COLUMN`` for the score).
        edges: Inner bin cut points, strictly ascending; value ``x`` falls in bin
            ``searchsorted(edges, x, side="right")``, so there are ``len(edges) + 1`` bins.
        proportions: Share of the training values in each bin.
        sample: A sorted random sample of at most ``MAX_SAMPLE`` training values.
    """

    name: str
    edges: tuple[float, ...]
    proportions: tuple[float, ...]
    sample: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.proportions) != len(self.edges) + 1:
            raise BaselineError(f"{self.name}: need len(edges) + 1 proportions")
        if any(b <= a for a, b in zip(self.edges, self.edges[1:], strict=False)):
            raise BaselineError(f"{self.name}: bin edges must be strictly ascending")
        if not math.isclose(sum(self.proportions), 1.0, abs_tol=1e-6):
            raise BaselineError(f"{self.name}: proportions must sum to 1")
        if not 0 < len(self.sample) <= MAX_SAMPLE:
            raise BaselineError(f"{self.name}: sample must hold 1 to {MAX_SAMPLE} values")
        if any(b < a for a, b in zip(self.sample, self.sample[1:], strict=False)):
            raise BaselineError(f"{self.name}: sample must be sorted")

    @classmethod
    def fit(
        cls,
        name: str,
        values: npt.ArrayLike,
        n_bins: int = 10,
        sample_size: int = MAX_SAMPLE,
        seed: int = 0,
    ) -> ColumnBaseline:
        """Quantile bins, their proportions and a reference sample from training values.

        Ties collapse quantile edges, so a discrete feature gets fewer, wider bins.
        """
        data = np.asarray(values, dtype=np.float64)
        if data.size == 0 or not np.isfinite(data).all():
            raise BaselineError(f"{name}: training values must be finite and non-empty")
        quantiles = np.quantile(data, np.linspace(0.0, 1.0, n_bins + 1)[1:-1])
        edges = np.unique(quantiles)
        counts = np.bincount(np.searchsorted(edges, data, side="right"), minlength=edges.size + 1)
        rng = np.random.default_rng(seed)
        size = min(sample_size, MAX_SAMPLE, data.size)
        sample = np.sort(rng.choice(data, size=size, replace=False))
        return cls(
            name,
            tuple(edges.tolist()),
            tuple((counts / data.size).tolist()),
            tuple(sample.tolist()),
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {
            "name": self.name,
            "edges": list(self.edges),
            "proportions": list(self.proportions),
            "sample": list(self.sample),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnBaseline:
        """Reads what ``to_dict`` wrote."""
        try:
            return cls(
                str(data["name"]),
                tuple(float(v) for v in data["edges"]),
                tuple(float(v) for v in data["proportions"]),
                tuple(float(v) for v in data["sample"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise BaselineError(f"malformed column baseline: {error}") from error


@dataclass(frozen=True)
class Baseline:
    """The training distribution of every model input and of the score.

    Attributes:
        feature_names: Feature names in the model's input order (prediction.v1 ``features``).
        features: One column baseline per feature, in the same order.
        score: The baseline of the model's score on training (or validation) data.
    """

    feature_names: tuple[str, ...]
    features: tuple[ColumnBaseline, ...]
    score: ColumnBaseline

    def __post_init__(self) -> None:
        if tuple(column.name for column in self.features) != self.feature_names:
            raise BaselineError("feature baselines do not follow feature_names")

    @property
    def columns(self) -> tuple[ColumnBaseline, ...]:
        """Every monitored column: the features in input order, then the score."""
        return (*self.features, self.score)

    @classmethod
    def fit(
        cls,
        feature_names: Sequence[str],
        features: npt.ArrayLike,
        scores: npt.ArrayLike,
        n_bins: int = 10,
        seed: int = 0,
    ) -> Baseline:
        """Builds the baseline from a training matrix (rows x features) and its scores."""
        matrix = np.asarray(features, dtype=np.float64)
        if matrix.ndim != 2 or matrix.shape[1] != len(feature_names):
            raise BaselineError("features must be a matrix with one column per feature name")
        columns = tuple(
            ColumnBaseline.fit(name, matrix[:, i], n_bins=n_bins, seed=seed + i)
            for i, name in enumerate(feature_names)
        )
        score = ColumnBaseline.fit(SCORE_COLUMN, scores, n_bins=n_bins, seed=seed + len(columns))
        return cls(tuple(feature_names), columns, score)

    def to_json(self) -> str:
        """The baseline as the JSON the trainer stores next to the model."""
        return json.dumps(
            {
                "format_version": FORMAT_VERSION,
                "feature_names": list(self.feature_names),
                "features": [column.to_dict() for column in self.features],
                "score": self.score.to_dict(),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Baseline:
        """Reads what ``to_json`` wrote.

        Raises:
            BaselineError: If the text is not a baseline of a known format version.
        """
        try:
            data = json.loads(text)
            if data["format_version"] != FORMAT_VERSION:
                raise BaselineError(f"unknown baseline format {data['format_version']!r}")
            return cls(
                tuple(str(name) for name in data["feature_names"]),
                tuple(ColumnBaseline.from_dict(column) for column in data["features"]),
                ColumnBaseline.from_dict(data["score"]),
            )
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            raise BaselineError(f"malformed baseline: {error}") from error
