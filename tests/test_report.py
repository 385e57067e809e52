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

    consistency = {"methods": {"gradcam": {"within": {"a": {"pearson": 0.5, "iou5": None}},
                                           "across": {"pearson": None}, "within_exceeds_across": None}},
                   "behaviour": {"a": {"prediction_similarity": 0.9, "rsm_similarity": None}}}
    html = sections.consistency(consistency, tmp_path)
    assert "Pearson –" in html and "undefined (one architecture)" in html


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
