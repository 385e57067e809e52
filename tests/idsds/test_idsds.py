"""IDSDS: deletion, scores with known answers, loader on fixture pickles, models, flags."""

import dataclasses

import numpy as np
import pytest
import torch

from rashomon.core.errors import InputError
from rashomon.idsds.cifar import load_label_names, load_split, write_meta, write_split
from rashomon.idsds.deletion import (
    Deletion, cell_masks, cell_sums, delete_cells, idsds_scores, single_deletion_drops, summarise,
)
from rashomon.idsds.dummies import dummy_maps, oracle_map
from rashomon.idsds.methods import METHODS, gradcam_pp_paper, principled_maps
from rashomon.idsds.models import MODELS, create_cifar_model, gradcam_layer, load_cifar_weights
from rashomon.idsds.scoring import dummy_warnings, rank_change, ranking, reliability_warning
from tests.conftest import config


@pytest.fixture
def cifar_folder(tmp_path):
    rng = np.random.default_rng(0)
    root = tmp_path / "cifar-100-python"
    for split, n in (("train", 20), ("test", 10)):
        write_split(root, split, rng.integers(0, 255, (n, 32, 32, 3), dtype=np.uint8), rng.integers(0, 100, n))
    write_meta(root, [f"class{i}" for i in range(100)])
    return tmp_path


def test_loader_reads_the_release_pickle_format(cifar_folder):
    import pickle

    x, y = load_split(cifar_folder, "test")
    assert x.shape == (10, 32, 32, 3) and x.dtype == np.uint8 and y.shape == (10,)
    with open(cifar_folder / "cifar-100-python/test", "rb") as fh:
        raw = pickle.load(fh, encoding="bytes")
    # channel-planar rows of 3072: red plane first
    np.testing.assert_array_equal(x[3, :, :, 0].ravel(), raw[b"data"][3, :1024])
    assert load_label_names(cifar_folder)[7] == "class7"


def test_loader_errors_name_the_file(cifar_folder, tmp_path):
    (cifar_folder / "cifar-100-python/train").write_bytes(b"garbage")
    with pytest.raises(InputError, match="train: not a readable CIFAR pickle"):
        load_split(cifar_folder, "train")
    with pytest.raises(InputError, match="CIFAR file not found"):
        load_split(tmp_path / "nowhere", "test")


def test_cells_partition_the_image_and_deletion_hits_one_cell():
    m = cell_masks(32, 32, 4)
    assert m.shape == (16, 32, 32) and (m.sum(0) == 1).all() and m[5, 8:16, 8:16].all()
    x = torch.ones(2, 3, 32, 32)
    out = delete_cells(x, torch.tensor([5, -1]), Deletion(4))
    assert (out[0, :, 8:16, 8:16] == 0).all() and out[0].sum() == 3 * (1024 - 64)
    assert torch.equal(out[1], x[1])
    with pytest.raises(InputError, match="grid 5 must"):
        cell_masks(32, 32, 5)


class CellReader(torch.nn.Module):
    """Logit of class c = weighted sum of the image over cells: drops are known exactly."""

    def __init__(self, weights):
        super().__init__()
        self.w = torch.as_tensor(weights, dtype=torch.float32)  # (16,)

    def forward(self, x):
        sums = cell_sums(x.sum(1).numpy(), 4)
        score = torch.from_numpy(sums).float() @ self.w
        return torch.stack([score, -score], 1)


def test_drops_equal_each_cells_contribution_batched_or_not():
    w = torch.arange(16, dtype=torch.float32)
    model = CellReader(w)
    x = torch.ones(3, 3, 32, 32)
    drops = single_deletion_drops(model, x, torch.zeros(3, dtype=torch.long), Deletion(4), images_per_batch=2)
    np.testing.assert_allclose(drops, np.tile(w.numpy() * 3 * 64, (3, 1)))
    one = np.concatenate([single_deletion_drops(model, x[i:i + 1], torch.zeros(1, dtype=torch.long), Deletion(4))
                          for i in range(3)])
    np.testing.assert_allclose(drops, one)


