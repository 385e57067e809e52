"""The report's building blocks: self-contained HTML, embedded figures, readable numbers."""

import base64
import math

from rashomon.plotting import plt, save_figure
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


def test_sections_render_undefined_values(tmp_path):
    from rashomon.report import sections

    consistency = {"percents": [5.0], "methods": {"gradcam": {
        "within": {"a": {"pearson": 0.5, "iou5": None}}, "across": {"pearson": None}, "within_exceeds_across": None,
        "undefined": {"within_exceeds_across": "one architecture: no pair of architectures to compare"}}},
        "behaviour": {"a": {"prediction_similarity": 0.9, "rsm_similarity": None}}}
    html = sections.consistency(consistency, tmp_path)
    assert "Pearson –" in html and "within > across: undefined (one architecture: no pair" in html


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
             "undefined": {"within_exceeds_across": "one variant per architecture (train.seeds: 1): no pair of "
                                                    "variants to compare"}}
    html = sections.consistency({"percents": [10.0, 20.0], "methods": {"lime": entry}, "behaviour": {}}, tmp_path)
    assert "within > across: undefined (one variant per architecture" in html
    assert "within > across: no" not in html
    assert "<th>iou10</th>" in html and "<th>iou20</th>" in html and "top 10/20% pixels" in html
    assert "5/15/25" not in html
    defined = sections.consistency({"percents": [10.0], "methods": {"lime": {**entry, "within_exceeds_across": False,
                                                                            "undefined": {}}},
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
                                  "undefined": {"beats_gaussian": "no architecture's AUROC is defined"}}},
             "references": {"gaussian": score}}
    reliance = {"architectures": {}}
    html = sections.groundtruth(truth, reliance, tmp_path)
    assert "<th>beats Gaussian</th>" in html and "<td>undefined (no architecture&#x27;s AUROC is defined)</td>" in html
    assert "<td>yes</td>" in html

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
             "twin_agreement": {"rho": 0.1}, "deletion": None}
    truth = {"methods": {"lime": {"architectures": {"a": score}}}, "references": {"gaussian": score}}
    reliance = {"architectures": {"a": {"partial_r_artifact_given_degradation": -0.3, "partial_p": 0.01,
                                        "artifact_effect_mean": 0.9, "degradation_effect_mean": 3.0,
                                        "relies_on_artifact": True}}}
    assert "<th>images</th>" in sections.groundtruth(truth, reliance, tmp_path) and "<td>7</td>" in \
        sections.groundtruth(truth, reliance, tmp_path)
