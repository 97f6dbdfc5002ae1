"""Warming a view up compiles what its reads run: reads of one stored row and of several
hand the kernel arrays of different layouts, and a read must not wait for a compilation."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# In a fresh interpreter, so that nothing compiled by another test hides a missing variant;
# numba's cache goes to a new directory, so each variant is compiled, not loaded.
SCRIPT = """
from streams.features import CARD, FeatureAggregator
from streams.features.aggregator import SourceEvent
from streams.features.layout import layout_of
from streams.features.online_kernel import _features
from streams.features.row_codec import encode_row, online_features, warm_up
from tests.unit.features.conftest import seeded_stream

records = seeded_stream(400, seed=3)
events = [SourceEvent.of(CARD, r, topic="t", partition=0, offset=i) for i, r in enumerate(records)]
rows = list(FeatureAggregator(CARD, allowed_lateness_ms=2**40).apply(events).rows)
blobs = [encode_row(row, 0, layout_of(CARD)) for row in rows]
warm_up(CARD)
warmed = len(_features.signatures)  # numba's compiled variants of the kernel
at = records[-1]["event_time"]
for n in (1, 2, 50):
    found = online_features(CARD, blobs[:n], [None] * n, [at] * n).found
    assert found.all(), found
print(warmed, len(_features.signatures))
"""


def test_reads_of_one_row_and_of_many_run_what_warm_up_compiled(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    warmed, after = done.stdout.split()
    assert int(warmed) > 0
    assert after == warmed
