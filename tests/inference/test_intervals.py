"""Intervals, paired tests and verdicts against cases with known answers."""

import math

import numpy as np
import pytest
from scipy import stats

from rashomon.inference import bootstrap_mean, paired_difference, spearman_exact, verdict


def per_image_auroc(pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """AUROC of each image (rows): P(positive pixel > negative pixel), exact (no ties)."""
    return (pos[:, :, None] > neg[:, None, :]).mean(axis=(1, 2))


def test_bootstrap_intervals_cover_a_known_auroc_in_93_to_97_percent_of_replications():
    """400 replications of 30 images, each with 20 cue and 20 background pixels whose scores
    differ by d = 1 SD: every image's expected AUROC is Phi(d / sqrt 2) exactly."""
    rng = np.random.default_rng(2026)
    truth = stats.norm.cdf(1 / math.sqrt(2))
    covered = 0
    for rep in range(400):
        aurocs = per_image_auroc(rng.normal(1.0, 1.0, (30, 20)), rng.normal(0.0, 1.0, (30, 20)))
        est = bootstrap_mean(aurocs, seed=rep)
        covered += est.ci_low <= truth <= est.ci_high
    assert 0.93 <= covered / 400 <= 0.97


def test_the_exact_p_of_a_perfect_rank_correlation_on_four_pairs_is_one_twelfth():
    out = spearman_exact(np.array([0.1, 0.4, 0.2, 0.9]), np.array([1.0, 3.0, 2.0, 5.0]))
    assert out["rho"] == pytest.approx(1.0) and out["p"] == pytest.approx(1 / 12) and out["n"] == 4
    assert out["permutations"] == "exact"
    assert math.isnan(spearman_exact(np.ones(4), np.arange(4.0))["rho"])   # constant: undefined



@pytest.mark.parametrize("n", [6, 12])   # exact (all 6! pairings) and Monte-Carlo (9,999 seeded pairings)
def test_spearman_permutation_p_equals_scipys_own_test_over_spearmanr(n):
    rng = np.random.default_rng(n)
    x, y = rng.integers(0, 4, n).astype(float), rng.normal(size=n)   # ties in x: average ranks
    y[:2] += 3 * x[:2]
    out = spearman_exact(x, y, seed=3)
    ref = stats.permutation_test((x,), lambda xs: stats.spearmanr(xs, y)[0], permutation_type="pairings",
                                 n_resamples=math.factorial(n) if n < 8 else 9999, alternative="two-sided",
                                 rng=np.random.default_rng(3))
    assert out["rho"] == stats.spearmanr(x, y)[0] and out["p"] == ref.pvalue and out["n"] == n

def test_paired_difference_against_an_exact_sign_flip_count():
    a = np.array([0.9, 0.8, 0.7, 0.95, 0.85])
    b = np.array([0.5, 0.6, 0.65, 0.4, 0.55])
    out = paired_difference(a, b)
    # every difference is positive: only the all-positive and all-negative flips are as extreme
    assert out.p == pytest.approx(2 / 2 ** 5) and out.permutations == "exact" and out.n == 5
    assert out.difference == pytest.approx(np.mean(a - b)) and 0 < out.ci_low < out.difference < out.ci_high


def test_verdicts_are_undefined_when_underpowered_or_without_an_interval():
    assert verdict(0.1, n=30) is True and verdict(-0.1, n=30) is False
    assert verdict(0.1, n=5) is None and verdict(float("nan"), n=30) is None
    single = bootstrap_mean(np.array([0.7]))
    assert single.n == 1 and math.isnan(single.ci_low) and verdict(single.ci_low, single.n) is None
    assert bootstrap_mean(np.array([np.nan, 0.5, 0.7])).n == 2   # undefined images are not counted


def test_intervals_are_seeded():
    x = np.random.default_rng(0).normal(size=25)
    assert bootstrap_mean(x, seed=3) == bootstrap_mean(x, seed=3)
    assert bootstrap_mean(x, seed=3) != bootstrap_mean(x, seed=4)



def test_an_underpowered_verdict_says_so_in_one_sentence():
    from rashomon.inference import underpowered

    assert underpowered(7, 10) == "underpowered: 7 images < inference.min_n = 10"
    assert underpowered(3, 10, "test images") == "underpowered: 3 test images < inference.min_n = 10"
    assert underpowered(10, 10) is None


def test_a_bonferroni_level_widens_the_interval_to_the_percentiles_it_names():
    """The ensemble's two claims use 97.5% intervals: the bounds are the distribution's expanded
    percentiles at that level (checked against numpy on the same resamples), and contain the 95% ones."""
    from rashomon.inference import bootstrap_interval
    from rashomon.inference.intervals import expanded_level

    x = np.random.default_rng(1).normal(size=40)
    wide, narrow = (bootstrap_interval(lambda rows: x[rows].mean(), 40, 0, 2000, level) for level in (0.975, 0.95))
    rng = np.random.default_rng(0)
    values = np.array([x[rng.integers(0, 40, 40)].mean() for _ in range(2000)])
    tail = (1 - expanded_level(40, 0.975)) / 2 * 100
    assert wide == pytest.approx(tuple(np.percentile(values, [tail, 100 - tail])), abs=0)
    assert wide[0] < narrow[0] < narrow[1] < wide[1]
