"""Ground-truth scores against hand-computed cases and Quantus' definitions; faithfulness,
deletion and sanity checks on toy models with known answers."""

import numpy as np
import pandas as pd
import pytest
import torch

from rashomon.core.config import InferenceConfig
from rashomon.groundtruth.evaluate import judge_references, reference_verdicts
from rashomon.groundtruth.faithfulness import (cell_order, curve_area, deletion_curves, deleted_images, region_mass,
                                               twin_agreement)
from rashomon.groundtruth.localisation import (auroc, localisation_scores, pointing_game, rank_accuracy,
                                               relevance_mass)
from rashomon.groundtruth.references import gaussian_map, sobel_map


def square_mask(size=16, lo=4, hi=8):
    m = np.zeros((size, size), bool)
    m[lo:hi, lo:hi] = True
    return m


def test_an_oracle_map_scores_one_and_its_opposite_zero():
    mask = square_mask()
    oracle = mask.astype(float)
    assert localisation_scores(oracle, mask) == {"auroc": 1.0, "auroc_abs": 1.0, "mass": 1.0, "pointing": 1.0,
                                                 "rank": 1.0}
    assert auroc(-oracle, mask) == 0.0 and pointing_game(-oracle, mask) == 0.0 and rank_accuracy(-oracle, mask) == 0.0
    assert relevance_mass(1 - oracle, mask) == 0.0
    assert auroc(np.abs(-oracle), mask) == 1.0  # the sign-blind AUROC finds it either way


def test_a_constant_map_or_an_empty_mask_is_undefined():
    mask = square_mask()
    for score in localisation_scores(np.full(mask.shape, 3.0), mask).values():
        assert np.isnan(score)
    for score in localisation_scores(np.random.default_rng(0).random(mask.shape), np.zeros_like(mask)).values():
        assert np.isnan(score)


def test_hand_computed_ties():
    mask = np.array([[1, 0], [0, 0]], bool)
    tied_max = np.array([[5.0, 5.0], [1.0, 0.0]])
    assert pointing_game(tied_max, mask) == 0.5     # a random tie-break hits half the time
    assert rank_accuracy(tied_max, mask) == 0.5     # K = 1 slot shared by two tied pixels
    # AUROC with ties: positive 5 vs negatives 5, 1, 0 -> (0.5 + 1 + 1) / 3
    assert auroc(tied_max, mask) == pytest.approx(2.5 / 3)
    assert relevance_mass(np.array([[2.0, -7.0], [1.0, 1.0]]), mask) == pytest.approx(0.5)  # negatives ignored


def test_scores_agree_with_quantus_on_fixed_arrays():
    import quantus
    rng = np.random.default_rng(3)
    a = rng.random((6, 1, 12, 12))                  # continuous: no ties, where Quantus is defined
    s = np.zeros((6, 1, 12, 12))
    for i in range(6):
        y, x = rng.integers(0, 8, 2)
        s[i, 0, y:y + 4, x:x + 3 + i % 2] = 1
    kw = dict(disable_warnings=True)
    expected = {
        "auroc": quantus.AUC(**kw).evaluate_batch(a_batch=a, s_batch=s),
        "pointing": quantus.PointingGame(**kw).evaluate_batch(a_batch=a, s_batch=s),
        "mass": quantus.RelevanceMassAccuracy(**kw).evaluate_batch(a_batch=a, s_batch=s),
        "rank": quantus.RelevanceRankAccuracy(**kw).evaluate_batch(a_batch=a, s_batch=s),
    }
    for i in range(6):
        ours = localisation_scores(a[i, 0], s[i, 0] > 0)
        for key, values in expected.items():
            assert ours[key] == pytest.approx(float(values[i]), abs=1e-12), key


def test_reference_maps():
    g = gaussian_map(8, 0.25)
    assert g.argmax() in (27, 28, 35, 36) and np.allclose(g, g.T) and np.allclose(g, g[::-1])
    step = np.zeros((10, 10, 3))
    step[:, 5:] = 1.0
    edges = sobel_map(step)
    assert edges[:, 4:6].min() > 0 and np.allclose(edges[:, :3], 0) and np.allclose(edges[:, 7:], 0)


def test_region_mass_and_twin_agreement():
    maps = np.zeros((2, 4, 4))
    maps[0, :2, :2] = -1.0      # all mass in the mask, pointing to "lowers authenticity"
    maps[1, :2, :2] = 1.0
    maps[1, 3, 3] = -1.0        # half the mass, the wrong sign inside
    masks = np.zeros((2, 4, 4))
    masks[:, :2, :2] = 1
    np.testing.assert_allclose(region_mass(maps, masks), [1.0, -0.8])
    agree = twin_agreement(np.array([0.1, 0.4, 0.2, 0.9]), np.array([1.0, 3.0, 2.0, 5.0]))
    assert agree["rho"] == pytest.approx(1.0) and agree["n"] == 4
    # exact: 2 of the 4! orderings are as extreme (was 0.0, a t-approximation)
    assert agree["p"] == pytest.approx(1 / 12)
    assert np.isnan(twin_agreement(np.ones(4), np.arange(4.0))["rho"])


