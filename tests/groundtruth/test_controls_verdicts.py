"""The controls' verdicts on known tables: credit needs the twins' sign, the cue-blind heads'
maps and every reference (the edge map too) beaten, valid manipulation checks, and Holm over
architectures; no verdict flips with the bootstrap's seed."""

import numpy as np
import pandas as pd
import pytest

from rashomon.core.config import InferenceConfig
from rashomon.groundtruth.controls_verdicts import (
    CUE_BLIND, CUE_ONLY, DETECTOR, STUDY, control_blind, method_controls,
)

INFERENCE = InferenceConfig(n_resamples=2000, min_n=10, seed=0)
SD = {CUE_ONLY: 0.02, CUE_BLIND: 0.2}   # the targets' SDs: the cue-blind target is 10x the scale


def rows(method, control, aurocs, arch="x", auroc_abs=None):
    aurocs = np.asarray(aurocs, dtype=float)
    return pd.DataFrame({"image_id": [str(i) for i in range(len(aurocs))], "auroc": aurocs,
                         "auroc_abs": aurocs if auroc_abs is None else auroc_abs, "method": method,
                         "control": control, "architecture": arch})


def twins(relies=True, effect=0.01, blind_effect=(0.0, -0.002, 0.002), detector=True, kinds=()):
    """Reliance entries as the controls stage writes them (per control of one architecture)."""
    def entry(rel, mean, low, high):
        return {"relies_on_artifact": rel, "artifact_effect_mean": mean, "artifact_effect_ci_low": low,
                "artifact_effect_ci_high": high,
                "artifact_effect_by_kind": {k: {"uses_it": True} for k in kinds}}
    out = {CUE_ONLY: entry(relies, effect, effect / 2, effect * 1.5),
           CUE_BLIND: entry(False, *blind_effect)}
    if detector:
        out[DETECTOR] = entry(True, effect, effect / 2, effect * 1.5)
    return out


def table_for(cue_only, cue_blind, refs, arch="x", detector=None, cue_blind_abs=None):
    parts = [rows("m", CUE_ONLY, cue_only, arch), rows("m", CUE_BLIND, cue_blind, arch, cue_blind_abs),
             rows("m", STUDY, cue_only, arch)]
    parts += [rows("reference", r, v, arch) for r, v in refs.items()]
    if detector is not None:
        parts.append(rows("m", DETECTOR, detector, arch))
    return pd.concat(parts, ignore_index=True)


def judge_table(table, reliance, inference=INFERENCE, margin=0.25):
    return method_controls(table, "m", reliance, SD, margin, inference)


N = 12   # images: at least inference.min_n; the sign-flip p is exact (2^12 flips) below 20
RNG = np.random.default_rng(0)
GAUSS = RNG.uniform(0.4, 0.7, N)
SOBEL = GAUSS + 0.05
RANDOM = np.full(N, 0.5) + RNG.normal(0, 0.01, N)
REFS = {"gaussian": GAUSS, "sobel": SOBEL, "random": RANDOM}


def test_maps_equal_to_the_mask_are_credited_with_known_differences():
    """Cue-only maps equal the mask (AUROC 1); the cue-blind heads' are the Gaussian's: every
    comparison is 1 minus the other map's mean AUROC, and with one architecture Holm changes nothing."""
    out = judge_table(table_for(np.ones(N), GAUSS, REFS), {"x": twins()})
    entry = out["architectures"]["x"]
    assert entry["positive_versus"]["sobel"]["difference"] == pytest.approx(1 - SOBEL.mean())
    assert entry["positive_versus"][CUE_BLIND]["difference"] == pytest.approx(1 - GAUSS.mean())
    assert entry["positive_versus"]["right_sign"]["difference"] == pytest.approx(0.5)
    assert entry["credited"]["value"] is True and entry["credited"]["adjusted_p"] == entry["credited"]["p"]
    assert out["credited"] is True and out["credited_on"] == ["x"] and out["finds_positive_cue"] is True


def test_a_wrong_sign_map_is_never_credited():
    """The issue's case: the cue-blind heads' maps point away from the artifact (AUROC 0.3), so
    cue-only minus cue-blind is large, but the cue-only maps do not beat the Gaussian: not credited.
    And maps that point at the artifact while the twins say it *raises* the prediction have the
    wrong sign: not credited either, though they beat every reference."""
    near_gauss = GAUSS + RNG.normal(0, 0.02, N)
    wrong_blind = table_for(near_gauss, np.full(N, 0.3) + RNG.normal(0, 0.02, N), REFS)
    out = judge_table(wrong_blind, {"x": twins()})
    assert out["architectures"]["x"]["positive_versus"][CUE_BLIND]["ci_low"] > 0.15   # the old "separation"
    assert out["credited"] is False
    assert "gaussian: interval not above 0" in out["architectures"]["x"]["credited"]["reason"]
    raises = twins(effect=-0.01)
    raises[CUE_ONLY].update(artifact_effect_ci_low=-0.015, artifact_effect_ci_high=-0.005)
    flipped = judge_table(table_for(np.full(N, 0.95), GAUSS, REFS), {"x": raises})
    assert flipped["architectures"]["x"]["positive_versus"]["right_sign"]["difference"] == pytest.approx(-0.45)
    assert flipped["credited"] is False and "right_sign" in flipped["architectures"]["x"]["credited"]["reason"]


