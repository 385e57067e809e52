"""Controls: targets signed like authenticity, the twins' reliance check and the balanced images
(the verdicts: test_controls_verdicts.py)."""

import numpy as np
import pandas as pd
import pytest

from rashomon.core.config import InferenceConfig
from rashomon.groundtruth.controls import CUE_BLIND, CUE_ONLY, STUDY, control_targets

INFERENCE = InferenceConfig(n_resamples=2000, min_n=10, seed=0)


def test_every_control_target_falls_with_its_cue_like_authenticity():
    truth = pd.DataFrame({"artifact_strength": [0.0, 0.9], "artifact_visibility": [0.0, 0.2],
                          "global_badness": [0.8, 0.1]}, index=["a", "b"])
    manifest = pd.DataFrame({"authenticity": [40.0, 60.0]}, index=["a", "b"])
    targets = control_targets(truth, manifest, "authenticity")
    assert targets[CUE_ONLY].tolist() == [-0.0, -0.2] and targets[CUE_BLIND].tolist() == [-0.8, -0.1]
    assert targets[STUDY].tolist() == [40.0, 60.0]


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
