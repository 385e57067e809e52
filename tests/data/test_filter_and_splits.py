import dataclasses

import numpy as np
import pandas as pd
import pytest

from rashomon.data.aigciqa import load_aigciqa2023
from rashomon.data.filtering import apply_exclusion, removed_vs_kept_per_rater
from rashomon.data.splits import make_splits, rating_bins, subset_ids
from rashomon.core.errors import InputError
from tests.conftest import config


def rule(**keys):
    """An exclusion rule that removes nothing but what `keys` say."""
    empty = dict(keep_prompts=None, exclude_prompts=[], exclude_challenges=[], exclude_categories=[],
                 keep_categories_prompts=[])
    return config("filter", **{**empty, **keys})


def test_rule_by_challenge_and_by_prompt_list(aigciqa_folder):
    m = load_aigciqa2023(aigciqa_folder)
    kept = apply_exclusion(m, rule(exclude_challenges=["Imagination"]))
    assert set(m.loc[~kept, "prompt_index"]) == {1}
    kept = apply_exclusion(m, rule(keep_prompts=[0, 2]))
    assert set(m.loc[kept, "prompt_index"]) == {0, 2} and kept.sum() == 16
    kept = apply_exclusion(m, rule(exclude_categories=["Illustrations"], keep_categories_prompts=[1]))
    assert kept.all()  # prompt 1 is the only Illustrations prompt and is kept back


def test_study_rule_keeps_57_prompts():
    keep = [*range(0, 13), 14, 15, 17, 18, 19, 21, 22, 24, 25, 27, 28, 31, 32, 34, 35, 37, 38,
            *range(70, 76), *range(77, 86), *range(87, 96), 97, 98, 99]
    m = pd.DataFrame({"prompt_index": np.repeat(np.arange(100), 24), "challenge": "Basic", "category": "x"})
    kept = apply_exclusion(m, rule(keep_prompts=keep))
    assert kept.sum() == 1368 and len(keep) == 57


def test_rule_naming_unknown_things_is_an_error(aigciqa_folder):
    m = load_aigciqa2023(aigciqa_folder)
    with pytest.raises(InputError, match="prompt indices \\[7\\] do not exist"):
        apply_exclusion(m, rule(keep_prompts=[0, 7]))
    with pytest.raises(InputError, match="'Imaginaton'"):
        apply_exclusion(m, rule(exclude_challenges=["Imaginaton"]))
    with pytest.raises(InputError, match="removes every image"):
        apply_exclusion(m, rule(exclude_prompts=[0, 1, 2]))


def test_removed_vs_kept_paired_t_and_cohens_d():
    from scipy import stats
    rng = np.random.default_rng(0)
    rows = []
    for rater in range(10):
        for img in range(20):
            rows.append((str(img), rater, "authenticity", 3 + (img >= 10) * 0.5 + rng.normal(0, .3)))
    long = pd.DataFrame(rows, columns=["image", "rater", "dimension", "rating"])
    res = removed_vs_kept_per_rater(long, {str(i) for i in range(10)})["authenticity"]
    per_rater = long.assign(kept=long.image.astype(int) < 10).groupby(["rater", "kept"]).rating.mean().unstack()
    diff = per_rater[False] - per_rater[True]
    assert res["t"] == pytest.approx(stats.ttest_rel(per_rater[False], per_rater[True]).statistic)
    assert res["cohens_dz"] == pytest.approx(diff.mean() / diff.std(ddof=1))
    assert res["mean_removed"] > res["mean_kept"]


@pytest.fixture
def manifest():
    rng = np.random.default_rng(0)
    return pd.DataFrame({"image_id": [str(i) for i in range(300)], "authenticity": rng.normal(50, 10, 300)})


CFG = config("split", seed=42, n_variants=4, n_bins=5, exp1_fractions=[0.7, 0.2, 0.1], exp3_test_fraction=0.2,
             exp3_val_fraction=0.1, stacking_folds=5, stratify_on="authenticity")


def test_no_image_in_two_subsets_and_every_image_somewhere(manifest):
    splits = make_splits(manifest, CFG)
    for (scheme, v), group in splits.groupby(["scheme", "variant"]):
        assert not group["image_id"].duplicated().any(), (scheme, v)
        if scheme != "stacking":
            assert set(group["image_id"]) == set(manifest["image_id"])