def test_cell_order_and_deleted_images():
    attribution = np.zeros((4, 4))
    attribution[2:, 2:] = 3.0   # cell 3 (bottom right)
    attribution[:2, :2] = 1.0   # cell 0
    assert cell_order(attribution, 2).tolist() == [3, 0, 1, 2]
    image = torch.ones(1, 4, 4)
    out = deleted_images(image, np.array([[3, 0, 1, 2]]), grid=2, steps=2, fill=0.0)
    assert out.shape == (3, 1, 4, 4)
    assert out[0].sum() == 16 and out[1].sum() == 8 and out[2].sum() == 0
    assert out[1, 0, 2:, 2:].sum() == 0 and out[1, 0, :2, :2].sum() == 0 and out[1, 0, :2, 2:].sum() == 4
    assert curve_area(np.array([0.0, -1.0, -1.0])) == pytest.approx(-0.75)


def test_deleted_images_match_cell_by_cell_deletion():
    """The shared vectorised deletion against the plain loop it replaced (random orders, 3 channels)."""
    rng = np.random.default_rng(0)
    image, grid, steps = torch.randn(3, 12, 12), 3, 4
    orders = np.stack([rng.permutation(grid * grid) for _ in range(3)])
    expected = image.expand(len(orders) * (steps + 1), 3, 12, 12).clone()
    for r, order in enumerate(orders):
        for s, n in enumerate(np.linspace(0, grid * grid, steps + 1).round().astype(int)):
            for cell in order[:n]:
                y, x = divmod(int(cell), grid)
                expected[r * (steps + 1) + s, :, y * 4:(y + 1) * 4, x * 4:(x + 1) * 4] = -2.0
    assert torch.equal(deleted_images(image, orders, grid, steps, fill=-2.0), expected)


class RegionModel(torch.nn.Module):
    """Two 'variants' whose prediction is the mean of the top-left quarter."""

    def forward(self, x):
        v = x[:, :, :8, :8].mean(dim=(1, 2, 3))
        return torch.stack([v, 2 * v], 1)


def test_deletion_follows_a_faithful_map_faster_than_random():
    image = torch.ones(3, 16, 16)
    faithful = np.zeros((16, 16))
    faithful[:8, :8] = 1.0
    curve, random = deletion_curves(RegionModel(), image, faithful, grid=4, steps=16, n_random=8, fill=0.0,
                                    rng=np.random.default_rng(0))
    # the four cells the model reads go first: the prediction (mean of 1 and 2 = 1.5) falls to 0 after 4 of 16
    np.testing.assert_allclose(curve[:5], [0, -0.375, -0.75, -1.125, -1.5])
    assert np.all(curve[4:] == -1.5)
    assert curve_area(curve) < curve_area(random.mean(0))
    unfaithful = -faithful
    curve_bad, _ = deletion_curves(RegionModel(), image, unfaithful, grid=4, steps=16, n_random=1, fill=0.0,
                                   rng=np.random.default_rng(0))
    assert curve_area(curve_bad) > curve_area(random.mean(0))


def per_image(aurocs, ids=None):
    ids = ids or [str(i) for i in range(len(aurocs))]
    return pd.DataFrame({"image_id": ids, "auroc": aurocs})


INFERENCE = InferenceConfig(n_resamples=2000, min_n=10, seed=0)


def test_reference_verdicts_are_paired_differences_with_an_interval():
    rng = np.random.default_rng(0)
    gauss = rng.uniform(0.5, 0.7, 30)
    archs = {"a": per_image(gauss + 0.2), "b": per_image(gauss - 0.1), "ensemble": per_image(gauss + 0.3)}
    refs = {"gaussian": per_image(gauss), "sobel": per_image(gauss + 0.2 + rng.normal(0, 0.01, 30)),
            "random": per_image(0.5 + rng.normal(0, 0.01, 30))}
    out = reference_verdicts(archs, refs, INFERENCE)
    assert out["best_auroc"]["architecture"] == "a"       # the ensemble is not an architecture
    # picked on one half, tested on the other
    assert out["best_auroc"]["picked_on"] == 15 and out["vs_gaussian"]["n"] == 15
    assert out["vs_gaussian"]["difference"] == pytest.approx(0.2)
    assert out["vs_gaussian"]["ci_low"] == pytest.approx(0.2) and out["beats_gaussian"] is True
    assert out["vs_gaussian"]["p"] == pytest.approx(2 / 2 ** 15) and out["vs_gaussian"]["permutations"] == "exact"
    assert out["vs_sobel"]["ci_low"] < 0 < out["vs_sobel"]["ci_high"] and out["beats_sobel"] is False
    assert out["undefined"] == {}
    # beating the Gaussian is not enough: the Sobel edge map is a reference too (every one, Holm over methods)
    entries = {"m": out, "other": reference_verdicts({"a": per_image(gauss + 0.3)}, refs, INFERENCE)}
    judge_references(entries, ("gaussian", "sobel", "random"), INFERENCE.min_n)
    assert out["beats_references"]["value"] is False and out["beats_references"]["reason"] == (
        "sobel: interval not above 0")
    assert entries["other"]["beats_references"]["value"] is True
    assert entries["other"]["beats_references"]["adjusted_p"] == pytest.approx(
        min(1, 2 * entries["other"]["beats_references"]["p"]))   # two methods: Holm's first step doubles p


