"""Prediction records and the non-finite feature guard."""

from __future__ import annotations

import numpy as np

from inference.features import FeatureTable
from inference.predictions import build_predictions
from inference.routing import LoadedModel, Router
from inference.scorer import OnnxScorer
from inference.stages import drop_non_finite
from schemas import PredictionEncoder, default_catalog
from schemas.codec import AvroCodec
from streams.kafka.message import RawRecord
from tests.unit.inference.onnx_models import event, onnx_bytes

NAMES = ("a", "b")


def _table(values: list[list[float]], missing: list[bool]) -> FeatureTable:
    return FeatureTable(
        NAMES, np.array(values), np.array(missing), np.array([5, 0], dtype=np.int64)
    )


def test_records_name_model_version_variant_and_encode_as_prediction_v1() -> None:
    model = LoadedModel("fraud", "4", 0.5, OnnxScorer(onnx_bytes(2), None, NAMES))
    shadow = LoadedModel("fraud", "5", 0.9, OnnxScorer(onnx_bytes(2, 1), None, NAMES))
    events = [event(1, card="c-a"), event(2, card="c-b")]
    table = _table([[1.0, 2.0], [3.0, 4.0]], [False, True])
    scored = Router(model, None, shadow).score(table, ["c-a", "c-b"])
    out = build_predictions(events, table, scored, [1000, 1000], now_ms=1250)
    assert [(p.served, p.columns.variant, p.columns.model_version, p.keys) for p in out] == [
        (True, "CHAMPION", "4", [b"c-a", b"c-b"]),
        (False, "SHADOW", "5", [b"c-a", b"c-b"]),
    ]
    first, second = out[0].columns.records()
    assert first["event_id"] == "e-1" and first["entity"] == "c-a"
    assert first["features"].tolist() == [1.0, 2.0]
    assert first["features_missing"] is False and first["feature_freshness_ms"] == 5
    assert second["features_missing"] is True and second["feature_freshness_ms"] is None
    assert first["latency_ms"] == 250.0 and first["decision"] == (first["score"] >= 0.5)
    assert first["scored_at"] == 1250 and first["event_time"] == events[0]["event_time"]
    codec = AvroCodec(default_catalog(), "prediction")
    written = PredictionEncoder(codec).encode_part(out[0].columns)
    assert [codec.decode(data)["event_id"] for data in written] == ["e-1", "e-2"]
    assert codec.decode(written[0])["features"] == [1.0, 2.0]


def test_non_finite_rows_become_dead_letters() -> None:
    table = _table([[1.0, float("nan")], [3.0, 4.0]], [False, False])
    records = [(RawRecord("events", 0, i, b"x"), event(i)) for i in range(2)]
    kept, kept_table, dead = drop_non_finite(records, table, "inference")  # type: ignore[arg-type]
    assert [r["event_id"] for _, r in kept] == ["e-1"]
    assert kept_table.values.tolist() == [[3.0, 4.0]]
    assert [(d.offset, d.reason, d.stage) for d in dead] == [(0, "invalid_feature", "inference")]