def test_oracle_scores_one_negation_minus_one_constant_undefined():
    rng = np.random.default_rng(0)
    drops = rng.normal(size=(5, 16))
    oracle = oracle_map(drops, 32, 32, 4)
    np.testing.assert_allclose(cell_sums(oracle, 4), drops, rtol=1e-10)
    np.testing.assert_allclose(idsds_scores(oracle, drops, 4), 1.0)
    np.testing.assert_allclose(idsds_scores(-oracle, drops, 4), -1.0)
    const = idsds_scores(np.ones((5, 32, 32)), drops, 4)
    assert np.isnan(const).all()
    s = summarise(np.r_[const[:2], idsds_scores(oracle, drops, 4)[:3]])
    assert s["n_undefined"] == 2 and s["mean"] == pytest.approx(1.0, abs=1e-12)


def test_idsds_matches_scipy_spearman_with_ties():
    from scipy import stats

    rng = np.random.default_rng(1)
    maps = np.round(rng.normal(size=(4, 32, 32)), 0)
    drops = np.round(rng.normal(size=(4, 16)), 1)
    ours = idsds_scores(maps, drops, 4)
    ref = [stats.spearmanr(cell_sums(maps, 4)[i], drops[i]).statistic for i in range(4)]
    np.testing.assert_allclose(ours, ref, rtol=1e-10)


def test_summary_ci_matches_t_interval():
    from scipy import stats

    s = summarise(np.array([0.1, 0.2, 0.4, 0.5]))
    lo, hi = stats.t.interval(0.95, 3, loc=0.3, scale=stats.sem([0.1, 0.2, 0.4, 0.5]))
    assert s["ci95_low"] == pytest.approx(lo) and s["ci95_high"] == pytest.approx(hi)


@pytest.mark.parametrize("name", list(MODELS))
def test_models_take_32px_and_expose_the_gradcam_layer(name):
    model = create_cifar_model(name, 10, width=0.25).eval()
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    layer = gradcam_layer(model)
    seen = {}
    layer.register_forward_hook(lambda m, i, o: seen.update(shape=o.shape))
    model(torch.zeros(1, 3, 32, 32))
    assert seen["shape"][-1] == (8 if name.startswith("resnet") else 2)


def test_weights_load_from_a_local_file(tmp_path):
    a = create_cifar_model("resnet20", 100)
    torch.save(a.state_dict(), tmp_path / "r20.pt")
    b = create_cifar_model("resnet20", 100)
    load_cifar_weights(b, tmp_path / "r20.pt")
    x = torch.randn(1, 3, 32, 32)
    torch.testing.assert_close(a.eval()(x), b.eval()(x))
    with pytest.raises(InputError, match="do not fit"):
        load_cifar_weights(create_cifar_model("resnet32", 100), tmp_path / "r20.pt")
    with pytest.raises(InputError, match="nothing is downloaded"):
        load_cifar_weights(b, tmp_path / "missing.pt")


@pytest.mark.parametrize("output", ["logit", "softmax"])
def test_every_method_and_baseline_gives_one_map_per_image(output):
    torch.manual_seed(0)
    model = create_cifar_model("resnet20", 5).eval()
    x, y = torch.randn(2, 3, 32, 32), torch.tensor([1, 3])
    cfg = dataclasses.replace(config("idsds").score, ig_steps=4, nt_samples=2)
    for m in METHODS:
        maps = principled_maps(m, model, x, y, cfg, output)
        assert maps.shape == (2, 32, 32) and torch.isfinite(maps).all(), m
    dummies = dummy_maps(x, cfg.dummies.gaussian_sigmas, cfg.dummies.entropy_kernels)
    assert len([k for k in dummies if k.startswith("Dummy-Gaussian-")]) == 20
    assert len([k for k in dummies if k.startswith("Dummy-Entropy-")]) == 7
    assert {"Dummy-Random", "Dummy-Random-Squared", "Dummy-Random-Plus-One", "Edge-Sobel", "Edge-Gradient",
            "Edge-Canny", "Edge-Marr-Hildreth", "Frequency-low", "Frequency-band", "Frequency-high"} <= set(dummies)
    assert all(v.shape == (2, 32, 32) for v in dummies.values())
    # their "squared" map is a second uniform draw, not a square: independent of the first
    assert not np.allclose(dummies["Dummy-Random-Squared"], dummies["Dummy-Random"] ** 2)
    assert 1.0 <= dummies["Dummy-Random-Plus-One"].min() and dummies["Dummy-Random-Plus-One"].max() < 2.0