def test_a_map_equal_to_the_mask_beats_the_gaussian_by_the_auroc_gap():
    """Known answer: the mask's own AUROC is 1 on every image; a centred Gaussian's is what it is."""
    rng = np.random.default_rng(1)
    masks = np.zeros((24, 16, 16), dtype=bool)
    for m in masks:
        y, x = rng.integers(0, 12, 2)
        m[y:y + 4, x:x + 4] = True
    yy, xx = np.mgrid[:16, :16]
    gaussian = np.exp(-((yy - 7.5) ** 2 + (xx - 7.5) ** 2) / (2 * 4.0 ** 2))
    from rashomon.groundtruth.localisation import localisation_scores
    mask_auroc = [localisation_scores(m.astype(float), m)["auroc"] for m in masks]
    gauss_auroc = [localisation_scores(gaussian, m)["auroc"] for m in masks]
    out = reference_verdicts({"mask": per_image(mask_auroc)}, {"gaussian": per_image(gauss_auroc),
                                                               "sobel": per_image(gauss_auroc)}, INFERENCE)
    assert mask_auroc == [1.0] * 24
    tested = gauss_auroc[1::2]   # the other half of the images than the best was picked on
    assert out["vs_gaussian"]["difference"] == pytest.approx(1 - np.mean(tested))
    assert out["beats_gaussian"] is True and out["vs_gaussian"]["permutations"] == "exact"
    assert out["vs_gaussian"]["p"] == pytest.approx(2 / 2 ** 12)   # every image better: 2 of 4096 sign flips


def test_the_best_architecture_is_picked_on_other_images_than_it_is_tested_on():
    """Winner's curse, by construction: two architectures that are the Gaussian plus noise; the one
    whose noise happens to be high on the picking half is no better on the testing half."""
    rng = np.random.default_rng(7)
    gauss = rng.uniform(0.5, 0.7, 40)
    lucky = gauss.copy()
    lucky[0::2] += 0.1          # better only where the best is picked
    steady = gauss + 0.05
    out = reference_verdicts({"lucky": per_image(lucky), "steady": per_image(steady)},
                             {"gaussian": per_image(gauss)}, INFERENCE, compared=("gaussian",))
    assert out["best_auroc"]["architecture"] == "lucky" and out["vs_gaussian"]["difference"] == pytest.approx(0)
    assert out["beats_gaussian"] is False


def test_reference_verdicts_are_undefined_when_underpowered_or_missing():
    nan = float("nan")
    few = reference_verdicts({"a": per_image([0.9, 0.8, 0.95])}, {"gaussian": per_image([0.5, 0.6, 0.55])}, INFERENCE)
    assert few["beats_gaussian"] is None and "underpowered: 1 images < inference.min_n = 10" in \
        few["undefined"]["beats_gaussian"]
    assert few["beats_sobel"] is None and "no image where both" in few["undefined"]["beats_sobel"]   # no Sobel
    dead = reference_verdicts({"a": per_image([nan] * 12)}, {"gaussian": per_image([0.5] * 12)}, INFERENCE)
    assert dead["beats_gaussian"] is None and dead["vs_gaussian"]["n"] == 0   # constant maps everywhere


def cascade_table(original_vs_last):
    """A cascade table of two architectures: original, head, full randomisation, shuffled ratings."""
    rows = []
    for arch, last in zip(("x", "y"), original_vs_last):
        for step, (label, rho) in enumerate([("original", 1.0), ("head", 0.9), ("stem:all", last),
                                             ("shuffled ratings", 0.2)]):
            rows.append({"architecture": arch, "method": "gradcam", "step": step, "randomised": label,
                         "spearman_abs": rho, "ssim": 0.5})
    return pd.DataFrame(rows)


def test_sanity_passes_only_with_a_defined_spearman():
    from rashomon.groundtruth.sanity import summarise_cascade

    out = summarise_cascade(cascade_table([0.1, 0.3]), pass_below=0.5)["gradcam"]
    assert out["spearman_after_full_randomisation"] == pytest.approx(0.2) and out["passes"] is True
    assert out["spearman_shuffled_ratings"] == pytest.approx(0.2) and out["undefined"] == {}
    assert summarise_cascade(cascade_table([0.8, 0.9]), pass_below=0.5)["gradcam"]["passes"] is False
    one_defined = summarise_cascade(cascade_table([float("nan"), 0.3]), pass_below=0.5)["gradcam"]
    assert one_defined["passes"] is True and one_defined["spearman_after_full_randomisation"] == pytest.approx(0.3)
    undefined = summarise_cascade(cascade_table([float("nan")] * 2), pass_below=0.5)["gradcam"]
    assert undefined["passes"] is None and "constant maps" in undefined["undefined"]["passes"]
