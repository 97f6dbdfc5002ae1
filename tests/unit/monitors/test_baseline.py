from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import ks_2samp

from monitors import Baseline, BaselineError, ColumnBaseline
from monitors.drift_statistics import ReferenceColumn


def test_baseline_round_trips_through_json() -> None:
    rng = np.random.default_rng(0)
    matrix = np.column_stack([rng.lognormal(size=5000), rng.poisson(0.3, 5000)])
    baseline = Baseline.fit(("amount", "count"), matrix, rng.random(5000))

    assert Baseline.from_json(baseline.to_json()) == baseline
    assert len(baseline.features[0].sample) == 1000
    assert len(baseline.features[0].edges) == 9
    assert len(baseline.features[1].edges) < 9  # ties collapse the count's quantiles


@pytest.mark.parametrize("text", ["{", '{"format_version": 9}', '{"format_version": 1}'])
def test_malformed_baseline_is_rejected(text: str) -> None:
    with pytest.raises(BaselineError):
        Baseline.from_json(text)


def test_column_baseline_validates_its_invariants() -> None:
    with pytest.raises(BaselineError):
        ColumnBaseline("x", (1.0, 0.5), (0.3, 0.3, 0.4), (0.0,))
    with pytest.raises(BaselineError):
        ColumnBaseline("x", (0.5,), (0.3, 0.3), (0.0,))


def test_ks_matches_scipy_and_psi_is_small_without_drift() -> None:
    rng = np.random.default_rng(1)
    reference = ReferenceColumn(ColumnBaseline.fit("x", rng.normal(size=20_000)))
    window = rng.normal(size=500)
    expected = ks_2samp(window, reference.sample, method="asymp")

    statistic, p_value = reference.ks(window)

    assert statistic == pytest.approx(expected.statistic)
    assert p_value == pytest.approx(expected.pvalue, rel=0.05)
    assert reference.psi(window) < 0.05
    assert reference.psi(window + 1.0) > 0.5
    assert reference.chi2(window)[1] > 1e-3
    assert np.mean(reference.pit(window)) == pytest.approx(0.5, abs=0.05)
