"""Fixtures for the checks of infra/: repository paths and the external validators.

A validator that is not installed skips the test locally and fails it under CI=true, so a CI
image without it can never pass these checks silently.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

INFRA = Path(__file__).resolve().parents[3] / "infra"
IN_CI = os.environ.get("CI", "").lower() == "true"

# Debian package that provides each tool (the Makefile's system-deps step installs them).
APT_PACKAGE = {"docker-compose": "docker-compose", "promtool": "prometheus"}


@pytest.fixture(scope="session")
def infra_dir() -> Path:
    """The repository's infra/ directory."""
    return INFRA


@pytest.fixture(scope="session")
def require_tool() -> Callable[[str], str]:
    """Returns a function giving a tool's path, or skipping (failing under CI) without it."""

    def find(name: str) -> str:
        path = shutil.which(name)
        if path is None:
            message = f"{name} not found (apt-get install -y {APT_PACKAGE.get(name, name)})"
            if IN_CI:
                pytest.fail(message, pytrace=False)
            pytest.skip(message)
        return path

    return find
