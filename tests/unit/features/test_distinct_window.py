"""A distinct value counts when the bucket of its last sighting is one the window keeps at the
evaluation time: the comparison on times must agree with the definition on bucket ids."""

from __future__ import annotations

import numpy as np

from streams.features.evaluation import _distinct

BUCKET_MS, BUCKETS = 1_800_000, 48


def _by_bucket_ids(segment: np.ndarray, at_ms: np.ndarray) -> np.ndarray:
    """The definition: ``t // bucket - buckets < seen // bucket <= t // bucket``."""
    hashes, seen = segment[:, 0::2], segment[:, 1::2].astype(np.int64) // BUCKET_MS
    current = (at_ms // BUCKET_MS)[:, None]
    kept = (hashes > 0) & (seen > current - BUCKETS) & (seen <= current)
    counted: np.ndarray = kept.sum(axis=1)
    return counted


def test_times_on_and_around_every_window_edge_count_as_their_bucket_ids_say() -> None:
    at = 1_700_000_000_000
    first_kept = (at // BUCKET_MS - BUCKETS + 1) * BUCKET_MS  # first ms of the oldest bucket
    next_bucket = (at // BUCKET_MS + 1) * BUCKET_MS  # first ms after the window
    seen = [first_kept - 1, first_kept, first_kept + 1, at, next_bucket - 1, next_bucket]
    segment = np.array([[v for s in seen for v in (7.0, float(s))]])
    counted = _distinct(segment, np.array([at]), BUCKET_MS, BUCKETS)
    # Kept: the oldest bucket's first ms and the next, the scored time, the last ms of the
    # current bucket (an event later in the same bucket); not the ms before or after.
    assert counted.tolist() == [4]
    assert counted.tolist() == _by_bucket_ids(segment, np.array([at])).tolist()


def test_random_segments_agree_with_the_definition() -> None:
    rng = np.random.default_rng(3)
    at = rng.integers(1_600_000_000_000, 1_700_000_000_000, size=500)
    seen = at[:, None] + rng.integers(-3 * 86_400_000, 86_400_000, size=(500, 32))
    hashes = rng.integers(0, 3, size=(500, 32)).astype(np.float64)  # 0 = empty slot
    segment = np.empty((500, 64))
    segment[:, 0::2], segment[:, 1::2] = hashes, seen.astype(np.float64)
    counted = _distinct(segment, at, BUCKET_MS, BUCKETS)
    assert counted.tolist() == _by_bucket_ids(segment, at).tolist()
    assert 0 < counted.sum() < (hashes > 0).sum()  # both kinds of slot occur
