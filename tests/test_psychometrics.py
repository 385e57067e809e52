import numpy as np
import pytest
from scipy import stats

from rashomon.psychometrics import (
    bimodality, fisher_z_mean, partial_corr, pearson, spearman_brown,
    split_half_reliability, zscore_per_rater,
)


def test_spearman_brown_hand_values():
    # The study: split-half .50 -> SB .667 -> ceiling .816
    assert spearman_brown(0.5) == pytest.approx(2 / 3)
    assert np.sqrt(spearman_brown(0.5)) == pytest.approx(0.8165, abs=1e-4)
    assert spearman_brown(0.2, factor=5) == pytest.approx(5 * 0.2 / (1 + 4 * 0.2))
    assert spearman_brown(1.0) == 1.0


def test_fisher_z_mean_hand_value():
    expected = np.tanh((np.arctanh(0.2) + np.arctanh(0.8)) / 2)
    assert fisher_z_mean([0.2, 0.8]) == pytest.approx(expected)
    assert fisher_z_mean([0.2, 0.8]) != pytest.approx(0.5)


def test_pearson_matches_scipy():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=50), rng.normal(size=50)
    assert pearson(x, y) == pytest.approx(stats.pearsonr(x, y)[0])
    assert np.isnan(pearson(np.ones(5), np.arange(5)))


def test_partial_corr_matches_residual_regression():
    rng = np.random.default_rng(2)
    z = rng.normal(size=200)
    x = z + rng.normal(size=200)
    y = 0.5 * z + 0.3 * x + rng.normal(size=200)
    rx = x - np.polyval(np.polyfit(z, x, 1), z)
    ry = y - np.polyval(np.polyfit(z, y, 1), z)
    assert partial_corr(x, y, z) == pytest.approx(stats.pearsonr(rx, ry)[0], abs=1e-10)


def test_partial_corr_hand_value():
    # r_xy=.5, r_xz=.5, r_yz=.5 -> (.5-.25)/(.75) = 1/3; build data with that exact matrix
    cov = np.array([[1, .5, .5], [.5, 1, .5], [.5, .5, 1]])
    data = np.random.default_rng(0).normal(size=(3, 400))
    data = (data - data.mean(1, keepdims=True))
    whitened = np.linalg.inv(np.linalg.cholesky(np.cov(data))) @ data
    x, y, z = np.linalg.cholesky(cov) @ whitened
    assert partial_corr(x, y, z) == pytest.approx(1 / 3, abs=1e-10)


def test_split_half_equals_direct_computation():
    rng = np.random.default_rng(3)
    matrix = rng.normal(size=(25, 60)) + rng.normal(size=60)
    res = split_half_reliability(matrix, n_splits=20, seed=7)
    # recompute independently with the same permutations
    perm_rng = np.random.default_rng(7)
    rs = []
    for _ in range(20):
        p = perm_rng.permutation(25)
        rs.append(stats.pearsonr(matrix[p[:12]].mean(0), matrix[p[12:]].mean(0))[0])
    r = np.tanh(np.mean(np.arctanh(rs)))
    assert res["split_half_r"] == pytest.approx(r)
    assert res["spearman_brown"] == pytest.approx(2 * r / (1 + r))
    assert res["noise_ceiling"] == pytest.approx(np.sqrt(2 * r / (1 + r)))


def test_split_half_recovers_known_reliability():
    # true score var 1, rater noise var 25 -> one rater's reliability 1/26; half of 40 raters
    # (20) has reliability 20/(20+25) = .444; full panel 40/(40+25) = .615.
    rng = np.random.default_rng(4)
    true = rng.normal(size=4000)
    matrix = true + rng.normal(0, 5, size=(40, 4000))
    res = split_half_reliability(matrix, n_splits=10, seed=0)
    assert res["split_half_r"] == pytest.approx(20 / 45, abs=0.03)
    assert res["spearman_brown"] == pytest.approx(40 / 65, abs=0.03)


def test_zscore_per_rater_handles_missing():
    m = np.array([[1.0, 2.0, 3.0, np.nan], [2.0, 4.0, 6.0, 8.0]])
    z = zscore_per_rater(m)
    assert np.nanmean(z[0]) == pytest.approx(0)
    assert np.nanstd(z[1], ddof=1) == pytest.approx(1)
    assert np.isnan(z[0, 3])


def test_bimodality_detects_two_modes_and_not_one():
    rng = np.random.default_rng(5)
    two = np.concatenate([rng.normal(-3, 1, 500), rng.normal(3, 1, 500)])
    assert bimodality(two)["bimodal"]
    assert not bimodality(rng.normal(size=1000))["bimodal"]
