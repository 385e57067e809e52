"""The report's building blocks: self-contained HTML, embedded figures, readable numbers."""

import base64
import math

import numpy as np

from rashomon.core.plotting import plt, save_figure
from rashomon.report.html import fmt, image, page, section, table


def test_numbers_and_tables():
    assert fmt(0.123456) == "0.123" and fmt(math.nan) == "–" and fmt(None) == "–" and fmt(True) == "yes"
    assert fmt(0.0001234) == "0.000123" and fmt("<b>") == "&lt;b&gt;"
    html = table([{"architecture": "a", "plcc": 0.5}, {"architecture": "b", "plcc": math.nan}])
    assert html.count("<tr>") == 3 and "<th>plcc</th>" in html and "<td>0.500</td>" in html
    assert "no rows" in table([])


def test_figures_are_embedded_and_the_page_fetches_nothing(tmp_path):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    save_figure(fig, tmp_path / "f.png")
    tag = image(tmp_path / "f.png", "a line")
    payload = tag.split("base64,")[1].split('"')[0]
    assert base64.b64decode(payload) == (tmp_path / "f.png").read_bytes()
    assert "not found" in image(tmp_path / "missing.png", "x")
    html = page("t", "SYNTHETIC data", [section("S", "what it means", tag)])
    assert html.startswith("<!DOCTYPE html>") and "SYNTHETIC data" in html and "what it means" in html
    assert "<script" not in html and "<link" not in html and "http" not in html


NAN = float("nan")
UNDEFINED = {"value": NAN, "ci_low": NAN, "ci_high": NAN, "n": 0}
RASHOMON = {"rule": "test PLCC within the tolerance", "tolerance": 0.05, "best": "a", "members": ["a"],
            "excluded": {"b": "predicts nothing: test PLCC 0.010 [-0.100, 0.120]"},
            "plcc": {"a": {"value": 0.8, "ci_low": 0.7, "ci_high": 0.86, "n": 40},
                     "b": {"value": 0.01, "ci_low": -0.1, "ci_high": 0.12, "n": 40}}}


def test_sections_render_undefined_values(tmp_path):
    from rashomon.report import sections

    consistency = {"percents": [5.0], "rashomon_set": RASHOMON, "methods": {"gradcam": {
        "within": {"a": {"pearson": 0.5, "iou5": None}}, "across": {"pearson": None}, "within_exceeds_across": None,
        "across_pearson_in_set": UNDEFINED, "across_pearson_all_pairs": {"value": 0.3, "ci_low": 0.2, "ci_high": 0.4,
                                                                          "n": 40},
        "undefined": {"within_exceeds_across": "one architecture in the Rashomon set: no pair of architectures to "
                                               "compare"}}},
        "behaviour": {"a": {"prediction_similarity": 0.9, "rsm_similarity": None}}}
    html = sections.consistency(consistency, tmp_path)
    assert "Pearson –, n 0 (every pair, the non-members too: 0.300 [0.200, 0.400], n 40)" in html
    assert "within > across: undefined (one architecture in the Rashomon set: no pair" in html
    assert "<td>no: predicts nothing: test PLCC 0.010 [-0.100, 0.120]</td>" in html and "0.800 [0.700, 0.860]" in html


def test_verdicts_are_yes_no_or_undefined_with_the_reason():
    from rashomon.report.html import verdict

    assert verdict(True) == "yes" and verdict(False) == "no" and verdict(None) == "undefined"
    assert verdict(None, "one variant per architecture") == "undefined (one variant per architecture)"


def test_one_variant_per_architecture_is_undefined_not_no_and_the_configured_percents_are_named(tmp_path):
    from rashomon.report import sections

    entry = {"within": {"a": {"pearson": None, "iou10": None, "iou20": None},
                        "b": {"pearson": None, "iou10": None, "iou20": None}},
             "across": {"pearson": 0.2, "iou10": 0.1, "iou20": 0.3, "feature_agreement": 0.1},
             "within_mean_pearson": None, "across_mean_pearson": 0.2, "within_exceeds_across": None,
             "across_pearson_in_set": UNDEFINED, "across_pearson_all_pairs": UNDEFINED,
             "undefined": {"within_exceeds_across": "one variant per architecture (train.seeds: 1): no pair of "
                                                    "variants to compare"}}
    html = sections.consistency({"percents": [10.0, 20.0], "rashomon_set": RASHOMON, "methods": {"lime": entry},
                                 "behaviour": {}}, tmp_path)
    assert "within > across: undefined (one variant per architecture" in html
    assert "within > across: no" not in html
    assert "<th>iou10</th>" in html and "<th>iou20</th>" in html and "top 10/20% pixels" in html
    assert "5/15/25" not in html
    defined = sections.consistency({"percents": [10.0], "rashomon_set": RASHOMON,
                                    "methods": {"lime": {**entry, "within_exceeds_across": False, "undefined": {}}},
                                    "behaviour": {}}, tmp_path)
    assert "within > across: no." in defined


