"""Saliency-benchmark scores against a continuous heatmap: hand-computed cases, the
benchmark's own loops (AUC_Judd.m, NSS.m, CC.m, KLdiv.m, similarity.m ported line by line
below) and scikit-learn's AUROC."""

import math

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from rashomon.groundtruth.saliency import SCORES, auc_judd, cc, kl, nss, saliency_scores, sim, top_pixels

HEAT = np.array([[0.0, 1.0], [3.0, 0.0]])


def test_nss_by_hand():
    # z of [1, 2, 3, 4] with the n-1 std (1.2910): [-1.1619, -0.3873, 0.3873, 1.1619]; weights [0, 1, 3, 0]
    score = np.array([[1.0, 2.0], [3.0, 4.0]])
    z = (np.array([1, 2, 3, 4]) - 2.5) / math.sqrt(5 / 3)
    assert nss(score, HEAT) == pytest.approx((z[1] * 1 + z[2] * 3) / 4)


def test_cc_by_hand_and_a_map_equal_to_the_heatmap_scores_one_and_the_best_nss():
    assert cc(HEAT, HEAT) == pytest.approx(1.0)
    assert cc(-HEAT, HEAT) == pytest.approx(-1.0)
    rng = np.random.default_rng(0)
    heat = rng.gamma(0.5, size=(16, 16))
    others = ([nss(rng.normal(size=(16, 16)), heat) for _ in range(50)]
              + [nss(heat + rng.normal(0, .5, heat.shape), heat)])
    assert nss(heat, heat) > max(others)


def test_sim_and_kl_by_hand():
    score = np.array([[0.0, 1.0], [1.0, 0.0]])   # as a distribution: [0, .5, .5, 0]; heat: [0, .25, .75, 0]
    assert sim(score, HEAT) == pytest.approx(0.25 + 0.5)
    eps = np.finfo(float).eps
    expected = 0.25 * math.log(eps + 0.25 / (0.5 + eps)) + 0.75 * math.log(eps + 0.75 / (0.5 + eps))
    assert kl(score, HEAT) == pytest.approx(expected)
    assert kl(HEAT, HEAT) == pytest.approx(0.0, abs=1e-12) and sim(HEAT, HEAT) == pytest.approx(1.0)


def test_a_constant_map_or_an_empty_heatmap_is_undefined():
    flat = np.full((4, 4), 0.3)
    heat = np.zeros((4, 4))
    heat[1, 1] = 1
    for name, value in saliency_scores(flat, heat, 0.5, 0.1).items():
        assert math.isnan(value), name
    for name, value in saliency_scores(np.arange(16.0).reshape(4, 4), np.zeros((4, 4)), 0.5, 0.1).items():
        assert math.isnan(value), name
    assert set(saliency_scores(np.arange(16.0).reshape(4, 4), heat, 0.5, 0.1)) == set(SCORES)


def auc_judd_reference(saliency: np.ndarray, fixations: np.ndarray) -> float:
    """The benchmark's AUC_Judd.m loop, without its jitter (maps here have no ties)."""
    sth = saliency[fixations > 0]
    n_fix, n_pix = sth.size, saliency.size
    tp, fp = [0.0], [0.0]
    for i, thresh in enumerate(sorted(sth, reverse=True), start=1):
        above = (saliency >= thresh).sum()
        tp.append(i / n_fix)
        fp.append((above - i) / (n_pix - n_fix))
    tp.append(1.0)
    fp.append(1.0)
    return float(sum((fp[k + 1] - fp[k]) * (tp[k + 1] + tp[k]) / 2 for k in range(len(tp) - 1)))


def test_auc_judd_equals_the_benchmark_loop_and_auroc_equals_sklearn():
    rng = np.random.default_rng(1)
    for _ in range(5):
        score, heat = rng.normal(size=(12, 12)), rng.gamma(0.3, size=(12, 12))
        fix = top_pixels(heat, 0.1)
        assert fix.sum() == 14   # 10% of 144, rounded
        assert auc_judd(score, fix) == pytest.approx(auc_judd_reference(score, fix))
        got = saliency_scores(score, heat, 0.5, 0.1)
        assert got["auroc"] == pytest.approx(roc_auc_score((heat >= 0.5 * heat.max()).ravel(), score.ravel()))
        assert got["auc_judd"] == pytest.approx(auc_judd_reference(score, fix))
    perfect = np.zeros((4, 4))
    perfect[0, :2] = 1
    assert auc_judd(perfect + np.arange(16).reshape(4, 4) * 1e-3, perfect) == pytest.approx(1.0)


def test_a_binary_mask_is_the_special_case():
    """With a 0/1 heatmap, NSS is the mean z-score at the mask's pixels (the benchmark's NSS)."""
    rng = np.random.default_rng(2)
    score, mask = rng.normal(size=(8, 8)), (rng.random((8, 8)) < 0.2).astype(float)
    z = (score - score.mean()) / score.std(ddof=1)
    assert nss(score, mask) == pytest.approx(z[mask > 0].mean())
    assert saliency_scores(score, mask, 0.5, 0.2)["auroc"] == pytest.approx(roc_auc_score(mask.ravel(), score.ravel()))
