"""Monte-Carlo stratified splits (stratified on rating bins), seeded.

Schemes (one long table: scheme, variant, image_id, subset):
- exp1: each variant its own train/val/test split (70/20/10 by default); Exp2 uses the
  same splits with pruning fitted on test.
- exp3: one fixed test set (20%); per variant v the rest is re-split into train/val
  with seed `seed + v` (the study's 42+v).
- stacking: k folds over the exp3 test set (for stacked ensembles).

With `split.scheme: dataset` the dataset's own test split (the manifest's `dataset_split`,
e.g. RichHF-18K's test.tfrecord) is the fixed test set of exp1 and exp3 alike, and each
variant re-splits the dataset's train + dev images in the dataset's train:dev proportion.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from rashomon.core.errors import InputError
from rashomon.data.split_params import SplitConfig

SUBSETS = ("train", "val", "test")


def rating_bins(values: np.ndarray, n_bins: int) -> np.ndarray:
    """Quantile bin index of each value (ties broken by rank, so bins are balanced)."""
    ranks = pd.Series(values).rank(method="first").to_numpy() - 1
    return np.minimum((ranks * n_bins // len(values)).astype(int), n_bins - 1)


def check_fractions(fractions: Sequence[float], name: str) -> np.ndarray:
    f = np.asarray(fractions, float)
    if (f < 0).any() or abs(f.sum() - 1.0) > 1e-6:
        raise InputError(f"split.{name}: fractions {list(f)} must be non-negative and sum to 1 (sum {f.sum():.6g})")
    return f


def stratified_partition(bins: np.ndarray, fractions: Sequence[float], rng: np.random.Generator) -> np.ndarray:
    """Assign each item a part index so every bin is cut in the given fractions."""
    fractions = np.asarray(fractions, float)
    part = np.empty(len(bins), dtype=int)
    for b in np.unique(bins):
        members = rng.permutation(np.flatnonzero(bins == b))
        cuts = np.rint(np.cumsum(fractions)[:-1] * len(members)).astype(int)
        for k, chunk in enumerate(np.split(members, cuts)):
            part[chunk] = k
    return part


def check_stacking_folds(test_bins: np.ndarray, k: int, n_images: int) -> None:
    """Refuse in one line the stacking folds the exp3 test set cannot stratify (sklearn's conditions)."""
    counts = np.bincount(test_bins) if len(test_bins) else np.zeros(1, dtype=int)
    if len(test_bins) >= k and counts.max() >= k:
        return
    raise InputError(f"split: the exp3 test set holds {len(test_bins)} of the {n_images} kept images, at most "
                     f"{counts.max()} in any of the {int((counts > 0).sum())} rating bins (split.n_bins), too few for "
                     f"split.stacking_folds = {k} stratified folds: keep more images, or lower split.n_bins or "
                     "split.stacking_folds")


def dataset_test_set(manifest: pd.DataFrame) -> tuple[np.ndarray, float]:
    """The dataset's own test split (a boolean per row) and its dev share of train + dev."""
    if "dataset_split" not in manifest:
        raise InputError("split.scheme is dataset, but the manifest has no dataset_split column (the dataset's own "
                         "train/dev/test, e.g. RichHF-18K's); use split.scheme: monte_carlo")
    split = manifest["dataset_split"].astype(str).to_numpy()
    unknown = sorted(set(split) - {"train", "dev", "test"})
    if unknown:
        raise InputError(f"manifest: dataset_split holds {unknown}; expected train, dev or test")
    n_train, n_dev, n_test = ((split == s).sum() for s in ("train", "dev", "test"))
    if not (n_train and n_dev and n_test):
        raise InputError(f"split.scheme is dataset, but the kept images hold {n_train} train, {n_dev} dev and "
                         f"{n_test} test images; each needs at least one")
    return split == "test", n_dev / (n_train + n_dev)


def make_splits(manifest: pd.DataFrame, cfg: SplitConfig) -> pd.DataFrame:
    """All split schemes for `manifest` as one long table."""
    ids = manifest["image_id"].astype(str).to_numpy()
    bins = rating_bins(manifest[cfg.stratify_on].to_numpy(), cfg.n_bins)
    seed, n_variants = cfg.seed, cfg.n_variants
    if cfg.scheme == "dataset":
        is_test, dev_share = dataset_test_set(manifest)
        return _with_test_set(ids, bins, is_test, np.array([1 - dev_share, dev_share]), cfg, ("exp1", "exp3"))
    rows = []
    f1 = check_fractions(cfg.exp1_fractions, "exp1_fractions")
    for v in range(n_variants):
        part = stratified_partition(bins, f1, np.random.default_rng(seed + v))
        rows.append(pd.DataFrame({"scheme": "exp1", "variant": v, "image_id": ids,
                                  "subset": np.asarray(SUBSETS)[part]}))
    test_fraction = cfg.exp3_test_fraction
    val_fraction = cfg.exp3_val_fraction
    f3 = check_fractions((1 - test_fraction - val_fraction, val_fraction, test_fraction), "exp3 fractions")
    is_test = stratified_partition(bins, (1 - f3[2], f3[2]), np.random.default_rng(seed + 1000)) == 1
    return pd.concat([*rows, _with_test_set(ids, bins, is_test, f3[:2] / f3[:2].sum(), cfg, ("exp3",))],
                     ignore_index=True)


def _with_test_set(ids: np.ndarray, bins: np.ndarray, is_test: np.ndarray, train_val: np.ndarray, cfg: SplitConfig,
                   schemes: tuple[str, ...]) -> pd.DataFrame:
    """Variants over one fixed test set (the rest re-split train/val per variant with seed
    `seed + v`) under each of `schemes`, and the stacking folds over that test set."""
    seed, rows = cfg.seed, []
    rest = np.flatnonzero(~is_test)
    for v in range(cfg.n_variants):
        subset = np.where(is_test, "test", "train").astype(object)
        part = stratified_partition(bins[rest], train_val, np.random.default_rng(seed + v))
        subset[rest[part == 1]] = "val"
        rows.extend(pd.DataFrame({"scheme": scheme, "variant": v, "image_id": ids, "subset": subset})
                    for scheme in schemes)
    k = cfg.stacking_folds
    test_idx = np.flatnonzero(is_test)
    check_stacking_folds(bins[test_idx], k, len(ids))
    from sklearn.model_selection import StratifiedKFold  # 0.75 s to import: only making splits needs it

    folds = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    for fold, (_, held) in enumerate(folds.split(test_idx, bins[test_idx])):
        subset = np.full(len(test_idx), "train", dtype=object)
        subset[held] = "test"
        rows.append(pd.DataFrame({"scheme": "stacking", "variant": fold, "image_id": ids[test_idx],
                                  "subset": subset}))
    return pd.concat(rows, ignore_index=True)


def subset_ids(splits: pd.DataFrame, scheme: str, variant: int, subset: str) -> list[str]:
    """Image ids of one subset of one variant of one scheme."""
    sel = (splits["scheme"] == scheme) & (splits["variant"] == variant) & (splits["subset"] == subset)
    ids = splits.loc[sel, "image_id"].astype(str).tolist()
    if not ids:
        raise InputError(f"splits: no {subset} images for scheme {scheme!r} variant {variant}")
    return ids


def shared_test_ids(splits: pd.DataFrame, scheme: str) -> set[str]:
    """The explanation set, unordered: the test images that every variant of `scheme` shares."""
    test = splits[(splits.scheme == scheme) & (splits.subset == "test")]
    per_variant = test.groupby("variant")["image_id"].apply(set)
    return set.intersection(*per_variant) if len(per_variant) else set()