def test_ensemble_groundtruth_and_sanity_sections_show_undefined_verdicts(tmp_path):
    from rashomon.report import sections

    scores = {"rmse": 1.0, "plcc": float("nan"), "srcc": 0.1}
    ens = {"bagging": scores, "stacking": {**scores, "plcc": 0.5}, "best_single": {"architecture": None,
                                                                                  "plcc": float("nan")},
           "mean_single_plcc": float("nan"), "attribution": {"n_images": 1, "lime_fidelity_r2_mean": 0.3,
                                                             "lime_vs_mpm_pearson_mean": 0.2},
           "bagging_beats_best_single": None, "stacking_beats_best_single": None,
           "undefined": {"bagging_beats_best_single": "PLCC undefined for bagging (constant predictions on the "
                                                      "test set)"}}
    html = sections.ensemble(ens)
    assert "Bagging beats the best single architecture: undefined (PLCC undefined for bagging" in html
    assert "stacking: undefined." in html and "None" not in html

    score = {"auroc": float("nan"), "auroc_abs": 0.7, "mass": 0.1, "pointing": 0.5, "rank": 0.2, "n_images": 0,
             "twin_agreement": {"rho": 0.1}, "deletion": None}
    truth = {"methods": {"lime": {"architectures": {"a": score}, "best_auroc": {"architecture": "a", "auroc": None},
                                  "beats_gaussian": None, "beats_sobel": True,
                                  "beats_references": {"value": None, "p": NAN, "adjusted_p": NAN,
                                                       "reason": "gaussian: no architecture's AUROC is defined"},
                                  "undefined": {"beats_gaussian": "no architecture's AUROC is defined"}}},
             "references": {"gaussian": score}}
    reliance = {"architectures": {}}
    html = sections.groundtruth(truth, reliance, tmp_path)
    assert "<th>beats every reference</th>" in html
    assert "<td>undefined: gaussian: no architecture&#x27;s AUROC is defined</td>" in html

    sanity = {"rule": "passes if mean Spearman(|map|) after full randomisation < 0.5", "n_images": 1, "methods": {
        "gradcam": {"spearman_after_full_randomisation": None, "ssim_after_full_randomisation": 0.4,
                    "spearman_shuffled_ratings": None, "passes": None,
                    "undefined": {"passes": "Spearman(|map|) after full randomisation undefined"}},
        "sobel (reference)": {"spearman_after_full_randomisation": 1.0, "ssim_after_full_randomisation": 1.0,
                              "spearman_shuffled_ratings": 1.0, "passes": False, "undefined": {}}}}
    html = sections.sanity(sanity, tmp_path)
    assert "<td>undefined (Spearman(|map|) after full randomisation undefined)</td>" in html
    assert "<td>no</td>" in html and "<th>undefined</th>" not in html


def test_counterfactual_section_counts_failures_and_groundtruth_shows_image_counts(tmp_path):
    from rashomon.report import sections

    direction = {"success_rate": 0.5, "achieved_change_mean": 2.0, "edit_size_mean": 0.02}
    cf = {"target_change": 3.0, "n_images": 2, "overall": {"n_failed": 3, "n_edits": 8},
          "architectures": {"a": {"mean_model": {"raise": direction, "lower": direction},
                                  "agreement_with": {"lime": 0.25}}}}
    html = sections.counterfactual(cf, {"family": "autoencoder", "held_out": {"psnr_db_mean": 23.4, "ssim_mean": 0.46}},
                                   tmp_path)
    assert "3 of 8" in html and "<th>r vs lime</th>" in html and "<td>0.250</td>" in html
    score = {"auroc": 0.6, "auroc_abs": 0.7, "mass": 0.1, "pointing": 0.5, "rank": 0.2, "n_images": 7,
             "auroc_ci_low": 0.55, "auroc_ci_high": 0.7, "twin_agreement": {"rho": 0.1}, "deletion": None}
    paired = {"difference": 0.05, "ci_low": -0.02, "ci_high": 0.12, "p": 0.21, "n": 7, "permutations": "exact"}
    truth = {"methods": {"lime": {"architectures": {"a": score}, "best_auroc": {"architecture": "a", "auroc": 0.6},
                                  "vs_gaussian": paired, "beats_gaussian": None, "beats_sobel": None,
                                  "beats_references": {"value": None, "p": 0.21, "adjusted_p": 0.21, "reason":
                                                       "gaussian: underpowered: 7 images < inference.min_n = 10"},
                                  "undefined": {"beats_gaussian": "underpowered: 7 images < inference.min_n = 10"}}},
             "references": {"gaussian": score}}
    html = sections.groundtruth(truth, {"architectures": {}}, tmp_path)
    assert "<td>0.600 [0.550, 0.700]</td>" in html and "<td>0.050 [-0.020, 0.120], p 0.210, n 7</td>" in html
    assert "undefined: gaussian: underpowered: 7 images &lt; inference.min_n = 10" in html
    reliance = {"architectures": {"a": {"partial_r_artifact_given_degradation": -0.3, "partial_p": 0.01,
                                        "artifact_effect_mean": 0.9, "degradation_effect_mean": 3.0,
                                        "relies_on_artifact": True}}}
    assert "<th>images</th>" in sections.groundtruth(truth, reliance, tmp_path) and "<td>7</td>" in \
        sections.groundtruth(truth, reliance, tmp_path)


