"""Controls: targets signed like authenticity, and the discrimination verdict on a known case."""

import numpy as np
import pandas as pd
import pytest

from rashomon.core.config import InferenceConfig
from rashomon.groundtruth.controls import CUE_BLIND, CUE_ONLY, DETECTOR, STUDY, control_targets, method_controls

INFERENCE = InferenceConfig(n_resamples=2000, min_n=10, seed=0)


def test_every_control_target_falls_with_its_cue_like_authenticity():
    truth = pd.DataFrame({"artifact_strength": [0.0, 0.9], "artifact_visibility": [0.0, 0.2],
                          "global_badness": [0.8, 0.1]}, index=["a", "b"])
    manifest = pd.DataFrame({"authenticity": [40.0, 60.0]}, index=["a", "b"])
    targets = control_targets(truth, manifest, "authenticity")
    assert targets[CUE_ONLY].tolist() == [-0.0, -0.2] and targets[CUE_BLIND].tolist() == [-0.8, -0.1]
    assert targets[STUDY].tolist() == [40.0, 60.0]


def rows(method, control, aurocs, arch="x"):
    return pd.DataFrame({"image_id": [str(i) for i in range(len(aurocs))], "auroc": aurocs, "method": method,
                         "control": control, "architecture": arch})


def test_a_map_that_finds_the_mask_separates_from_one_that_does_not():
    """Known answer: the positive control's maps equal the mask (AUROC 1 on every image), the
    cue-blind heads' maps are the centred Gaussian's: discrimination = 1 - the Gaussian's AUROC."""
    rng = np.random.default_rng(0)
    gauss = rng.uniform(0.4, 0.8, 12)
    table = pd.concat([rows("m", CUE_ONLY, np.ones(12)), rows("m", CUE_BLIND, gauss), rows("m", STUDY, gauss),
                       rows("reference", "gaussian", gauss)])
    out = method_controls(table, "m", INFERENCE)
    entry = out["architectures"]["x"]
    assert entry["discrimination"]["difference"] == pytest.approx(1 - gauss.mean())
    assert entry["separates"] is True and out["credited"] is True and out["separates_on"] == ["x"]
    assert entry["discrimination"]["p"] == pytest.approx(2 / 2 ** 12) and entry["cue_only"]["value"] == 1.0
    assert entry["positive_minus_gaussian"]["difference"] == pytest.approx(1 - gauss.mean())
    # the same maps for both controls: no separation; on 6 images: undefined, never false
    same = pd.concat([rows("m", CUE_ONLY, gauss), rows("m", CUE_BLIND, gauss + rng.normal(0, 0.01, 12)),
                      rows("m", STUDY, gauss), rows("reference", "gaussian", gauss)])
    assert method_controls(same, "m", INFERENCE)["credited"] is False
    few = pd.concat([rows("m", c, np.ones(6)) for c in (CUE_ONLY, CUE_BLIND, STUDY)] + [rows("reference", "gaussian",
                                                                                           np.ones(6))])
    assert method_controls(few, "m", INFERENCE)["credited"] is None


def test_the_detector_is_scored_against_the_gaussian_only_where_one_was_fitted():
    """Known answer: a detector whose maps are the mask beats the Gaussian by 1 - its AUROC; one
    whose maps are the Gaussian's does not; an architecture without a detector has no entry."""
    rng = np.random.default_rng(1)
    gauss = rng.uniform(0.4, 0.8, 12)
    base = [rows("m", c, gauss, a) for c in (CUE_ONLY, CUE_BLIND, STUDY) for a in ("x", "y", "z")]
    refs = [rows("reference", "gaussian", gauss, a) for a in ("x", "y", "z")]
    table = pd.concat(base + refs + [rows("m", DETECTOR, np.ones(12), "x"), rows("m", DETECTOR, gauss - 0.01 + rng.normal(0, 0.01, 12), "y")])
    out = method_controls(table, "m", INFERENCE)["architectures"]
    assert out["x"]["detector"]["value"] == 1.0 and out["x"]["detector_beats_gaussian"] is True
    assert out["x"]["detector_minus_gaussian"]["difference"] == pytest.approx(1 - gauss.mean())
    assert out["y"]["detector_minus_gaussian"]["ci_high"] < 0.01 and out["y"]["detector_beats_gaussian"] is False
    assert "detector" not in out["z"] and "detector_beats_gaussian" not in out["z"]
    summary = method_controls(table, "m", INFERENCE)
    assert summary["finds_detector_cue"] is True and summary["finds_detector_cue_on"] == ["x"]
    without = method_controls(table[table.architecture != "x"], "m", INFERENCE)
    assert without["finds_detector_cue"] is False and without["finds_detector_cue_on"] == []
    assert "finds_detector_cue" not in method_controls(table[table.control != DETECTOR], "m", INFERENCE)


