"""The compiled online kernel without anywhere to cache it (a read-only install run by a user
without a writable home): numba refuses ``cache=True`` there, so it is compiled in memory."""

from __future__ import annotations

import subprocess
import sys

# In a fresh interpreter: numba finds no cache locator (as with a read-only package directory
# and home), then the kernel module is imported and a read of every view evaluated with it.
SCRIPT = """
from numba.core import caching
caching.CacheImpl._locator_classes = []
from streams.features.catalog import list_views
from streams.features.row_codec import online_features
for view in list_views():
    features = online_features(view, [None], ["e-1"], [1_700_000_000_000])
    assert features.values.shape == (1, len(view.feature_names)), features.values.shape
    assert not features.found.any()
print("evaluated")
"""


def test_the_kernel_compiles_in_memory_where_nothing_can_be_cached() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "evaluated"