# --- the whole page from whatever metrics exist, each section naming its data ----------------------

def real_data_metrics() -> dict:
    """What the stages write on the README's real-data settings: the committed (synthetic default's)
    metrics reshaped as the real-data code paths write them; IDSDS stays on its SYNTHETIC default."""
    import json

    import pandas as pd

    from rashomon.counterfactual.evaluate import TWINS_SKIPPED
    from rashomon.psychometrics.report import reliability_report
    from rashomon.report.build import load_metrics
    from tests.conftest import REPO, config

    m = json.loads(json.dumps(load_metrics(REPO / "metrics")))   # a deep copy
    manifest = pd.DataFrame({"image_id": [str(i) for i in range(40)], "quality": np.linspace(10, 90, 40),
                             "authenticity": np.linspace(20, 80, 40) ** 1.1 % 97,
                             "correspondence": np.linspace(90, 5, 40)})
    m["reliability"] = reliability_report(manifest, None, config("reliability", noise_ceiling=0.82), "x")
    m["train"].pop("label", None)
    m["reliance"] = {"skipped": "no twins: reliance needs the synthetic default's ground truth"}
    m["groundtruth"] = {"skipped": "no artifact masks: ground truth exists only for the synthetic default"}
    for entry in m["counterfactual"]["architectures"].values():
        entry.pop("raise_edit_vs_twin_cosine", None)
    m["counterfactual"]["skipped"] = {"raise_edit_vs_twin_cosine": TWINS_SKIPPED}
    return m


def split_sections(html: str) -> dict[str, str]:
    """The page's sections by title (the text of each <h2>)."""
    return {part.split("</h2>")[0]: part for part in html.split("<h2>")[1:]}


def test_report_on_the_readme_real_data_settings_names_its_data_and_labels_each_section(tmp_path):
    from rashomon.report.build import DataSource, build_page

    html = build_page(real_data_metrics(), tmp_path, DataSource("aigciqa2023", "/data/AIGCIQA2023",
                                                                "data/idsds_synthetic"))
    assert 'class="banner"' not in html   # no SYNTHETIC banner over real ratings
    assert ("Data: aigciqa2023 folder /data/AIGCIQA2023 (real); IDSDS benchmark: data/idsds_synthetic (SYNTHETIC)"
            in html)
    parts = split_sections(html)
    assert len(parts) == 12 and next(iter(parts)) == "Every verdict at a glance"
    idsds = parts["IDSDS benchmark"]
    assert 'class="data synthetic">Data: SYNTHETIC classification data in CIFAR-100 format' in idsds
    for title, part in parts.items():
        if title != "IDSDS benchmark":
            assert 'class="data">Data: real data: aigciqa2023 folder /data/AIGCIQA2023</p>' in part, title
    reliability = parts["Ratings: reliability and noise ceiling"]
    assert "Skipped: split-half reliability" in reliability and "authenticity 0.820" in reliability
    assert "user-given (reliability.noise_ceiling)" in reliability
    assert "Skipped: no artifact masks" in parts["Ground truth"]
    cf = next(p for t, p in parts.items() if t.startswith("Counterfactuals"))
    assert "twin (cos)" not in cf and "cosine 1" not in cf and "Twin comparison skipped: no artifact-free twins" in cf


