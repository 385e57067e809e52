"""The explanation order: seeded, random, and every prefix stratified by generator x kind."""

import numpy as np
import pandas as pd

from rashomon.attribution.runner import explanation_ids
from rashomon.data.explanation_order import RANK, strata_of, stratified_order, with_explain_rank


def test_every_prefix_holds_each_stratum_in_proportion():
    """Known by construction: 60 images over strata of 30, 20 and 10; any first n hold each stratum
    within one image of n x its share, and the order is a seeded permutation."""
    ids = [str(i) for i in range(60)]
    strata = pd.Series(["a"] * 30 + ["b"] * 20 + ["c"] * 10, index=ids)
    order = stratified_order(ids, strata, seed=3)
    assert sorted(order) == sorted(ids) and order == stratified_order(ids, strata, seed=3)
    assert order != stratified_order(ids, strata, seed=4) and order[:10] != ids[:10]
    for n in range(1, 61):
        counts = strata.loc[order[:n]].value_counts()
        for name, size in (("a", 30), ("b", 20), ("c", 10)):
            assert abs(counts.get(name, 0) - n * size / 60) <= 1, (n, name)


def test_the_first_ids_are_not_the_first_generators():
    """The issue's finding: sorted ids come generator by generator; the first 12 of the order span all."""
    manifest = pd.DataFrame({"image_id": [str(i) for i in range(48)], "generator": np.repeat(list("ABCD"), 12)})
    truth = pd.DataFrame({"artifact": np.tile(["checkerboard", "none", "colour_noise"], 16)},
                         index=manifest.image_id.to_numpy())
    strata = strata_of(manifest, truth)
    assert strata["0"] == "A/checkerboard" and strata["13"] == "B/none"
    order = stratified_order(list(manifest.image_id), strata, seed=0)
    assert set(manifest.set_index("image_id").loc[order[:12], "generator"]) == set("ABCD")
    assert set(truth.loc[order[:12], "artifact"]) == {"checkerboard", "none", "colour_noise"}
    assert strata_of(manifest, None)["0"] == "A"


def test_the_split_table_carries_the_rank_and_explanation_ids_follow_it():
    ids = [str(i) for i in range(20)]
    rows = [{"scheme": "exp3", "variant": v, "image_id": i, "subset": "test" if int(i) < 10 else "train"}
            for v in range(2) for i in ids]
    splits = with_explain_rank(pd.DataFrame(rows), pd.Series(["g"] * 20, index=ids), seed=1)
    test = splits[splits.subset == "test"]
    assert (splits[splits.subset == "train"][RANK] == -1).all() and sorted(test[RANK].unique()) == list(range(10))
    assert test.groupby("image_id")[RANK].nunique().eq(1).all()   # the same rank in every variant
    order = explanation_ids(splits, "exp3", None)
    assert order == stratified_order([str(i) for i in range(10)], pd.Series(["g"] * 20, index=ids), 1)
    assert explanation_ids(splits, "exp3", 4) == order[:4] and order != sorted(order, key=int)
    assert explanation_ids(splits.drop(columns=RANK), "exp3", 3) == ["0", "1", "2"]   # a hand-made table: sorted


def test_the_committed_explanation_and_control_subsets_span_every_generator_and_kind():
    """Issue 40's check on the default's committed tables: every method's scored images (the
    explanation subsets, groundtruth) and the controls' images span all 6 generators and all 3
    kinds of artifact, and the methods of one table are scored on the same images."""
    from rashomon.data.aigciqa import GENERATORS
    from rashomon.data.synthetic import ARTIFACTS
    from tests.conftest import REPO

    generators, kinds, checked = set(GENERATORS), set(ARTIFACTS), set()
    for name in ("groundtruth", "controls"):
        table = pd.read_csv(REPO / "plots" / name / "localisation.csv", dtype={"image_id": str})
        table = table[table.method != "reference"]
        for method, rows in table.groupby("method"):
            if rows.image_id.nunique() < len(generators) * len(kinds):   # the counterfactuals' 3: too few to span
                continue
            assert set(rows.generator) == generators, (name, method, sorted(set(rows.generator)))
            assert set(rows.artifact) == kinds, (name, method, sorted(set(rows.artifact)))
            checked.add((name, method))
        if name == "controls":   # every method, control and architecture on the same images
            images = {key: frozenset(g.image_id) for key, g in table.groupby(["method", "control", "architecture"])}
            assert len(set(images.values())) == 1, "the controls' comparisons are not on the same images"
    assert {(n, m) for n in ("groundtruth", "controls") for m in ("gradcam", "lime", "mpm")} <= checked
