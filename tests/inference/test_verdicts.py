"""Verdicts: Holm against the closed-testing definition, claims that need every comparison,
and bounds that the bootstrap's own noise cannot decide."""

import itertools
import math

import numpy as np
import pytest

from rashomon.inference.intervals import Paired, bootstrap_mean, paired_difference
from rashomon.inference.verdicts import NOISE_SES, any_true, comparison_state, holm, judge


def closed_testing_holm(p: list[float]) -> list[float]:
    """Holm as closed testing with Bonferroni local tests: p_i adjusted is the largest
    Bonferroni p over every intersection hypothesis that contains i (Marcus et al. 1976)."""
    m = len(p)
    out = []
    for i in range(m):
        worst = 0.0
        for size in range(1, m + 1):
            for subset in itertools.combinations(range(m), size):
                if i in subset:
                    worst = max(worst, min(1.0, size * min(p[j] for j in subset)))
        out.append(worst)
    return out


def test_holm_by_hand_and_by_closed_testing():
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    got = holm([0.01, math.nan, 0.04])   # an untested hypothesis is not counted
    assert got[0] == pytest.approx(0.02) and math.isnan(got[1]) and got[2] == pytest.approx(0.04)
    rng = np.random.default_rng(0)
    for _ in range(30):
        p = rng.uniform(0, 0.2, rng.integers(1, 7)).tolist()
        assert holm(p) == pytest.approx(closed_testing_holm(p))


def paired(low: float, p: float = 0.001, n: int = 30, se: float = 0.0) -> Paired:
    return Paired(low + 0.1, low, low + 0.2, p, n, "exact", se)


def test_a_claim_needs_every_comparison_and_holm_over_the_family():
    one = judge({"a": {"gaussian": paired(0.05, p=0.03), "sobel": paired(0.02, p=0.01)}}, min_n=10)["a"]
    assert one.value is True and one.p == 0.03 and one.adjusted_p == pytest.approx(0.03)
    edge_map_wins = judge({"a": {"gaussian": paired(0.05), "sobel": paired(-0.01)}}, min_n=10)["a"]
    assert edge_map_wins.value is False and "sobel: interval not above 0" in edge_map_wins.reason
    few = judge({"a": {"gaussian": paired(0.05), "sobel": paired(0.05, n=5)}}, min_n=10)["a"]
    assert few.value is None and "underpowered" in few.reason
    # two claims at p 0.03 and 0.04: each alone would pass, as a family neither does
    two = judge({"a": {"g": paired(0.05, p=0.03)}, "b": {"g": paired(0.05, p=0.04)}}, min_n=10)
    assert [v.value for v in two.values()] == [False, False]
    assert two["a"].adjusted_p == pytest.approx(0.06) and "Holm" in two["a"].reason
    # a claim that fails on its interval still counts in the family
    mixed = judge({"a": {"g": paired(0.05, p=0.03)}, "b": {"g": paired(-0.05, p=0.02)}}, min_n=10)
    assert mixed["a"].adjusted_p == pytest.approx(0.04) and mixed["a"].value is True and mixed["b"].value is False
    assert any_true([False, None, True]) is True and any_true([None, None]) is None and any_true([False, None]) is False


def test_a_bound_within_the_bootstraps_noise_is_undefined():
    assert comparison_state(paired(0.001, se=0.001), 10)[0] is None
    assert "bootstrap noise" in comparison_state(paired(-0.001, se=0.001), 10)[1]
    assert comparison_state(paired(0.001 + NOISE_SES * 0.0004, se=0.0004), 10) == (True, "")
    assert comparison_state(paired(0.0, se=0.0), 10) == (False, "")   # every difference 0: surely not positive


def test_the_monte_carlo_se_predicts_how_far_a_new_seed_moves_the_bound():
    """The lower bound over 40 bootstrap seeds spreads about as the per-run MC SE says."""
    x = np.random.default_rng(1).normal(0.05, 0.2, 40)
    runs = [paired_difference(x, np.zeros_like(x), seed, n_resamples=2000) for seed in range(40)]
    spread = np.std([r.ci_low for r in runs], ddof=1)
    predicted = np.mean([r.ci_low_mc_se for r in runs])
    assert 0.6 < predicted / spread < 1.6, (predicted, spread)
    # 5x the resamples: the SE shrinks by about sqrt(5)
    more = paired_difference(x, np.zeros_like(x), 0, n_resamples=10000).ci_low_mc_se
    assert 1.5 < predicted / more < 3.5


def test_no_seed_turns_a_verdict_from_true_to_false():
    """Differences whose lower bound sits near 0: over 30 bootstrap seeds the plain rule (bound
    above 0) flips between true and false; ours is at times undefined, never both."""
    rng = np.random.default_rng(3)
    plain_flips = 0
    for shift in (0.02, 0.035, 0.05):
        x = rng.normal(shift, 0.1, 60)
        runs = [paired_difference(x, np.zeros_like(x), seed, n_resamples=2000) for seed in range(30)]
        ours = {comparison_state(r, 10)[0] for r in runs}
        assert not {True, False} <= ours, (shift, ours)
        plain_flips += len({r.ci_low > 0 for r in runs}) == 2
    assert plain_flips >= 1   # the case is one where a new seed can flip a verdict


def test_bootstrap_mean_is_unchanged_by_the_se():
    x = np.arange(12.0)
    assert bootstrap_mean(x, 0, 2000).value == pytest.approx(5.5)
