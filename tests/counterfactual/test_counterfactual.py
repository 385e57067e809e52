"""Generative counterfactuals: toy models with known answers, the generator, and the evaluation."""

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from rashomon.attribution import attribute
from rashomon.attribution.methods.counterfactual import counterfactual_edits, difference_map, item_predictions
from rashomon.variants.scored_model import MEAN
from rashomon.backbones.preprocess import normalise
from rashomon.generative.generator_params import GeneratorConfig
from rashomon.counterfactual.evaluate import cosine, edit_table, map_agreement, summary, twin_cosine
from rashomon.core.errors import InputError
from rashomon.generative.autoencoder import ConvAutoencoder
from rashomon.generative.store import load_generator, save_generator
from rashomon.generative.training import train_generator
from rashomon.generative.quality import reconstruction_quality
from tests.attribution.test_attribution import real_variants

SIZE = 16
OPTS = {"lam": 10.0, "p": 1, "steps": 150, "lr": 0.02, "tolerance": 0.1}


class PixelGenerator(nn.Module):
    """encode = decode = identity: latent edits are pixel edits."""

    def encode(self, rgb):
        return rgb.clone()

    def decode(self, z):
        return z


class RegionModel(nn.Module):
    """Prediction = 20 x the mean of normalised pixel values in the top-left 4 x 4 corner."""

    def __init__(self, squash: bool = False):
        super().__init__()
        self.squash = squash

    def __len__(self):
        return 1

    def forward(self, x):
        out = 20 * x[:, :, :4, :4].mean((1, 2, 3))
        return (torch.sigmoid(out) if self.squash else out).unsqueeze(1)


def rgb_images(n=3, seed=0):
    return torch.rand(n, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(seed)) * 0.5 + 0.25


def test_the_edit_concentrates_on_the_region_the_model_reads():
    images = normalise(rgb_images())
    result = attribute("counterfactual", images, RegionModel(), generator=PixelGenerator(), variant_ids=[MEAN],
                       change=2.0, **OPTS)
    edited = result.info["edited"].astype(np.float64) / 255          # (N, 1, 2, 3, H, W)
    rgb = np.round(rgb_images().numpy() * 255) / 255
    for direction in range(2):
        change = np.abs(edited[:, 0, direction] - rgb[:, None].squeeze(1)).sum(1)   # (N, H, W)
        inside = change[:, :4, :4].sum((1, 2))
        assert (inside / change.sum((1, 2)) > 0.95).all()
    # the map: the corner must change to raise (negative) and to lower (positive): |lower| - |raise| there
    assert result.maps.shape == (3, 1, SIZE, SIZE)
    assert np.abs(result.maps[:, 0, 4:, 4:]).max() < 0.02


def test_a_differentiable_model_reaches_the_target_change():
    rgb = rgb_images(4, seed=1)
    model = RegionModel()
    which = torch.full((8,), MEAN)
    direction = torch.tensor([-1.0, 1.0]).repeat(4)
    edits = counterfactual_edits(model, PixelGenerator(), rgb.repeat_interleave(2, 0), which, direction,
                                 change=1.5, **OPTS)
    assert edits.reached.all()
    assert (direction * edits.achieved >= 0.9 * 1.5).all()
    # the reported change is the model's prediction on the kept edit
    after = model(normalise(edits.edited))[:, 0]
    torch.testing.assert_close(after - edits.start, edits.achieved, rtol=1e-4, atol=1e-4)
    # smallest successful edits: far smaller than the image
    assert float(edits.edit_size.max()) < 0.1


def test_an_unreachable_target_is_reported_failed_for_that_image():
    rgb = rgb_images(2, seed=2)
    rgb[1, :, :4, :4] = 0.0             # the corner is already dark: this image can go up, not down by much
    model = RegionModel(squash=True)    # output in (0, 1): a change of 0.6 is out of reach from below 0.4
    start = model(normalise(rgb))[:, 0]
    which = torch.full((2,), MEAN)
    direction = torch.tensor([-1.0, -1.0])
    edits = counterfactual_edits(model, PixelGenerator(), rgb, which, direction, change=0.6,
                                 **{**OPTS, "steps": 60})
    assert float(start[1]) < 0.4
    assert not bool(edits.reached[1])
    assert float(-edits.achieved[1]) < 0.6
    table = edit_table(["a", "b"], ["mean"], {"start": start.numpy()[:, None],
                                              "achieved": edits.achieved.numpy().reshape(2, 1, 1).repeat(2, 2),
                                              "reached": edits.reached.numpy().reshape(2, 1, 1).repeat(2, 2),
                                              "edit_size": edits.edit_size.numpy().reshape(2, 1, 1).repeat(2, 2),
                                              "steps": edits.steps.numpy().reshape(2, 1, 1).repeat(2, 2)},
                       "toy", 0.6)
    assert summary(table)["lower"]["n_failed"] >= 1
    assert not table.set_index(["image_id", "direction"]).loc[("b", "lower"), "reached"]


