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
    truth = pd.DataFrame({"artifact_visibility": visibility, "global_badness": badness}, index=ids)
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