def test_the_twins_tell_a_cue_only_model_from_a_cue_blind_one():
    """Known answer: a model that predicts -visibility exactly loses its artifact effect on the
    no-artifact twin (relies: true, partial r -1); one that predicts -badness does not (false)."""
    from rashomon.groundtruth.controls import control_reliance

    rng = np.random.default_rng(3)
    n = 40
    ids = [str(i) for i in range(n)]
    visibility = np.where(rng.random(n) < 0.75, rng.uniform(0.01, 0.1, n), 0.0)
    badness = rng.uniform(0, 1, n)
    kinds = np.where(visibility > 0, np.where(np.arange(n) % 2, "checkerboard", "colour_noise"), "none")
    truth = pd.DataFrame({"artifact_visibility": visibility, "global_badness": badness, "artifact": kinds,
                          "artifact_strength": visibility}, index=ids)
    col = lambda v: np.repeat(v[:, None], 2, axis=1)   # noqa: E731  two identical variants
    cue_only = {"image": col(-visibility), "no_artifact": col(np.zeros(n)), "no_degradation": col(-visibility)}
    noisy = -badness + rng.normal(0, 0.05, n)                  # the twin moves it only by noise
    cue_blind = {"image": col(noisy), "no_artifact": col(noisy + rng.normal(0, 0.01, n)),
                 "no_degradation": col(noisy + badness)}
    used = control_reliance(cue_only, truth, ids, INFERENCE)
    assert used["relies_on_artifact"] is True and used["partial_r_artifact_given_degradation"] == pytest.approx(-1)
    assert used["artifact_effect_mean"] == pytest.approx(visibility[visibility > 0].mean())
    ignored = control_reliance(cue_blind, truth, ids, INFERENCE)
    assert ignored["relies_on_artifact"] is False and abs(ignored["artifact_effect_mean"]) < 0.01
    # per kind: the cue-only model's effect on each kind is that kind's mean visibility; a model
    # that sees checkerboards only uses them and not the colour noise
    assert set(used["artifact_effect_by_kind"]) == {"checkerboard", "colour_noise"}
    for kind, e in used["artifact_effect_by_kind"].items():
        assert e["value"] == pytest.approx(visibility[kinds == kind].mean()) == pytest.approx(e["mean_visibility"])
        assert e["uses_it"] is True and e["n"] == (kinds == kind).sum()
    seen = np.where(kinds == "checkerboard", visibility, 0.0)
    one_kind = {"image": col(-seen), "no_artifact": col(rng.normal(0, 1e-4, n)), "no_degradation": col(-seen)}
    by_kind = control_reliance(one_kind, truth, ids, INFERENCE)["artifact_effect_by_kind"]
    assert set(by_kind) == {"checkerboard", "colour_noise"}
    assert by_kind["checkerboard"]["uses_it"] is True and by_kind["colour_noise"]["uses_it"] is False


def test_the_controls_images_are_balanced_over_kinds_in_the_explanation_sets_order():
    """Known answer: 7 images over kinds a, b, c are the first 3 of a and the first 2 of b and of
    c (the remainder to the first kind by name), in the given order; images without an artifact never."""
    from rashomon.groundtruth.controls import controls_images

    kinds = ["c", "none", "a", "a", "b", "c", "a", "a", "b", "b", "c", "none"]
    truth = pd.DataFrame({"artifact": kinds, "artifact_strength": [0.0 if k == "none" else 0.5 for k in kinds]},
                         index=[f"i{k}" for k in range(len(kinds))])
    ids = list(truth.index)
    chosen = controls_images(truth, ids, 7)
    assert chosen == ["i0", "i2", "i3", "i4", "i5", "i6", "i8"]
    assert truth.loc[chosen, "artifact"].value_counts().to_dict() == {"a": 3, "b": 2, "c": 2}
    assert controls_images(truth, ids[::-1], 3) == ["i10", "i9", "i7"]


def test_the_detector_verdict_is_given_per_kind_of_artifact():
    """Known answer: a detector whose maps are the mask on checkerboards (AUROC 1) and the
    Gaussian's on colour noise beats the Gaussian on the first kind and not on the second;
    overall, by the mean of both."""
    rng = np.random.default_rng(2)
    gauss = rng.uniform(0.4, 0.8, 24)
    kinds = np.repeat(["checkerboard", "colour_noise"], 12)
    detector = np.where(kinds == "checkerboard", 1.0, gauss - 0.02 + rng.normal(0, 0.01, 24))
    table = pd.concat([rows("m", c, gauss) for c in (CUE_ONLY, CUE_BLIND, STUDY)] +
                      [rows("reference", "gaussian", gauss), rows("m", DETECTOR, detector)])
    table["artifact"] = np.tile(kinds, 5)
    out = method_controls(table, "m", INFERENCE)
    by_kind = out["architectures"]["x"]["by_kind"]
    assert by_kind["checkerboard"]["detector"]["value"] == 1.0 and by_kind["checkerboard"]["detector"]["n"] == 12
    assert by_kind["checkerboard"]["detector_minus_gaussian"]["difference"] == pytest.approx(1 - gauss[:12].mean())
    assert by_kind["checkerboard"]["detector_beats_gaussian"] is True
    assert by_kind["colour_noise"]["detector_beats_gaussian"] is False
    assert by_kind["colour_noise"]["cue_only"]["value"] == pytest.approx(gauss[12:].mean())
    assert by_kind["checkerboard"]["study_target"]["value"] == pytest.approx(gauss[:12].mean())
    assert out["finds_detector_cue_by_kind"] == {"checkerboard": True, "colour_noise": False}
    assert out["architectures"]["x"]["detector"]["value"] == pytest.approx(detector.mean())
    few = table[table.image_id.astype(int) % 12 < 6]   # 6 images per kind: undefined, never false
    assert method_controls(few, "m", INFERENCE)["finds_detector_cue_by_kind"] == {"checkerboard": None,
                                                                                  "colour_noise": None}
