"""RouterLoader, ModelSwapper, providers and model events: what gets loaded, and when."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from inference.exceptions import ModelIntegrityError, ModelLoadError, ModelSignatureError
from inference.model_events import needs_reload
from inference.model_loader import ModelSwapper, RouterLoader
from inference.model_provider import DirectoryModelProvider, InMemoryModelProvider, ModelArtifact
from inference.settings import InferenceSettings
from tests.unit.inference.onnx_models import ALL_NAMES, artifact

SETTINGS = InferenceSettings(canary_share=0.25)


def test_loads_champion_canary_and_shadow() -> None:
    provider = InMemoryModelProvider(
        {"champion": artifact("1"), "challenger": artifact("2", 1), "shadow": artifact("3", 2)}
    )
    router = RouterLoader(provider, SETTINGS, ALL_NAMES).load()
    assert router.champion.version == "1"
    assert router.canary is not None and router.canary.version == "2"
    assert router.shadow is not None and router.shadow.version == "3"
    assert router.canary_share == 0.25


def test_unset_champion_is_a_load_error_and_unset_canary_is_none() -> None:
    with pytest.raises(ModelLoadError, match="champion"):
        RouterLoader(InMemoryModelProvider(), SETTINGS, ALL_NAMES).load()
    router = RouterLoader(
        InMemoryModelProvider({"champion": artifact("1")}), SETTINGS, ALL_NAMES
    ).load()
    assert router.canary is None and router.shadow is None and router.canary_share == 0.0


def test_model_needing_features_the_service_cannot_build_is_refused() -> None:
    names = (*ALL_NAMES[:-1], "merchant_fraud_rate_7d")
    provider = InMemoryModelProvider({"champion": artifact("1", names=names)})
    with pytest.raises(ModelSignatureError, match="merchant_fraud_rate_7d"):
        RouterLoader(provider, SETTINGS, ALL_NAMES).load()


def test_unchanged_versions_reuse_their_session() -> None:
    provider = InMemoryModelProvider({"champion": artifact("1"), "shadow": artifact("3", 2)})
    loader = RouterLoader(provider, SETTINGS, ALL_NAMES)
    first = loader.load()
    provider.set("champion", artifact("2", 5))
    second = loader.load()
    assert second.shadow is first.shadow
    assert second.champion.version == "2"


def test_swapper_keeps_the_old_router_when_the_new_model_is_corrupt() -> None:
    provider = InMemoryModelProvider({"champion": artifact("1")})
    swapper = ModelSwapper(RouterLoader(provider, SETTINGS, ALL_NAMES))
    good = artifact("2", 3)
    corrupt = ModelArtifact(
        good.name, "2", good.onnx_bytes[:-10], good.sha256, good.feature_names, 0.5
    )
    provider.set("champion", corrupt)
    swapper.request()
    deadline = time.monotonic() + 10
    while swapper.failures == 0 and time.monotonic() < deadline:
        assert swapper.ready() is None
        time.sleep(0.01)
    assert swapper.failures == 1
    provider.set("champion", good)
    swapper.request()
    router = None
    while router is None and time.monotonic() < deadline:
        router = swapper.ready()
        time.sleep(0.01)
    assert router is not None and router.champion.version == "2"
    swapper.close()


def test_directory_provider_round_trip_and_integrity(tmp_path: Path) -> None:
    provider = DirectoryModelProvider(tmp_path)
    assert provider.resolve("champion") is None
    written = artifact("7")
    provider.write("champion", written)
    assert provider.resolve("champion") == written
    (tmp_path / "champion" / "model.onnx").write_bytes(b"tampered")
    with pytest.raises(ModelIntegrityError):
        RouterLoader(provider, SETTINGS, ALL_NAMES).load()


@pytest.mark.parametrize(
    ("action", "alias", "expected"),
    [
        ("PROMOTED", "champion", True),
        ("ALIAS_SET", "challenger", True),
        ("ALIAS_SET", "staging", False),
        ("ROLLED_BACK", None, True),
        ("REGISTERED", None, False),
        ("GATE_FAILED", "challenger", False),
    ],
)
def test_which_model_events_reload(action: str, alias: str | None, expected: bool) -> None:
    aliases = frozenset({"champion", "challenger", "shadow"})
    assert needs_reload({"action": action, "alias": alias}, aliases) is expected