def test_gradcam_pp_paper_matches_its_closed_form_from_captum_layer_gradients():
    from captum._utils.gradient import compute_layer_gradients_and_eval
    import torch.nn.functional as F

    torch.manual_seed(0)
    model = create_cifar_model("resnet20", 3).eval()
    x, y = torch.randn(2, 3, 32, 32), torch.tensor([0, 2])
    (g,), (a,) = compute_layer_gradients_and_eval(model, gradcam_layer(model), x, target_ind=y)
    g, a = g.detach().double(), a.detach().double()
    alpha = g**2 / (2 * g**2 + a.sum(dim=(2, 3), keepdim=True) * g**3)
    w = (alpha * g.clamp_min(0)).sum(dim=(2, 3), keepdim=True)
    expected = F.interpolate(F.relu((w * a).sum(1, keepdim=True)), (32, 32), mode="bilinear")[:, 0]
    np.testing.assert_allclose(gradcam_pp_paper(model, x, y).numpy(), expected.numpy(), rtol=1e-3, atol=1e-6)


def test_dummy_outranking_a_principled_method_is_flagged():
    scores = {"IG-raw": {"mean": 0.4, "principled": True}, "Gradient-raw": {"mean": 0.05, "principled": True},
              "Edge-Sobel": {"mean": 0.15, "principled": False}, "Dummy-Random": {"mean": 0.0, "principled": False}}
    flags = dummy_warnings(scores)
    assert flags == [{"dummy": "Edge-Sobel", "principled": "Gradient-raw", "dummy_score": 0.15,
                      "principled_score": 0.05}]
    assert ranking(scores) == ["IG-raw", "Edge-Sobel", "Gradient-raw", "Dummy-Random"]
    flipped = {k: {**v, "mean": -v["mean"]} for k, v in scores.items()}
    assert rank_change(scores, scores) == pytest.approx(1.0) and rank_change(scores, flipped) == pytest.approx(-1.0)
    assert reliability_warning(scores) is True
    assert reliability_warning({k: v for k, v in scores.items() if k != "Gradient-raw"}) is False
    nan_dummies = {k: {**v, "mean": float("nan")} if not v["principled"] else v for k, v in scores.items()}
    assert reliability_warning(nan_dummies) is None          # nothing to compare: undefined, not "no warning"
    nan_methods = {k: {**v, "mean": float("nan")} if v["principled"] else v for k, v in scores.items()}
    assert reliability_warning(nan_methods) is None


def test_scoring_and_accuracy_honour_the_deletion_mode():
    """The reference's blur pads with zeros: a constant image's inner cells survive a blur
    deletion, its border cells do not; value deletion removes every cell."""
    from rashomon.idsds.evaluation import accuracy

    model = CellReader(torch.arange(1, 17, dtype=torch.float32))
    x = torch.ones(2, 3, 32, 32)
    y = torch.zeros(2, dtype=torch.long)
    blur = single_deletion_drops(model, x, y, Deletion(4, "blur", blur_kernel=7, blur_sigma=5))
    inner = [5, 6, 9, 10]
    np.testing.assert_allclose(blur[:, inner], 0.0, atol=1e-3)
    assert (np.delete(blur, inner, axis=1) > 1).all()
    assert (single_deletion_drops(model, x, y, Deletion(4, "value", 0.0)) > 1).all()
    noisy = single_deletion_drops(model, x, y, Deletion(4, "random"), seed=3)
    np.testing.assert_array_equal(noisy, single_deletion_drops(model, x, y, Deletion(4, "random"), seed=3))
    assert accuracy(model, x, y, Deletion(4, "blur")) == 1.0
    with pytest.raises(InputError, match="unknown deletion mode 'smudge'"):
        single_deletion_drops(model, x, y, Deletion(4, "smudge"))
    with pytest.raises(InputError, match="blur_kernel must be a positive odd number"):
        single_deletion_drops(model, x, y, Deletion(4, "blur", blur_kernel=6))