def test_the_edge_map_is_a_reference_to_beat():
    """Maps that beat the Gaussian but not the Sobel edge map are not credited."""
    between = GAUSS + 0.03 + RNG.normal(0, 0.005, N)
    out = judge_table(table_for(between, GAUSS - 0.1, REFS), {"x": twins()})
    entry = out["architectures"]["x"]
    assert entry["positive_versus"]["gaussian"]["ci_low"] > 0 and entry["positive_versus"]["sobel"]["ci_high"] < 0
    assert out["credited"] is False and entry["credited"]["reason"] == "sobel: interval not above 0"


def test_failed_manipulation_checks_make_the_verdict_undefined():
    perfect = table_for(np.ones(N), GAUSS, REFS)
    no_reliance = judge_table(perfect, {"x": twins(relies=False)})
    assert no_reliance["credited"] is None
    assert "positive control failed" in no_reliance["architectures"]["x"]["credited"]["reason"]
    not_blind = judge_table(perfect, {"x": twins(blind_effect=(0.02, 0.015, 0.025))})
    entry = not_blind["architectures"]["x"]
    assert not_blind["credited"] is None and entry["negative_control_blind"]["value"] is False
    assert "negative control not blind" in entry["credited"]["reason"]
    assert entry["finds_positive_cue"]["value"] is True   # the positive control alone still finds the cue


def test_blindness_is_an_equivalence_in_each_targets_own_units():
    """Cue-only effect 0.01 on a target of SD 0.02 = 0.5 SD; margin 0.25 -> +-0.125 SD; the
    cue-blind target's SD is 0.2, so its effect interval must lie inside +-0.025 rating units."""
    assert control_blind(twins(blind_effect=(0.0, -0.02, 0.024)), SD, 0.25) == (True, "")
    blind, why = control_blind(twins(blind_effect=(0.01, -0.005, 0.026)), SD, 0.25)
    assert blind is False and "[-0.025, 0.130] SD" in why and "+-0.125" in why


def test_holm_over_architectures():
    """Two architectures whose claims have p 0.035 each: credited alone, not as a family of two."""
    def barely(seed):
        rng = np.random.default_rng(seed)
        return GAUSS + 0.06 + rng.normal(0, 0.06, N)
    refs = {"gaussian": GAUSS, "sobel": GAUSS - 0.2, "random": GAUSS - 0.2}   # the Gaussian is the best reference
    one = judge_table(table_for(barely(22), GAUSS - 0.2, refs, "x"), {"x": twins()})
    entry = one["architectures"]["x"]["credited"]
    assert entry["value"] is True and 0.01 < entry["p"] < 0.05, entry
    both = pd.concat([table_for(barely(22), GAUSS - 0.2, refs, a) for a in ("x", "y")])
    out = judge_table(both, {"x": twins(), "y": twins()})
    assert out["architectures"]["x"]["credited"]["adjusted_p"] == pytest.approx(min(1, 2 * entry["p"]))
    assert out["credited"] is False and "Holm" in out["architectures"]["x"]["credited"]["reason"]


def test_the_detector_is_judged_per_kind():
    kinds = np.repeat(["checkerboard", "colour_noise"], 12)
    gauss = np.random.default_rng(2).uniform(0.4, 0.7, 24)
    detector = np.where(kinds == "checkerboard", 1.0, gauss - 0.02)
    refs = {"gaussian": gauss, "sobel": gauss - 0.05, "random": np.full(24, 0.5)}
    table = table_for(gauss, gauss, refs, detector=detector)
    table["artifact"] = np.tile(kinds, len(table) // 24)
    out = judge_table(table, {"x": twins(kinds=("checkerboard", "colour_noise"))})
    by_kind = out["architectures"]["x"]["by_kind"]
    assert by_kind["checkerboard"]["detector_versus"]["gaussian"]["difference"] == pytest.approx(1 - gauss[:12].mean())
    assert by_kind["checkerboard"]["finds_detector_cue"]["value"] is True
    assert by_kind["colour_noise"]["finds_detector_cue"]["value"] is False
    assert out["finds_detector_cue_by_kind"] == {"checkerboard": True, "colour_noise": False}
    few = table[table.image_id.astype(int) % 12 < 6]   # 6 images per kind: undefined, never false
    assert judge_table(few, {"x": twins(kinds=("checkerboard", "colour_noise"))})["finds_detector_cue_by_kind"] == {
        "checkerboard": None, "colour_noise": None}


def verdicts_of(out: dict) -> dict:
    found = {k: v for k, v in out.items() if isinstance(v, bool) or v is None}
    for name, entry in out["architectures"].items():
        for key in ("credited", "credited_sign_blind", "finds_positive_cue", "finds_detector_cue"):
            if key in entry:
                found[f"{name}/{key}"] = entry[key]["value"]
    return found


def test_twenty_bootstrap_seeds_flip_no_verdict():
    """Architectures whose differences straddle 0 by various amounts: over 20 seeds a verdict may
    be undefined (within the bootstrap's noise) but is never true at one seed and false at another."""
    parts, reliance = [], {}
    for k, shift in enumerate((0.0, 0.02, 0.04, 0.06, 0.1)):
        rng = np.random.default_rng(10 + k)
        ours = GAUSS + shift + rng.normal(0, 0.08, N)
        parts.append(table_for(ours, GAUSS - 0.1, REFS, f"a{k}", detector=SOBEL + shift + rng.normal(0, 0.08, N)))
        reliance[f"a{k}"] = twins()
    table = pd.concat(parts, ignore_index=True)
    seen: dict = {}
    for seed in range(20):
        for key, value in verdicts_of(judge_table(table, reliance, InferenceConfig(2000, 10, seed))).items():
            seen.setdefault(key, set()).add(value)
    flipped = {k: v for k, v in seen.items() if {True, False} <= v}
    assert not flipped
    assert any(True in v for v in seen.values()) and any(False in v for v in seen.values())
