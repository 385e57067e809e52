"""Twins in the simulator and reliance measured from them."""

import numpy as np
import pytest
from PIL import Image

from rashomon.data.synthetic import ARTIFACTS, artifact_visibility, generate, render_with_twins
from rashomon.data.twins import TWINS, twin_path
from rashomon.variants.reliance import partial_corr_p, relies_on_artifact, reliance
from tests.conftest import config


def render(seed, badness, strength, artifact="checkerboard"):
    return render_with_twins(np.random.default_rng([0, seed]), 64, "disk", "red", badness, strength, artifact)


@pytest.mark.parametrize("artifact", ARTIFACTS)
def test_without_artifact_strength_the_twin_is_the_image_bit_for_bit(artifact):
    img, mask, twins = render(3, 0.6, 0.0, artifact)
    assert np.array_equal(twins["no_artifact"], img)
    img, mask, twins = render(3, 0.6, 0.9, artifact)
    changed = np.any(twins["no_artifact"] != img, axis=-1)
    assert changed.any() and not changed[mask == 0].any()   # the artifact twin differs only under the mask


def test_no_degradation_twin_keeps_scene_and_artifact_place():
    img, mask, twins = render(5, 0.0, 0.8)
    assert np.abs(twins["no_degradation"] - img).max() < 1e-6   # nothing to remove
    img, mask, twins = render(5, 0.7, 0.8)
    assert np.abs(twins["no_degradation"] - img).mean() > 0.01
    _, clean_mask, _ = render(5, 0.0, 0.8)
    assert np.array_equal(mask, clean_mask)                     # same draws: the artifact lands alike
    # the image without degradation equals the same scene rendered with badness 0
    np.testing.assert_allclose(twins["no_degradation"], render(5, 0.0, 0.8)[0], atol=1e-6)


def test_generate_writes_both_twins_of_every_image(tmp_path):
    generate(tmp_path / "s", config("synthetic", n_prompts=2, n_generators=1, image_size=32))
    for twin in TWINS:
        for i in range(8):
            assert Image.open(twin_path(tmp_path / "s", twin, str(i))).size == (32, 32)
    # an image without an artifact is its own no-artifact twin, byte for byte
    import pandas as pd

    truth = pd.read_csv(tmp_path / "s/truth.csv")
    clean = truth.loc[truth.artifact_strength == 0, "image_id"].astype(str)
    for i in clean:
        assert np.array_equal(np.asarray(Image.open(tmp_path / f"s/Image/allimg/{i}.png")),
                              np.asarray(Image.open(twin_path(tmp_path / "s", "no_artifact", i))))


def planted(artifact_weight, n=300, k=4, seed=0):
    rng = np.random.default_rng(seed)
    strength = np.where(rng.random(n) < 0.8, rng.uniform(0.1, 1, n), 0.0)
    badness = rng.uniform(0, 1, n)
    noise = rng.normal(0, 1, (n, k))
    pred = 60 - artifact_weight * strength[:, None] - 8 * badness[:, None] + noise
    no_art = pred + artifact_weight * strength[:, None]
    no_deg = pred + 8 * badness[:, None]
    return pred, no_art, no_deg, strength, badness


def test_visibility_is_the_mean_change_the_artifact_makes_and_the_raters_cue(tmp_path):
    """By hand: a 2x2 image whose one pixel moves by 0.3 in one channel has visibility 0.3 / 12;
    the simulated authenticity falls with visibility (its local cue), not with nominal strength."""
    a, b = np.zeros((2, 2, 3), np.float32), np.zeros((2, 2, 3), np.float32)
    b[0, 1, 2] = 0.3
    assert artifact_visibility(b, a) == pytest.approx(0.3 / 12) and artifact_visibility(a, a) == 0.0
    import pandas as pd

    generate(tmp_path / "s", config("synthetic", n_prompts=20, n_generators=2, image_size=32, w_global=0.0,
                                          excluded_offset=0.0))
    truth = pd.read_csv(tmp_path / "s/truth.csv")
    assert (truth.artifact_visibility[truth.artifact_strength == 0] == 0).all()
    assert (truth.artifact_visibility[truth.artifact_strength > 0] > 0).all()
    i = int(truth.index[truth.artifact_strength > 0][0])
    img, no_art = (np.asarray(Image.open(p), np.float32) / 255 for p in
                   (tmp_path / f"s/Image/allimg/{i}.png", twin_path(tmp_path / "s", "no_artifact", str(i))))
    assert truth.artifact_visibility[i] == pytest.approx(artifact_visibility(img, no_art), abs=2 / 255)
    # no degradation weight, no excluded-prompt offset: the latent is -visibility standardised
    assert np.corrcoef(truth.latent_authenticity, -truth.artifact_visibility)[0, 1] == pytest.approx(1.0)


