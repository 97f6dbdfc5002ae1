"""Which model scores which event: champion serves, a canary takes a sticky share of
entities, a shadow scores everything and is never served."""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from inference.features import FeatureTable
from inference.scorer import OnnxScorer

_HASH_SPACE = float(2**64)


class Variant(enum.StrEnum):
    """The role a model plays; the value is the ``variant`` symbol of ``prediction.v1``."""

    CHAMPION = "CHAMPION"
    CANARY = "CANARY"
    SHADOW = "SHADOW"


@dataclass(frozen=True)
class LoadedModel:
    """A model whose session is loaded, checked and warm.

    Attributes:
        name: Registered model name.
        version: Registry version.
        threshold: Decision threshold on the score.
        scorer: The session.
    """

    name: str
    version: str
    threshold: float
    scorer: OnnxScorer

    @property
    def feature_names(self) -> tuple[str, ...]:
        """Input columns of the model, in order."""
        return self.scorer.feature_names


@dataclass(frozen=True)
class VariantScores:
    """Scores of one variant for a subset of a batch.

    Attributes:
        variant: Role of the model.
        model: The model that scored.
        rows: Indices into the batch of the rows scored.
        features: The matrix scored, one row per index in ``rows``.
        scores: Positive-class probabilities, one per index in ``rows``.
    """

    variant: Variant
    model: LoadedModel
    rows: npt.NDArray[np.intp]
    features: npt.NDArray[np.float32]
    scores: npt.NDArray[np.float64]

    @property
    def served(self) -> bool:
        """Whether these predictions go to the served predictions topic."""
        return self.variant is not Variant.SHADOW


def entity_bucket(entity_id: str) -> float:
    """A stable position in ``[0, 1)`` for an entity: the first 8 bytes of its sha256."""
    digest = hashlib.sha256(entity_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / _HASH_SPACE


class Router:
    """Routes a batch to champion/canary and scores every row with the shadow too.

    Immutable: a model swap builds a new router, so a batch is scored by one consistent set
    of models from start to end.

    Args:
        champion: Serves every entity outside the canary share.
        canary: Serves entities whose bucket is below ``canary_share``; None disables it.
        shadow: Scores every row; never served.
        canary_share: Share of entities in ``[0, 1]`` routed to the canary.
    """

    def __init__(
        self,
        champion: LoadedModel,
        canary: LoadedModel | None = None,
        shadow: LoadedModel | None = None,
        canary_share: float = 0.0,
    ) -> None:
        if not 0.0 <= canary_share <= 1.0:
            raise ValueError(f"canary_share must be in [0, 1], got {canary_share}")
        self.champion = champion
        self.canary = canary
        self.shadow = shadow
        self.canary_share = canary_share if canary is not None else 0.0

    def models(self) -> dict[Variant, LoadedModel]:
        """The loaded models by role."""
        out = {Variant.CHAMPION: self.champion}
        if self.canary is not None:
            out[Variant.CANARY] = self.canary
        if self.shadow is not None:
            out[Variant.SHADOW] = self.shadow
        return out

    def canary_mask(self, entity_ids: Sequence[str]) -> npt.NDArray[np.bool_]:
        """True where the entity is served by the canary (sticky: depends on the id only)."""
        if self.canary_share <= 0.0:
            return np.zeros(len(entity_ids), dtype=bool)
        buckets = np.fromiter((entity_bucket(e) for e in entity_ids), float, len(entity_ids))
        return buckets < self.canary_share

    def score(self, table: FeatureTable, entity_ids: Sequence[str]) -> list[VariantScores]:
        """Scores a batch: each row once by champion or canary, and once by the shadow."""
        canary = self.canary_mask(entity_ids)
        plan: list[tuple[Variant, LoadedModel, npt.NDArray[np.intp]]] = [
            (Variant.CHAMPION, self.champion, np.flatnonzero(~canary))
        ]
        if self.canary is not None:
            plan.append((Variant.CANARY, self.canary, np.flatnonzero(canary)))
        if self.shadow is not None:
            plan.append((Variant.SHADOW, self.shadow, np.arange(len(entity_ids))))
        out = []
        for variant, model, rows in plan:
            if rows.size == 0:
                continue
            matrix = table.select(model.feature_names, rows)
            out.append(VariantScores(variant, model, rows, matrix, model.scorer.score(matrix)))
        return out