def test_idsds_training_is_seeded_and_keeps_the_best_epoch():
    """Two runs from the same seeds give identical weights (model init included)."""
    from rashomon.core.fitting import seed_everything
    from rashomon.idsds.finetune import train

    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.normal(size=(64, 3, 32, 32)).astype(np.float32))
    y = torch.from_numpy(rng.integers(0, 3, 64))
    cfg = dataclasses.replace(config("idsds").pretrain, epochs=2, lr=0.05, step_size=1, batch_size=16, seed=4)
    states = []
    for _ in range(2):
        seed_everything(4)
        model = create_cifar_model("resnet20", 3)
        history = train(model, (x[:48], y[:48]), (x[48:], y[48:]), cfg)
        states.append(model.state_dict())
    assert all(torch.equal(states[0][k], states[1][k]) for k in states[0])
    kept = [h for h in history if h["kept"]]
    best = max(h["val_accuracy"] for h in history)
    # the reference keeps the first epoch with the best clean top-1 (`acc1 > best_acc1`)
    assert len(kept) == 1 and kept[0] == next(h for h in history if h["val_accuracy"] == best)


def test_unknown_method_names_are_one_clear_error():
    from rashomon.idsds.scoring import check_method_names, row_names

    check_method_names(["IG", "Grad-CAM"])
    with pytest.raises(InputError, match="idsds.score.methods: unknown IDSDS method 'IG-XX'"):
        check_method_names(["IG", "IG-XX"])
    assert row_names("IG", ["raw", "abs"]) == [("IG-raw", "raw"), ("IG-abs", "abs")]
    assert row_names("Grad-CAM", ["raw", "abs"]) == [("Grad-CAM", "raw")]


def test_a_model_at_chance_is_not_ranked():
    from scipy import stats

    from rashomon.idsds.scoring import classifies, unranked

    at_chance = classifies(correct=2, n=16, n_classes=8)        # 0.125 = chance exactly
    ci = stats.binomtest(2, 16).proportion_ci(method="exact")
    assert at_chance["accuracy_ci_low"] == pytest.approx(ci.low) and at_chance["ranked"] is False
    entry = unranked({"best_method": "IG", "best_score": 0.3, "best_dummy": "gauss", "best_dummy_score": 0.2,
                      "n_dummy_outranks_principled": 1, "reliability_warning": True, **at_chance})
    assert entry["best_method"] is None and entry["best_score"] is None and "classifies at chance" in \
        entry["undefined"]["ranking"]
    good = classifies(correct=15, n=16, n_classes=8)
    assert good["ranked"] is True and good["accuracy_ci_low"] > 0.125


def test_the_synthetic_classes_are_told_apart_by_shape():
    """Each object fills a fair share of its image, and tilted as far as it may be, a square
    never looks like the diamond (the default's free rotation made them the same shape)."""
    from rashomon.idsds.cifar import MAX_TILT, render_object
    from rashomon.data.synthetic import OBJECT_CLASSES, shape_mask

    rng = np.random.default_rng(0)
    for obj in OBJECT_CLASSES:
        img = render_object(rng, 32, obj, "red")
        background = np.median(img[[0, 0, -1, -1], [0, -1, 0, -1]], axis=0)
        share = (np.abs(img - background).max(-1) > 0.2).mean()
        assert 0.05 < share < 0.5, (obj, share)
    for tilt in (-MAX_TILT, MAX_TILT):
        square = shape_mask("square", 64, 0.5, 0.5, 0.32, tilt)
        diamond = shape_mask("diamond", 64, 0.5, 0.5, 0.32, 0.0)
        assert (square & diamond).sum() / (square | diamond).sum() < 0.8
