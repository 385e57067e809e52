"""Perturbation scoring as a Lightning predict loop: one process, and two processes
(ddp_spawn, gloo, on CPU), give the maps of the local loop; every batch is scored once."""

import numpy as np
import pytest
import torch

from rashomon.attribution import attribute
from rashomon.attribution.perturbations import Original, SquareMasks, SuperpixelPatterns, square_masks
from rashomon.attribution import scoring as scoring_module
from rashomon.attribution.scoring import LAUNCHER_WORLD_SIZE, runs_in_this_process, score_perturbations
from rashomon.attribution.predict import PerturbationDataset
from tests.attribution.test_attribution import real_variants

ONE = {"accelerator": "cpu", "devices": 1}
TWO = {"accelerator": "cpu", "devices": 2, "strategy": "ddp_spawn"}
MPM = {"mask_sizes": (3, 17, 65), "stride": 8, "batch_size": 48, "progress": False}
LIME = {"n_samples": 90, "batch_size": 40, "progress": False}
# batches for 3 images (odd, so the ranks get different counts): MPM 1 original + 3 sizes x
# 2 batches of the 8 x 8 centres per image; LIME 3 batches of patterns per image
BATCHES = {"mpm": 3 * (1 + 3 * 2), "lime": 3 * 3}


def blocks(n: int = 3, size: int = 64) -> torch.Tensor:
    """Images with a few flat regions (SLIC finds superpixels; masks change the score)."""
    g = torch.Generator().manual_seed(1)
    x = torch.zeros(n, 3, size, size)
    for i in range(n):
        for _ in range(6):
            y0, x0 = torch.randint(0, size - 16, (2,), generator=g).tolist()
            x[i, :, y0:y0 + 16, x0:x0 + 16] = torch.randn(3, 1, 1, generator=g) * 1.5
    return x


@pytest.fixture(scope="module")
def variants():
    return real_variants("resnet_small", k=3)[1]


SCORE_SCALE = 60.0   # the heads predict around 50 rating units (real_variants): float32 rounds scores to ~4e-6


def close(a: np.ndarray, b: np.ndarray) -> None:
    """Equal up to float32 rounding of the scores the maps are differences of (the two
    processes use fewer threads each, so sums run in another order): a few ulps at the
    scores' scale (an ATen AVX2 run differed by 2 ulps; a wrong batch would differ by the map)."""
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=max(8 * np.finfo(np.float32).eps * SCORE_SCALE,
                                                         1e-6 * float(np.abs(b).max())))


def test_perturbations_apply_what_they_describe():
    image = torch.arange(3 * 8 * 8, dtype=torch.float32).view(3, 8, 8)
    assert torch.equal(Original(0).apply(image), image[None])
    masks = SquareMasks(0, torch.tensor([[0, 0], [4, 5]]), 3, -1.0)
    out = masks.apply(image)
    assert len(masks) == 2 and out.shape == (2, 3, 8, 8)
    assert (out[0, :, :2, :2] == -1).all() and torch.equal(out[0, :, 2:], image[:, 2:])
    assert (out[1, :, 3:6, 4:7] == -1).all() and out[1, 0, 2, 5] == image[0, 2, 5]
    assert torch.equal(square_masks(torch.tensor([[4, 5]]), 3, 8, 8)[0], out[1, 0] == -1)
    segments = torch.zeros(8, 8, dtype=torch.long)
    segments[:, 4:] = 1
    patterns = SuperpixelPatterns(0, torch.tensor([[True, False], [False, True]]), segments)
    out = patterns.apply(image)
    mean = image.mean(dim=(1, 2))
    assert torch.equal(out[0, :, :, :4], image[:, :, :4])
    assert torch.allclose(out[0, :, :, 4:], mean[:, None, None].expand(3, 8, 4))
    assert torch.equal(out[1, :, :, 4:], image[:, :, 4:])
    assert torch.allclose(out[1, :, :, :4], mean[:, None, None].expand(3, 8, 4))


def test_dataset_items_carry_their_image(variants):
    images = blocks(2)
    items = [Original(1), SquareMasks(0, torch.tensor([[3, 3]]), 5, 0.0)]
    ds = PerturbationDataset(images, items)
    assert len(ds) == 2
    assert ds[0]["index"] == 0 and torch.equal(ds[0]["image"], images[1]) and ds[0]["perturbation"] is items[0]
    scores, _ = score_perturbations(images, items, variants, progress=False)
    assert [s.shape for s in scores] == [(1, 3), (1, 3)]
    torch.testing.assert_close(scores[0], variants(images[1:2]))


@pytest.mark.parametrize("method, options", [("mpm", MPM), ("mpm", {**MPM, "incremental": True}), ("lime", LIME)],
                         ids=["mpm", "mpm-incremental", "lime"])
def test_one_process_predict_loop_equals_the_local_loop(variants, method, options, monkeypatch):
    """The equality that lets one CPU process skip Lightning (`runs_in_this_process`): forced
    through the predict loop here."""
    monkeypatch.setattr(scoring_module, "runs_in_this_process", lambda *_: False)
    images = blocks()
    local = attribute(method, images, variants, **options)
    lightning = attribute(method, images, variants, scoring=ONE, **options)
    np.testing.assert_array_equal(lightning.maps, local.maps)
    assert lightning.info["batches_per_rank"] == [BATCHES[method]]
    if options.get("incremental"):
        assert lightning.info["conv_macs_skipped"] == pytest.approx(local.info["conv_macs_skipped"])


def test_two_processes_give_the_single_process_maps(variants):
    """Incremental MPM and LIME over two gloo processes: both ranks score batches, each batch
    once, and the maps equal the single-process maps (plain MPM shares the loop: one process above)."""
    images = blocks()
    for method, options in [("mpm", {**MPM, "incremental": True}), ("lime", LIME)]:
        local = attribute(method, images, variants, **options)
        spread = attribute(method, images, variants, scoring=TWO, **options)
        close(spread.maps, local.maps)
        per_rank = spread.info["batches_per_rank"]
        assert len(per_rank) == 2 and min(per_rank) > 0 and sum(per_rank) == BATCHES[method]
        if method == "lime":
            close(spread.info["fidelity"], local.info["fidelity"])


def test_only_options_that_spread_work_load_the_predict_loop(variants, monkeypatch):
    for key in LAUNCHER_WORLD_SIZE:
        monkeypatch.delenv(key, raising=False)
    here = runs_in_this_process
    assert here(ONE, variants)
    assert here({"accelerator": "auto", "devices": 1, "num_nodes": 1, "strategy": "auto"}, variants) == (
        not torch.cuda.is_available() and not torch.backends.mps.is_available())
    assert not here(TWO, variants) and not here({**ONE, "num_nodes": 2}, variants)
    assert not here({**ONE, "devices": -1}, variants) and not here({**ONE, "strategy": "ddp"}, variants)
    assert not here({**ONE, "accelerator": "gpu"}, variants)
    monkeypatch.setenv("WORLD_SIZE", "2")          # torchrun / srun launched this process as one of two
    assert not here(ONE, variants)
