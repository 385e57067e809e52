"""Consistency metrics on constructed maps whose correlation, IoU and agreement are known."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from rashomon.consistency.metrics import (agreement, disagreement, iou, iou_column, iou_matrix, mean_offdiagonal,
                                          pearson_matrix, top_region)
from rashomon.consistency.tables import (across_over_ceiling, across_table, correct_over_methods, matrix_metrics,
                                         method_summary,
                                         pair_matrices, prototype_reliability, relation, rsm_similarity, within_table)
from rashomon.core.config import InferenceConfig
from rashomon.heads.metrics import model_reliability

INF = InferenceConfig(n_resamples=2000, min_n=2, seed=0)   # tiny cases: verdicts from 2 images


def test_pearson_matrix_of_known_maps():
    m = np.random.default_rng(0).normal(size=(8, 8))
    r = pearson_matrix(np.stack([m, 2 * m + 1, -m]))
    np.testing.assert_allclose(r, [[1, 1, -1], [1, 1, -1], [-1, -1, 1]], atol=1e-12)
    other = np.random.default_rng(1).normal(size=(8, 8))
    assert pearson_matrix(np.stack([m, other]))[0, 1] == pytest.approx(stats.pearsonr(m.ravel(), other.ravel())[0])
    assert mean_offdiagonal(r) == pytest.approx(-1 / 3)


def test_top_region_includes_ties_at_the_percentile():
    distinct = np.arange(100.0).reshape(10, 10)
    assert top_region(distinct, 5).sum() == 5             # 95..99
    tied = np.zeros((10, 10))
    tied.flat[:3] = 1.0                                    # the 95th percentile is 0: every pixel ties
    assert top_region(tied, 5).sum() == 100
    assert iou(top_region(distinct, 5), top_region(tied, 5)) == pytest.approx(5 / 100)


def test_iou_by_hand():
    a = np.zeros((10, 10))
    a[0, :10] = 1 + np.arange(10)                          # top 10%: row 0
    b = np.zeros((10, 10))
    b[0, 5:] = 5.0
    b[1, :5] = 5.0 + np.arange(5)                          # top 10%: half of row 0, half of row 1
    np.testing.assert_allclose(iou_matrix(np.stack([a, b]), 10), [[1, 5 / 15], [5 / 15, 1]])
    out = agreement(np.stack([a, a, b]), [10])
    assert out["iou10"] == pytest.approx((1 + 5 / 15 + 5 / 15) / 3)


def test_disagreement_metrics_by_hand():
    a = np.array([5.0, -4.0, 3.0, 0.1, 0.0])
    b = np.array([-5.0, 3.0, 4.0, 0.0, 0.2])               # top-3 by |b|: 0, 2, 1
    out = disagreement(a, b, 3)                             # top-3 by |a|: 0, 1, 2
    assert out["feature"] == 1.0                            # same set
    assert out["rank"] == pytest.approx(1 / 3)              # only feature 0 holds the same rank
    assert out["sign"] == pytest.approx(1 / 3)              # feature 2 keeps its sign; 0 and 1 flip
    assert out["signed_rank"] == 0.0


def test_tables_and_pair_matrices():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(3, 6, 6))
    maps = np.stack([base, base, base * 2], axis=1)        # (N=3, K=3): identical up to scale
    within = within_table(maps, ["a", "b", "c"], [5, 25])
    assert np.allclose(within["pearson"], 1.0) and np.allclose(within["iou25"], 1.0)
    protos = {"x": base, "y": -base, "z": base + 0.0}
    across = across_table(protos, ["a", "b", "c"], [25], 0.25)
    xy = across[(across.a == "x") & (across.b == "y")]
    assert np.allclose(xy["pearson"], -1) and np.allclose(xy["feature_agreement"], 1)
    assert np.allclose(xy["sign_agreement"], 0)
    matrices = pair_matrices(across, ["x", "y", "z"], "pearson").set_index(["a", "b"])
    assert matrices.loc[("y", "x"), "mean"] == pytest.approx(-1) and matrices.loc[("z", "z"), "mean"] == 1
    assert len(matrices) == 9


def test_behavioural_similarities():
    rng = np.random.default_rng(0)
    signal = rng.normal(size=50)
    assert model_reliability([signal, 2 * signal, signal + 1]) == pytest.approx(1.0)   # prediction similarity
    feats = rng.normal(size=(20, 8))
    assert rsm_similarity([feats, 3 * feats]) == pytest.approx(1.0)   # a positive scaling keeps every RSM
    assert rsm_similarity([feats, rng.normal(size=(20, 8))]) < 0.5
    rel = relation(np.array([1.0, 2, 3, 4]), np.array([2.0, 4, 6, 8.5]))
    assert rel["r"] == pytest.approx(stats.pearsonr([1, 2, 3, 4], [2, 4, 6, 8.5])[0])
    assert np.isnan(relation(np.ones(4), np.arange(4.0))["r"])


def test_a_single_architecture_has_no_pairs():
    across = across_table({"x": np.ones((2, 4, 4))}, ["a", "b"], [25], 0.25)
    assert across.empty and {"a", "b", "pearson", "iou25", "sign_agreement"} <= set(across.columns)
    matrices = pair_matrices(across, ["x"], "pearson")
    assert matrices[["a", "b", "mean"]].values.tolist() == [["x", "x", 1.0]]


def summary_inputs(percents, n_archs=3, n_variants=3, seed=0):
    """Within tables and the across table of random maps: (N=4 images, K variants, 8 x 8)."""
    rng = np.random.default_rng(seed)
    ids = ["a", "b", "c", "d"]
    maps = {f"arch{j}": rng.normal(size=(4, n_variants, 8, 8)) for j in range(n_archs)}
    within = {name: within_table(m, ids, percents) for name, m in maps.items()}
    across = across_table({name: m.mean(1) for name, m in maps.items()}, ids, percents, 0.1)
    return maps, within, across


@pytest.mark.parametrize("percents", [[10, 20], [2.5], [5, 15, 25], [100]])
def test_any_valid_percents_name_the_tables_matrices_and_summary(percents):
    names = [iou_column(p) for p in percents]
    assert matrix_metrics(percents) == ["pearson", *names, "feature_agreement", "sign_agreement"]
    maps, within, across = summary_inputs(percents)
    assert list(within["arch0"].columns) == ["image_id", "pearson", *names]
    for metric in matrix_metrics(percents):          # the stage's loop: no KeyError for percents other than 5/15/25
        matrix = pair_matrices(across, list(maps), metric)
        assert len(matrix) == 9 and matrix["metric"].eq(metric).all()
    entry = method_summary(within, across.assign(method="lime"), {n: 3 for n in maps}, percents, INF)
    assert set(entry["within"]["arch1"]) == {"pearson", *names}
    assert entry["within"]["arch1"][names[-1]] == pytest.approx(within["arch1"][names[-1]].mean())
    assert set(entry["across"]) == {"pearson", *names, "feature_agreement", "rank_agreement", "sign_agreement",
                                    "signed_rank_agreement"}
    assert "iou5" not in entry["within"]["arch0"] or 5 in percents


def test_the_verdict_is_the_paired_difference_over_images():
    maps, within, across = summary_inputs([5])
    entry = method_summary(within, across, {n: 3 for n in maps}, [5], INF)
    within_mean = np.mean([within[n]["pearson"].mean() for n in maps])
    assert entry["within_mean_pearson"] == pytest.approx(within_mean)
    assert entry["across_mean_pearson"] == pytest.approx(across["pearson"].mean())
    per_image = (pd.concat(within.values()).groupby("image_id")["pearson"].mean()
                 - across.groupby("image_id")["pearson"].mean())
    diff = entry["within_minus_across"]
    assert diff["difference"] == pytest.approx(per_image.mean()) and diff["n"] == 4
    assert diff["permutations"] == "exact" and diff["ci_low"] <= diff["difference"] <= diff["ci_high"]
    assert entry["within_exceeds_across"] is bool(diff["ci_low"] > 0)
    # the same data with the default's minimum of 10 images: underpowered, so undefined
    strict = method_summary(within, across, {n: 3 for n in maps}, [5], InferenceConfig(2000, 10, 0))
    assert strict["within_exceeds_across"] is None
    assert strict["undefined"]["within_exceeds_across"] == "underpowered: 4 images < inference.min_n = 10"
    # identical variants: within = 1 > across
    same = {n: within_table(np.repeat(m[:, :1], 3, axis=1), list("abcd"), [5]) for n, m in maps.items()}
    assert method_summary(same, across, {n: 3 for n in maps}, [5], INF)["within_exceeds_across"] is True


def test_one_variant_per_architecture_makes_the_verdict_undefined_not_false(tmp_path):
    from rashomon.core.io import read_json, write_json

    maps, within, across = summary_inputs([5, 15], n_variants=1)     # train.seeds: 1
    assert within["arch0"]["pearson"].isna().all()
    entry = method_summary(within, across, {n: 1 for n in maps}, [5, 15], INF)
    assert np.isnan(entry["within_mean_pearson"]) and np.isfinite(entry["across_mean_pearson"])
    assert entry["within_exceeds_across"] is None
    assert "one variant per architecture" in entry["undefined"]["within_exceeds_across"]
    write_json(tmp_path / "c.json", {"methods": {"lime": entry}})
    stored = read_json(tmp_path / "c.json")["methods"]["lime"]
    assert stored["within_exceeds_across"] is None and stored["within_mean_pearson"] is None   # JSON null


def test_one_architecture_makes_the_verdict_undefined():
    maps, within, across = summary_inputs([5], n_archs=1)
    assert across.empty
    entry = method_summary(within, across, {n: 3 for n in maps}, [5], INF)
    assert entry["within_exceeds_across"] is None and np.isnan(entry["across"]["pearson"])
    assert "one architecture" in entry["undefined"]["within_exceeds_across"]
    maps, within, across = summary_inputs([5], n_archs=1, n_variants=1)
    reason = method_summary(within, across, {n: 1 for n in maps}, [5], INF)["undefined"]["within_exceeds_across"]
    assert "one variant per architecture" in reason and "one architecture" in reason


def test_prototype_reliability_and_the_across_ceiling():
    rng = np.random.default_rng(0)
    signal = rng.normal(size=(6, 1, 8, 8))
    same = np.repeat(signal, 4, axis=1)
    assert prototype_reliability(same) == pytest.approx(1.0)
    assert np.isnan(prototype_reliability(same[:, :1]))             # one variant: no split
    noise = rng.normal(size=(200, 10, 8, 8))                          # variants share nothing: about 0
    assert abs(prototype_reliability(noise)) < 0.05
    # signal + noise of equal variance per variant: half of 5 variants r = 5/6; Spearman-Brown to 10: 10/11
    mixed = rng.normal(size=(400, 1, 16, 16)) + rng.normal(size=(400, 10, 16, 16))
    assert prototype_reliability(mixed) == pytest.approx(10 / 11, abs=0.02)
    across = pd.DataFrame({"a": ["x", "x"], "b": ["y", "y"], "pearson": [0.3, 0.5]})
    assert across_over_ceiling(across, {"x": 0.64, "y": 1.0}) == {"x/y": pytest.approx(0.4 / 0.8)}
    assert np.isnan(across_over_ceiling(across, {"x": float("nan"), "y": 1.0})["x/y"])


def test_an_empty_rashomon_set_leaves_the_headline_undefined_with_its_reason():
    """No member: no within or across agreement to compare, and the reason says so (not a crash)."""

    across = pd.DataFrame({"image_id": ["0", "1"], "a": ["x", "x"], "b": ["y", "y"], "pearson": [0.2, 0.4]})
    entry = method_summary({}, across.iloc[:0], {}, [10.0], INF)
    assert np.isnan(entry["within_mean_pearson"]) and np.isnan(entry["across_mean_pearson"])
    assert entry["within_exceeds_across"] is None and entry["within_minus_across"]["n"] == 0
    assert entry["undefined"]["within_exceeds_across"] == (
        "the Rashomon set is empty: no architecture's test PLCC interval lies above 0")


def _entry(p: float, verdict: bool | None) -> dict:
    return {"within_minus_across": {"difference": 0.1, "ci_low": 0.05, "ci_high": 0.15, "p": p, "n": 30},
            "within_exceeds_across": verdict, "undefined": {}}


def test_within_exceeds_across_is_holm_corrected_over_the_methods():
    """Known by hand: p 0.01, 0.03, 0.04, 0.9 over the four tested methods adjust to 4 x 0.01, 3 x
    0.03, max(0.09, 2 x 0.04), 0.9, so only the first stays true; an undefined method is not
    counted, and a false one stays false."""
    entries = {"a": _entry(0.01, True), "b": _entry(0.03, True), "c": _entry(0.04, True), "d": _entry(0.2, None),
               "e": _entry(0.9, False)}
    correct_over_methods(entries)
    adjusted = {m: e["within_minus_across"]["adjusted_p"] for m, e in entries.items()}
    assert adjusted["a"] == pytest.approx(0.04) and adjusted["b"] == pytest.approx(0.09)   # four defined: a, b, c, e
    assert adjusted["c"] == pytest.approx(0.09) and np.isnan(adjusted["d"]) and adjusted["e"] == pytest.approx(0.9)
    assert [entries[m]["within_exceeds_across"] for m in "abcde"] == [True, False, False, None, False]
    assert "Holm-adjusted p 0.09 >= 0.05 over 4 methods" == entries["b"]["not_true"]["within_exceeds_across"]
    alone = {"a": _entry(0.04, True)}   # a family of one: Holm is the p itself
    correct_over_methods(alone)
    assert alone["a"]["within_exceeds_across"] is True and alone["a"]["within_minus_across"]["adjusted_p"] == 0.04


def test_the_two_level_bootstrap_centres_on_the_headline_and_widens_with_seed_noise():
    """Independent path: the Gram-matrix difference with every variant and image once equals the
    per-image within (pairwise Pearson, within_table) minus across (prototypes' Pearson,
    across_table); variants that agree give an interval no wider than the images-only one, variants
    with an outlier seed a wider one; fewer than two variants or architectures: None."""
    from rashomon.consistency.hierarchical import within_minus_across
    from rashomon.inference import paired_difference

    rng = np.random.default_rng(3)
    ids = [str(i) for i in range(12)]
    base = rng.normal(size=(12, 1, 8, 8))
    maps = {"a": base + rng.normal(0, 0.3, (12, 4, 8, 8)), "b": base[:, :, ::-1] + rng.normal(0, 0.3, (12, 3, 8, 8)),
            "c": rng.normal(size=(12, 3, 8, 8))}
    within = {n: within_table(m, ids, [5]) for n, m in maps.items()}
    across = across_table({n: m.mean(1) for n, m in maps.items()}, ids, [5], 0.05)
    per_image = (pd.concat(within.values()).groupby("image_id")["pearson"].mean()
                 - across.groupby("image_id")["pearson"].mean())
    got = within_minus_across(maps, maps, seed=0, n_resamples=2000)
    assert got.difference == pytest.approx(per_image.mean(), rel=1e-9) and got.n_images == 12
    assert got.n_variants == {"a": 4, "b": 3, "c": 3} and got.ci_low < got.difference < got.ci_high
    flat = paired_difference(per_image.to_numpy(), np.zeros(12), 0, 2000)
    assert got.ci_high - got.ci_low >= 0.9 * (flat.ci_high - flat.ci_low)
    noisy = {n: m.copy() for n, m in maps.items()}
    noisy["a"][:, 0] = rng.normal(0, 3, (12, 8, 8))   # one seed that learned something else
    wide = within_minus_across(noisy, noisy, seed=0, n_resamples=2000)
    noisy_within = {n: within_table(m, ids, [5]) for n, m in noisy.items()}
    noisy_per_image = (pd.concat(noisy_within.values()).groupby("image_id")["pearson"].mean()
                       - across_table({n: m.mean(1) for n, m in noisy.items()}, ids, [5], 0.05)
                       .groupby("image_id")["pearson"].mean())
    images_only = paired_difference(noisy_per_image.to_numpy(), np.zeros(12), 0, 2000)
    assert wide.ci_high - wide.ci_low > 1.2 * (images_only.ci_high - images_only.ci_low)
    assert within_minus_across({"a": maps["a"]}, {"a": maps["a"]}, 0, 100) is None
    assert within_minus_across({"a": maps["a"][:, :1], "b": maps["b"]}, maps, 0, 100) is None
