"""Human ground truth: heatmaps on a model's grid, the leave-one-out centre prior, and the
verdicts on maps whose answer is known."""

import numpy as np
import pytest

from rashomon.backbones.geometry import Grid, heat_on_grid
from rashomon.groundtruth.evaluate import judge_references
from rashomon.groundtruth.human import (CENTRE_PRIOR, COMPARED, HeatmapScoring, method_report,
                                        reference_cue_maps, score_table)
from tests.conftest import config

HOW = HeatmapScoring(threshold=0.5, top_fraction=0.05)


def blob(side: int, cx: float, cy: float, r: float) -> np.ndarray:
    yy, xx = np.mgrid[0:side, 0:side]
    return np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r ** 2))


def test_heat_on_grid_resizes_then_centre_crops_like_the_preprocessing():
    heat = np.zeros((64, 96))
    heat[:, 48:] = 1.0                  # right half hot
    on = heat_on_grid(heat, Grid(input_size=24, resize_size=32))   # 32 x 48, centre crop 24
    assert on.shape == (24, 24)
    assert on[:, :10].max() == 0 and on[:, 14:].min() == pytest.approx(1.0)
    same = np.random.default_rng(0).random((16, 16))
    assert np.array_equal(heat_on_grid(same, Grid(16, 16)), same)


def test_the_centre_prior_is_the_mean_of_the_other_images_heatmaps():
    side = 8
    heats = {"a": blob(side, 2, 2, 1) * 3, "b": blob(side, 5, 5, 1), "c": np.zeros((side, side)),
             "d": blob(side, 2, 5, 1)}
    rgb = {i: np.zeros((side, side, 3)) for i in heats}
    prior = reference_cue_maps(rgb, heats, side, 0.25, 0)[CENTRE_PRIOR]
    norm = {i: h / h.max() for i, h in heats.items() if h.max() > 0}
    assert np.allclose(prior["a"], (norm["b"] + norm["d"]) / 2)
    assert np.allclose(prior["c"], (norm["a"] + norm["b"] + norm["d"]) / 3)   # an unmarked image: every marked one


def test_a_map_equal_to_the_heatmap_beats_the_gaussian_and_a_random_map_does_not():
    rng = np.random.default_rng(1)
    side, n = 16, 28   # 14 images tested: the best is picked on the other 14
    heats = {str(i): blob(side, *rng.uniform(2, 14, 2), 2) for i in range(n)}
    rgb = {i: rng.random((side, side, 3)) for i in heats}
    refs = {r: score_table(m, heats, HOW) for r, m in reference_cue_maps(rgb, heats, side, 0.25, 0).items()}
    inference = config("inference", n_resamples=500)
    right = score_table(heats, heats, HOW)
    noise = score_table({i: rng.random((side, side)) for i in heats}, heats, HOW)
    report = method_report({"right": right, "noise": noise}, refs, inference)
    assert report["best"]["architecture"] == "right" and report["best"]["value"] == pytest.approx(1.0)
    assert report["beats_gaussian"] is True and report["beats_centre_prior"] is True and report["beats_sobel"] is True
    assert report["architectures"]["right"]["cc"]["n"] == n and report["vs_gaussian"]["n"] == n // 2
    only_noise = method_report({"noise": noise}, refs, inference)
    assert only_noise["beats_gaussian"] is False
    # beats every reference (the best of them), Holm over the methods: the map equal to the heatmap does
    entries = {"right": report, "noise": only_noise}
    judge_references(entries, COMPARED, inference.min_n)
    assert entries["right"]["beats_references"]["value"] is True
    assert entries["noise"]["beats_references"]["value"] is False
    assert set(report) >= {"vs_gaussian", "vs_sobel", "vs_centre_prior", "vs_random"}


def test_images_without_marks_are_left_out_and_few_images_are_undefined():
    side = 8
    heats = {"a": blob(side, 3, 3, 1), "b": np.zeros((side, side))}
    table = score_table(heats, heats, HOW)
    assert table["image_id"].tolist() == ["a"]
    refs = {"gaussian": table, CENTRE_PRIOR: table}
    report = method_report({"x": table}, refs, config("inference", n_resamples=200))
    assert report["beats_gaussian"] is None and "underpowered" in report["undefined"]["beats_gaussian"]
    assert report["architectures"]["x"]["cc"]["n"] == 1
    assert report["architectures"]["x"]["cc"]["value"] == pytest.approx(1)