def test_fractions_and_fixed_exp3_test(manifest):
    splits = make_splits(manifest, CFG)
    sizes = splits[(splits.scheme == "exp1") & (splits.variant == 0)].subset.value_counts()
    assert sizes["train"] == 210 and sizes["val"] == 60 and sizes["test"] == 30
    tests = {v: set(subset_ids(splits, "exp3", v, "test")) for v in range(4)}
    assert all(t == tests[0] for t in tests.values()) and len(tests[0]) == 60
    trains = [set(subset_ids(splits, "exp3", v, "train")) for v in range(4)]
    assert trains[0] != trains[1]  # re-split per variant
    exp1_tests = [set(subset_ids(splits, "exp1", v, "test")) for v in range(4)]
    assert exp1_tests[0] != exp1_tests[1]
    stack = splits[splits.scheme == "stacking"]
    assert set(stack.image_id) == tests[0]
    held = stack[stack.subset == "test"].groupby("image_id").size()
    assert (held == 1).all() and len(held) == 60  # each test image held out exactly once


def test_stratification_balances_rating_bins(manifest):
    splits = make_splits(manifest, CFG)
    bins = pd.Series(rating_bins(manifest["authenticity"].to_numpy(), 5), index=manifest["image_id"])
    test = subset_ids(splits, "exp1", 0, "test")
    assert bins.loc[test].value_counts().tolist() == [6] * 5


def test_splits_are_deterministic(manifest):
    pd.testing.assert_frame_equal(make_splits(manifest, CFG), make_splits(manifest, CFG))
    other = make_splits(manifest, dataclasses.replace(CFG, seed=1))
    assert not other.equals(make_splits(manifest, CFG))


def test_fractions_must_sum_to_one(manifest):
    with pytest.raises(InputError, match="sum to 1"):
        make_splits(manifest, dataclasses.replace(CFG, exp1_fractions=[0.7, 0.2, 0.2]))
    with pytest.raises(InputError, match="sum to 1|non-negative"):
        make_splits(manifest, dataclasses.replace(CFG, exp3_test_fraction=0.95))


def test_a_kept_subset_too_small_for_stratified_stacking_folds_is_one_line(manifest):
    """40 kept images leave 10 in the exp3 test set, 2 per rating bin: 5 stratified stacking folds
    are impossible (sklearn's raw ValueError before); 2 folds are possible."""
    small = manifest.iloc[:40]
    with pytest.raises(InputError) as err:
        make_splits(small, CFG)
    message = str(err.value)
    assert "\n" not in message and message.startswith("split: the exp3 test set holds 10 of the 40 kept images")
    assert "at most 2 in any of the 5 rating bins (split.n_bins)" in message
    assert "split.stacking_folds = 5" in message
    stack = make_splits(small, dataclasses.replace(CFG, stacking_folds=2)).query("scheme == 'stacking'")
    assert stack.variant.nunique() == 2


def test_the_dataset_scheme_keeps_the_dataset_test_split_and_resplits_train_dev_per_variant():
    rng = np.random.default_rng(0)
    n = 60
    manifest = pd.DataFrame({"image_id": [str(i) for i in range(n)], "authenticity": rng.uniform(0, 1, n),
                             "dataset_split": ["train"] * 36 + ["dev"] * 12 + ["test"] * 12})
    cfg = config("split", scheme="dataset", n_variants=3, n_bins=2, stacking_folds=2)
    table = make_splits(manifest, cfg)
    test_ids = set(manifest["image_id"][manifest["dataset_split"] == "test"])
    vals = []
    for scheme in ("exp1", "exp3"):
        for v in range(3):
            sel = table[(table["scheme"] == scheme) & (table["variant"] == v)]
            assert set(sel["image_id"][sel["subset"] == "test"]) == test_ids
            val = set(sel["image_id"][sel["subset"] == "val"])
            assert len(val) == 12 and not val & test_ids       # the dataset's train:dev proportion, 36:12
            vals.append(frozenset(val))
    assert len(set(vals[:3])) == 3 and vals[:3] == vals[3:]     # variants differ; exp1 = exp3
    assert set(table["image_id"][table["scheme"] == "stacking"]) == test_ids
    with pytest.raises(InputError, match="no dataset_split column"):
        make_splits(manifest.drop(columns="dataset_split"), cfg)
    with pytest.raises(InputError, match="0 dev"):
        make_splits(manifest.assign(dataset_split=["train"] * 48 + ["test"] * 12), cfg)
