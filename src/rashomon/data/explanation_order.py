"""The order in which the explanation set's images are explained: a seeded random order,
stratified so that every prefix (the first n images a method or control explains) holds each
stratum (generator x kind of artifact) in proportion, within one image. The split stage writes
it once (`explain_rank` in data/splits.csv), so every method and control samples the same way and
any two methods explained on n images are compared on the same images."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from rashomon.data.splits import shared_test_ids

RANK = "explain_rank"   # data/splits.csv's column: the image's place in the order (test rows only)


def strata_of(manifest: pd.DataFrame, truth: pd.DataFrame | None) -> pd.Series:
    """Each image's stratum: its generator (where the manifest has one) and, on the synthetic
    default, its kind of artifact; indexed by image id."""
    ids = manifest["image_id"].astype(str)
    parts = [manifest["generator"].astype(str).to_numpy()] if "generator" in manifest else []
    if truth is not None and "artifact" in truth:
        parts.append(truth.reindex(ids)["artifact"].astype(str).to_numpy())
    labels = ["/".join(p) for p in zip(*parts)] if parts else [""] * len(ids)
    return pd.Series(labels, index=ids.to_numpy())


def stratified_order(ids: Sequence[str], strata: pd.Series, seed: int) -> list[str]:
    """`ids` in a seeded random order whose every prefix is proportionally stratified: each
    stratum's images, shuffled, are spread evenly over [0, 1) from a random offset, and all are
    sorted by that position (systematic interleaving)."""
    rng = np.random.default_rng(seed)
    groups: dict[str, list[str]] = {}
    for i in ids:
        groups.setdefault(str(strata.get(i, "")), []).append(i)
    keyed = []
    for k, name in enumerate(sorted(groups)):
        members = list(rng.permutation(groups[name]))
        offset = rng.random()
        keyed += [((j + offset) / len(members), k, m) for j, m in enumerate(members)]
    return [m for _, _, m in sorted(keyed)]


def with_explain_rank(splits: pd.DataFrame, strata: pd.Series, seed: int) -> pd.DataFrame:
    """`splits` with RANK on the test rows of each scheme's shared test set (the explanation set:
    test images every variant shares), from `stratified_order`; other rows get -1."""
    out = splits.copy()
    out[RANK] = -1
    for scheme in sorted(splits.scheme.unique()):
        shared = sorted(shared_test_ids(splits, scheme))
        rank = {i: r for r, i in enumerate(stratified_order(shared, strata, seed))}
        hit = (out.scheme == scheme) & (out.subset == "test") & out.image_id.isin(rank)
        out.loc[hit, RANK] = out.loc[hit, "image_id"].map(rank).astype(int)
    return out


def selection_halves(ids: Sequence[str]) -> tuple[list[str], list[str]]:
    """The explanation set's images in its stratified order split by alternate places: the best
    architecture is picked on the first half and tested on the second (no winner's curse), each
    half stratified like the whole."""
    return list(ids[0::2]), list(ids[1::2])
