import numpy as np
import pytest
from scipy import stats

from rashomon.psychometrics.correlation import (
    fisher_z_mean, mean_pairwise_correlation, partial_corr, pearson, spearman_brown,
)
from rashomon.psychometrics.reliability import bimodality, split_half_reliability, zscore_per_rater


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


def _study_recipe(matrix, n_splits, seed):
    """The study's code, written out: raw ratings, SB per split, Fisher-z mean, sqrt."""
    perm_rng = np.random.default_rng(seed)
    sbs = []
    for _ in range(n_splits):
        p = perm_rng.permutation(matrix.shape[0])
        half = matrix.shape[0] // 2
        r = stats.pearsonr(matrix[p[:half]].mean(0), matrix[p[half:]].mean(0))[0]
        sbs.append(2 * r / (1 + r))
    rel = np.tanh(np.mean(np.arctanh(np.clip(sbs, -0.999999, 0.999999))))
    return rel, np.sqrt(rel) if rel >= 0 else np.nan


def test_split_half_is_the_studys_recipe():
    rng = np.random.default_rng(3)
    matrix = rng.integers(0, 6, size=(25, 60)) + np.round(rng.normal(size=60))
    res = split_half_reliability(matrix.astype(float), n_splits=20, seed=7)
    rel, ceiling = _study_recipe(matrix.astype(float), 20, 7)
    assert res["spearman_brown"] == pytest.approx(rel)
    assert res["noise_ceiling"] == pytest.approx(ceiling)
    # Spearman-Brown per split then Fisher mean differs from Fisher mean then Spearman-Brown
    once = spearman_brown(res["split_half_r"])
    assert res["spearman_brown"] != pytest.approx(once, abs=1e-6)


def test_split_half_hand_case_two_raters():
    # two raters: one split, halves = the raters themselves; r = .8 -> SB = 1.6/1.8
    a = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    b = 0.8 * (a - a.mean()) / a.std() + 0.6 * np.array([1.0, -1.0, 0.0, -1.0, 1.0]) / np.sqrt(0.8)
    r = stats.pearsonr(a, b)[0]
    res = split_half_reliability(np.stack([a, b]), n_splits=1, seed=0)
    assert res["spearman_brown"] == pytest.approx(2 * r / (1 + r))
    assert res["noise_ceiling"] == pytest.approx(np.sqrt(2 * r / (1 + r)))


def test_negative_reliability_gives_nan_ceiling():
    a = np.arange(6.0)
    res = split_half_reliability(np.stack([a, -a + np.array([0.5, -0.5, 0.3, 0.0, -0.2, 0.4])]), n_splits=1, seed=0)
    assert res["spearman_brown"] < 0 and np.isnan(res["noise_ceiling"])


def test_zscore_option_zscores_raters_first():
    rng = np.random.default_rng(8)
    matrix = rng.normal(size=(10, 40)) * rng.uniform(0.5, 3, (10, 1)) + rng.normal(0, 2, (10, 1)) + rng.normal(size=40)
    res = split_half_reliability(matrix, 5, 1, zscore_raters=True)
    z = (matrix - matrix.mean(1, keepdims=True)) / matrix.std(1, keepdims=True)
    assert res["spearman_brown"] == pytest.approx(_study_recipe(z, 5, 1)[0])
    assert res["spearman_brown"] != pytest.approx(split_half_reliability(matrix, 5, 1)["spearman_brown"])


def test_mean_pairwise_correlation_hand_value():
    rows = [np.array([1.0, 2, 3]), np.array([1.0, 2, 3]), np.array([3.0, 2, 1])]
    assert mean_pairwise_correlation(rows) == pytest.approx((1 - 1 - 1) / 3)
    assert np.isnan(mean_pairwise_correlation(rows[:1]))


def test_split_half_recovers_known_reliability():
    # true score var 1, rater noise var 25 -> one rater's reliability 1/26; half of 40 raters
    # (20) has reliability 20/(20+25) = .444; full panel 40/(40+25) = .615.
    rng = np.random.default_rng(4)
    true = rng.normal(size=4000)
    matrix = true + rng.normal(0, 5, size=(40, 4000))
    res = split_half_reliability(matrix, n_splits=10, seed=0)
    assert res["split_half_r"] == pytest.approx(20 / 45, abs=0.03)  # the mean of the raw split rs
    assert res["spearman_brown"] == pytest.approx(40 / 65, abs=0.03)


def test_zscore_per_rater_handles_missing():
    m = np.array([[1.0, 2.0, 3.0, np.nan], [2.0, 4.0, 6.0, 8.0]])
    z = zscore_per_rater(m)
    assert np.nanmean(z[0]) == pytest.approx(0)
    assert np.nanstd(z[1], ddof=0) == pytest.approx(1)
    assert np.isnan(z[0, 3])


def test_bimodality_detects_two_modes_and_not_one():
    rng = np.random.default_rng(5)
    two = np.concatenate([rng.normal(-3, 1, 500), rng.normal(3, 1, 500)])
    assert bimodality(two, 0)["bimodal"]
    assert not bimodality(rng.normal(size=1000), 0)["bimodal"]
