"""Router: sticky canary share by entity hash; shadow scores everything and is never served."""

from __future__ import annotations

import math

import numpy as np

from inference.features import FeatureTable
from inference.routing import LoadedModel, Router, Variant, entity_bucket
from inference.scorer import OnnxScorer
from tests.unit.inference.onnx_models import onnx_bytes

NAMES = ("a", "b", "c")


def _model(version: str, seed: int) -> LoadedModel:
    return LoadedModel("fraud", version, 0.5, OnnxScorer(onnx_bytes(3, seed), None, NAMES))


def _table(n: int) -> FeatureTable:
    values = np.random.default_rng(0).normal(size=(n, 3))
    return FeatureTable(NAMES, values, np.zeros(n, bool), np.zeros(n, np.int64))


def test_canary_share_is_within_statistical_tolerance() -> None:
    share, n = 0.2, 20_000
    router = Router(_model("1", 0), _model("2", 1), canary_share=share)
    observed = router.canary_mask([f"card-{i}" for i in range(n)]).mean()
    # Four standard deviations of a binomial proportion.
    assert abs(observed - share) < 4 * math.sqrt(share * (1 - share) / n)


def test_canary_is_sticky_per_entity() -> None:
    router = Router(_model("1", 0), _model("2", 1), canary_share=0.5)
    entities = [f"card-{i % 37}" for i in range(1000)]
    mask = router.canary_mask(entities)
    by_entity: dict[str, set[bool]] = {}
    for entity, canary in zip(entities, mask.tolist(), strict=True):
        by_entity.setdefault(entity, set()).add(canary)
    assert all(len(v) == 1 for v in by_entity.values())
    # A fresh router (another replica, or after a restart) agrees.
    again = Router(_model("1", 0), _model("3", 2), canary_share=0.5).canary_mask(entities)
    np.testing.assert_array_equal(mask, again)
    assert entity_bucket("card-1") == entity_bucket("card-1")


def test_every_row_served_once_and_shadow_never_served() -> None:
    champion, canary, shadow = _model("1", 0), _model("2", 1), _model("9", 3)
    router = Router(champion, canary, shadow, canary_share=0.3)
    entities = [f"card-{i}" for i in range(200)]
    parts = router.score(_table(200), entities)
    served = [p for p in parts if p.served]
    assert {p.variant for p in served} == {Variant.CHAMPION, Variant.CANARY}
    rows = np.concatenate([p.rows for p in served])
    assert sorted(rows.tolist()) == list(range(200))
    (shadow_part,) = [p for p in parts if p.variant is Variant.SHADOW]
    assert not shadow_part.served
    assert shadow_part.model is shadow
    assert shadow_part.rows.tolist() == list(range(200))
    assert all(p.model is not shadow for p in served)


def test_no_canary_means_everything_goes_to_champion() -> None:
    router = Router(_model("1", 0), None, None, canary_share=0.5)
    (part,) = router.score(_table(10), [f"c{i}" for i in range(10)])
    assert part.variant is Variant.CHAMPION
    assert part.rows.tolist() == list(range(10))
    np.testing.assert_array_equal(part.scores, router.champion.scorer.score(part.features))
