"""The prediction codec and its fast encoder, shared by the encoder's tests."""

from __future__ import annotations

import pytest

from schemas import AvroCodec, PredictionEncoder
from schemas.catalog import default_catalog


@pytest.fixture(scope="module")
def codec() -> AvroCodec:
    return AvroCodec(default_catalog(), "prediction")


@pytest.fixture(scope="module")
def encoder(codec: AvroCodec) -> PredictionEncoder:
    encoder = PredictionEncoder(codec)
    assert encoder.fast
    return encoder