def test_reliance_recovers_a_planted_artifact_effect():
    pred, no_art, no_deg, strength, badness = planted(10.0)
    r = reliance(pred, no_art, no_deg, strength, badness)
    assert r["relies_on_artifact"] and r["partial_r_artifact_given_degradation"] < -0.5 and r["partial_p"] < 1e-6
    assert r["artifact_effect_mean"] == pytest.approx(10 * strength[strength > 0].mean(), rel=1e-9)
    assert r["degradation_effect_mean"] == pytest.approx(8 * badness.mean(), rel=1e-9)
    assert r["variants_relying_on_artifact"] == 4
    effect = 10 * strength[strength > 0]           # the per-image artifact effects: their mean's interval
    assert r["artifact_effect_ci_low"] < r["artifact_effect_mean"] < r["artifact_effect_ci_high"]
    assert r["artifact_effect_ci_low"] > effect.mean() - 3 * effect.std() / np.sqrt(len(effect))


def test_a_model_that_ignores_the_artifact_is_reported_as_such():
    pred, no_art, no_deg, strength, badness = planted(0.0)
    r = reliance(pred, no_art, no_deg, strength, badness)
    assert not r["relies_on_artifact"] and r["artifact_effect_mean"] == 0
    assert r["r2_degradation"] > 0.8 and r["r2_artifact_visibility"] < 0.05


def test_partial_corr_p_matches_a_regression_t_test():
    from scipy import stats

    rng = np.random.default_rng(2)
    z = rng.normal(size=80)
    x = z + rng.normal(size=80)
    y = 0.3 * x + z + rng.normal(size=80)
    rx = x - np.polyval(np.polyfit(z, x, 1), z)
    ry = y - np.polyval(np.polyfit(z, y, 1), z)
    r = stats.pearsonr(rx, ry)[0]
    t = r * np.sqrt(77 / (1 - r**2))
    assert partial_corr_p(r, 80) == pytest.approx(2 * stats.t.sf(abs(t), 77))


def test_partial_corr_p_edge_cases():
    assert np.isnan(partial_corr_p(0.5, 3))        # no degrees of freedom: undefined, not significant
    assert np.isnan(partial_corr_p(float("nan"), 50))
    assert partial_corr_p(1.0, 50) == 0.0


def test_the_reliance_verdict_is_undefined_without_its_inputs():
    from types import SimpleNamespace

    significant = SimpleNamespace(statistic=4.0, pvalue=0.001)
    assert relies_on_artifact(-0.5, 0.001, significant) is True
    assert relies_on_artifact(0.5, 0.001, significant) is False
    assert relies_on_artifact(-0.5, float("nan"), significant) is None      # too few images for a p
    assert relies_on_artifact(-0.5, 0.001, None) is None                    # fewer than 2 artifact images


def test_a_variant_counts_as_relying_only_when_its_partial_r_is_shown_negative():
    """Known answer: r = -0.05 on 30 images is negative but far from significant; r = -0.9 is
    significant after Holm over the variants; a positive r never counts."""
    from rashomon.variants.reliance import partial_corr_p, variants_relying

    assert partial_corr_p(-0.05, 30) > 0.5 and partial_corr_p(-0.9, 30) < 1e-6
    assert variants_relying(np.array([-0.05, -0.9, 0.9, -0.9]), 30) == 2
    assert variants_relying(np.array([-0.05, -0.08]), 30) == 0