def test_report_builds_from_every_combination_of_present_and_absent_metrics(tmp_path):
    import itertools

    from rashomon.report.build import METRICS, DataSource, build_page, load_metrics
    from tests.conftest import REPO

    data = DataSource("aigciqa2023", "/data/AIGCIQA2023", "data/idsds_synthetic")
    for full in (real_data_metrics(), load_metrics(REPO / "metrics")):
        for n_absent in range(len(METRICS) + 1):
            for absent in itertools.combinations(METRICS, n_absent):
                m = {k: (None if k in absent else v) for k, v in full.items()}
                html = build_page(m, tmp_path, data)
                parts = split_sections(html)
                assert len(parts) == 12
                if "idsds" in absent:
                    assert "Data: unknown (metrics/idsds.json absent" in parts["IDSDS benchmark"]
                # each absent file is named where it would have been shown
                named = set(absent) - {"reliance", "generator"}
                if "generator" in absent and "counterfactual" not in absent:
                    named.add("generator")
                if "reliance" in absent and "skipped" not in (m["groundtruth"] or {"skipped": 1}):
                    named.add("reliance")
                for name in named:
                    assert f"metrics/{name}.json" in html, (absent, name)
                if not {"reliability", "train", "reliance", "groundtruth"} - set(absent):
                    assert "(unknown: no metrics of it yet)" in html
                    assert "Data: unknown (no metrics of the rated images yet)" in html
    # the synthetic default's own metrics: every section labelled SYNTHETIC, under the banner
    html = build_page(load_metrics(REPO / "metrics"), tmp_path, DataSource("aigciqa2023", "data/synthetic",
                                                                          "data/idsds_synthetic"))
    assert 'class="banner">SYNTHETIC data' in html and "(SYNTHETIC); IDSDS benchmark" in html
    assert all('class="data synthetic">Data: SYNTHETIC' in p for p in split_sections(html).values())


def test_a_corrupt_metrics_file_is_one_line(tmp_path):
    import pytest

    from rashomon.core.errors import InputError
    from rashomon.report.build import load_metrics

    (tmp_path / "train.json").write_text("{not json")
    with pytest.raises(InputError, match=r"train.json: not valid JSON"):
        load_metrics(tmp_path)


def test_controls_section_states_each_verdict_with_its_reason():
    """From method_controls on a known table: maps of the cue-only heads equal to the mask are
    credited; a detector whose maps are the Gaussian's on colour noise and the mask on checkerboards
    finds the cue on the first kind only; each verdict and the equivalence check reach the page."""
    import pandas as pd

    from rashomon.core.config import InferenceConfig
    from rashomon.groundtruth.controls_verdicts import method_controls
    from rashomon.report import sections

    rng = np.random.default_rng(4)
    gauss = rng.uniform(0.4, 0.7, 24)
    kinds = np.repeat(["checkerboard", "colour_noise"], 12)
    detector = np.where(kinds == "checkerboard", 1.0, gauss - 0.4 + rng.normal(0, 0.01, 24))
    rows = [pd.DataFrame({"image_id": [str(i) for i in range(24)], "auroc": a, "auroc_abs": a, "method": m,
                          "control": c, "architecture": "x", "artifact": kinds})
            for m, c, a in [("m", "cue_only", np.ones(24)), ("m", "cue_blind", gauss), ("m", "study_target", gauss),
                            ("m", "detector", detector), ("reference", "gaussian", gauss),
                            ("reference", "sobel", gauss - 0.05), ("reference", "random", np.full(24, 0.5))]]
    effect = lambda v, uses: {"value": v, "ci_low": v / 2, "ci_high": v * 1.5, "n": 12, "uses_it": uses,  # noqa: E731
                              "mean_visibility": 0.02}
    twin = lambda mean, low, high, relies: {  # noqa: E731
        "partial_r_artifact_given_degradation": -0.6, "artifact_effect_mean": mean, "artifact_effect_ci_low": low,
        "artifact_effect_ci_high": high, "relies_on_artifact": relies,
        "artifact_effect_by_kind": {"checkerboard": effect(0.015, True), "colour_noise": effect(0.001, True)}}
    reliance = {"x": {"cue_only": twin(0.01, 0.008, 0.012, True), "cue_blind": twin(0.0, -0.01, 0.01, False),
                      "detector": twin(0.012, 0.009, 0.015, True)}}
    entry = method_controls(pd.concat(rows), "m", reliance, {"cue_only": 0.02, "cue_blind": 0.2}, 0.25,
                            InferenceConfig(n_resamples=500, min_n=10, seed=0))
    html = sections.controls({"n_images": 24, "methods": {"m": entry}, "architectures": {"x": {"cue_only_test_r": 0.8}},
                              "reliance": reliance, "blind_margin": 0.25, "verdict_family": "Holm over architectures"})
    assert entry["credited"] is True and entry["finds_detector_cue"] is False
    assert "credited on x" in html and "it fails its strongest positive control" in html
    assert "By kind of artifact: checkerboard yes; colour noise no." in html
    assert "Multiplicity: Holm over architectures" in html and "cue-blind heads blind to the artifact" in html
    assert "no: right_sign: interval not above 0; gaussian: interval not above 0; sobel: interval not" in html
    assert "share of the artifact's visibility: checkerboard 75-75%, colour noise 5-5% (a detector" in html