def test_item_predictions_pick_each_variant_and_the_mean():
    _, variants = real_variants(k=3)
    x = torch.randn(4, 3, 64, 64)
    with torch.no_grad():
        full = variants(x)                                        # (4, 3)
        which = torch.tensor([0, 2, MEAN, 1])
        got = item_predictions(variants, x, which)
    expected = torch.stack([full[0, 0], full[1, 2], full[2].mean(), full[3, 1]])
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-4)


def test_difference_map_sign_and_twin_cosine():
    rgb = np.zeros((3, 4, 4))
    raised = rgb.copy()
    raised[:, 0, 0] = 0.5               # raising needs the corner changed: it holds the prediction down
    lowered = rgb.copy()
    lowered[:, 3, 3] = 0.2
    m = difference_map(lowered, raised, rgb)
    assert m[0, 0] == pytest.approx(-0.5 * np.sqrt(3)) and m[3, 3] == pytest.approx(0.2 * np.sqrt(3))
    assert m[1, 1] == 0
    twin = raised.copy()
    assert twin_cosine(raised[None], rgb, twin)[0] == pytest.approx(1.0)
    assert twin_cosine(lowered[None], rgb, twin)[0] == pytest.approx(0.0)
    assert np.isnan(cosine(np.zeros(3), np.ones(3)))


def test_map_agreement_uses_shared_images_only():
    a = np.random.default_rng(0).normal(size=(2, 3, 4, 4))
    other = np.stack([a[1], -a[0]])                     # image "y" equal, "x" opposite; order differs
    assert map_agreement(a, ["x", "y"], other, ["y", "x"]) == pytest.approx(0.0, abs=1e-12)
    assert map_agreement(a, ["x", "y"], other[:1], ["y"]) == pytest.approx(1.0)
    assert np.isnan(map_agreement(a, ["x", "y"], other, ["p", "q"]))


def test_autoencoder_shapes_save_load_and_quality(tmp_path):
    torch.manual_seed(0)
    model = ConvAutoencoder(width=4, latent_channels=3, downsample=2).eval()
    x = torch.rand(2, 3, 16, 16)
    assert model.encode(x).shape == (2, 3, 4, 4) and model(x).shape == x.shape
    save_generator(tmp_path / "g.pt", model)
    loaded = load_generator(tmp_path / "g.pt")
    torch.testing.assert_close(loaded(x), model(x))
    q = reconstruction_quality(loaded, x)
    mse = ((q["reconstruction"] - x) ** 2).mean((1, 2, 3))
    torch.testing.assert_close(q["psnr"], 10 * torch.log10(1 / mse), rtol=1e-4, atol=1e-4)
    perfect = reconstruction_quality(PixelGenerator(), x)
    assert torch.allclose(perfect["ssim"], torch.ones(2), atol=1e-5)
    with pytest.raises(InputError, match="no trained generator"):
        load_generator(tmp_path / "missing.pt")
    with pytest.raises(InputError, match="cannot import"):
        load_generator(None, plugin="no_such_package.module:factory", size=16)


def test_a_trained_autoencoder_reconstructs_better_than_its_initialisation():
    cfg = GeneratorConfig(family="vae", width=4, latent_channels=4, downsample=2, epochs=4, lr=0.01, batch_size=16,
                          beta=0.001, n_val_images=16, plugin=None, seed=0)
    # flat grey images, drawn from their own seed (they used to depend on whichever test ran before)
    data = torch.rand(80, 1, 1, 1, generator=torch.Generator().manual_seed(0)).expand(80, 3, 16, 16).contiguous()
    torch.manual_seed(0)
    before = reconstruction_quality(ConvAutoencoder(4, 4, 2, vae=True).eval(), data[64:])["psnr"].mean()
    model, result = train_generator(data[:64], data[64:], cfg)
    after = reconstruction_quality(model, data[64:])["psnr"].mean()
    assert after > before + 3 and 1 <= result.best_epoch <= 4
    table = pd.DataFrame(result.history)
    assert "val_loss" in table and len(table) == 4
