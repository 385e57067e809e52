"""`compute.accelerator`: one device for every network outside the MPM/LIME predict loop.

No GPU is needed: the functions run on PyTorch's `meta` device, which refuses to mix
with CPU tensors exactly as CUDA does ("not on the expected device") and fails only when
a result's values are read. A forward pre-hook on every module records where each
module's inputs and weights were; a test passes when every forward ran on the configured
device and the run stopped at a value read (never at a device mismatch)."""

import re

import numpy as np
import pytest
import torch
import yaml
from PIL import Image

from rashomon.attribution import attribute
from rashomon.attribution.methods.counterfactual import counterfactual_edits
from rashomon.variants.scored_model import MEAN
from rashomon.backbones import create_backbone
from rashomon.core.config import ComputeConfig
from rashomon.core.device import CPU, resolve_device, trainer_options
from rashomon.core.errors import InputError
from rashomon.generative.autoencoder import ConvAutoencoder
from rashomon.generative.quality import reconstruction_quality
from rashomon.groundtruth.evaluate import deletion_table
from rashomon.heads.features import extract_features
from rashomon.heads.fitted import FittedHead
from rashomon.heads.head import make_head
from rashomon.variants.pruning import pruning_effect, sbs_prune
from rashomon.variants.reliance import predict_images
from rashomon.variants.variant_set import VariantSet
from tests.conftest import REPO

META = torch.device("meta")
MISMATCH = re.compile(r"expected device|same device|different device", re.I)


class Forwards:
    """Every module forward while active: (module type, devices of its tensor inputs and own weights)."""

    def __enter__(self):
        self.calls: list[tuple[str, set[torch.device]]] = []

        def hook(module, args):
            if type(module).__module__.startswith("torchvision.transforms"):
                return   # image loading (CPU preprocessing), not the network
            devices = {a.device for a in args if isinstance(a, torch.Tensor)}
            devices |= {t.device for t in (*module.parameters(recurse=False), *module.buffers(recurse=False))}
            self.calls.append((type(module).__name__, devices))

        self.handle = torch.nn.modules.module.register_module_forward_pre_hook(hook)
        return self

    def __exit__(self, *exc):
        self.handle.remove()

    def devices(self) -> set[torch.device]:
        return set().union(*(d for _, d in self.calls))

    def ran(self, *types: str) -> bool:
        return {t for t, _ in self.calls} >= set(types)


def on_meta(call) -> Forwards:
    """Run `call` on the meta device until it reads a value; the forwards it made."""
    with Forwards() as seen, pytest.raises((RuntimeError, NotImplementedError)) as stop:
        call()
    assert not MISMATCH.search(str(stop.value)), f"a tensor was left on another device: {stop.value}"
    assert re.search(r"meta", str(stop.value), re.I), stop.value   # it stopped at a value read on meta
    assert seen.calls and seen.devices() == {META}, seen.calls
    return seen


def small_variants(k: int = 2) -> tuple[VariantSet, list[torch.Tensor]]:
    torch.manual_seed(0)
    backbone = create_backbone("resnet_small")
    with torch.no_grad():
        outs = backbone.stem(torch.randn(6, 3, 64, 64))
        dim = backbone.tail(*outs).shape[1]
    heads = [FittedHead(make_head(dim, "study", 0.0).eval(), "study", 0.0, 50.0, 10.0, 1, 0.1) for _ in range(k)]
    return VariantSet(backbone, heads), list(outs)


def test_auto_is_cuda_when_there_is_one_and_a_missing_device_is_one_line(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device(ComputeConfig("auto", None)) == CPU and resolve_device(ComputeConfig("cpu", None)) == CPU
    for missing in ("cuda", "gpu"):
        monkeypatch.setattr("rashomon.core.device._mps_available", lambda: False)
        with pytest.raises(InputError, match=rf"compute.accelerator = '{missing}'.*no such device"):
            resolve_device(ComputeConfig(missing, None))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 1)
    assert (resolve_device(ComputeConfig("auto", None)) == torch.device("cuda", 1)
            == resolve_device(ComputeConfig("gpu", None)))
    assert resolve_device(ComputeConfig("cpu", None)) == CPU
    # a Lightning Trainer goes on the same one device
    assert trainer_options(torch.device("cuda", 1)) == {"accelerator": "cuda", "devices": [1]}
    assert trainer_options(CPU) == {"accelerator": "cpu", "devices": 1}


def test_feature_extraction_runs_the_backbone_on_the_configured_device(tmp_path):
    rng = np.random.default_rng(0)
    paths = []
    for i in range(3):
        paths.append(tmp_path / f"{i}.png")
        Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(paths[-1])
    backbone = create_backbone("resnet_small")
    seen = on_meta(lambda: extract_features(backbone, ["0", "1", "2"], [str(p) for p in paths], tmp_path / "cache",
                                            "hash", device=META))
    assert seen.ran("Conv2d", "BatchNorm2d")
    assert not (tmp_path / "cache").exists()   # nothing published from a failed pass


def test_sbs_pruning_and_its_evaluation_run_on_the_configured_device():
    variants, outs = small_variants()
    head = variants.fitted[0]
    on_meta(lambda: sbs_prune(variants.backbone, head, outs, np.arange(6.0), device=META))
    assert {p.device for p in head.head.parameters()} == {META}
    variants, outs = small_variants()
    seen = on_meta(lambda: pruning_effect(variants.backbone, variants.fitted[0], outs, np.arange(6.0),
                                          np.ones(outs[0].shape[1], dtype=bool), device=META))
    assert seen.ran("Linear")


def test_gradcam_runs_tail_and_heads_on_the_configured_device():
    variants, outs = small_variants()
    seen = on_meta(lambda: attribute("gradcam", None, variants, stem_outputs=outs, size=(64, 64), device=META))
    assert seen.ran("Linear") and not seen.ran("Conv2d")   # from the cache: the tail and the heads only
    variants, _ = small_variants()
    seen = on_meta(lambda: attribute("gradcam", torch.randn(2, 3, 64, 64), variants, device=META))   # stem too
    assert seen.ran("Conv2d", "Linear")


def test_counterfactual_loop_runs_model_generator_and_its_state_on_the_configured_device():
    variants, _ = small_variants()
    generator = ConvAutoencoder(4, 4, 2)
    options = {"change": 1.0, "lam": 1.0, "p": 1, "steps": 2, "lr": 0.1, "tolerance": 0.1}
    seen = on_meta(lambda: attribute("counterfactual", torch.randn(2, 3, 64, 64), variants, generator=generator,
                                     variant_ids=[0, MEAN], device=META, **options))
    assert seen.ran("Conv2d", "BatchNorm2d")   # the generator's encoder and decoder, then the stem
    assert {p.device for p in generator.parameters()} == {META}

    # the loop's own state (best edit, its size, step, reached) lives where the images are: a plain
    # model gets past the predictions to the bookkeeping before reading a value
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 16 * 16, 1)).to(META)
    generator = ConvAutoencoder(4, 4, 1).to(META)
    rgb = torch.rand(4, 3, 16, 16).to(META)
    which = torch.full((4,), MEAN).to(META)
    direction = torch.tensor([-1.0, 1.0, -1.0, 1.0]).to(META)
    on_meta(lambda: counterfactual_edits(model, generator, rgb, which, direction, **options))


def test_reliance_deletion_curves_and_generator_quality_run_on_the_configured_device():
    variants, _ = small_variants()
    on_meta(lambda: predict_images(variants, torch.randn(3, 3, 64, 64), device=META))
    variants, _ = small_variants()
    maps = np.random.default_rng(0).normal(size=(1, 2, 64, 64))
    on_meta(lambda: deletion_table(variants, torch.randn(1, 3, 64, 64), maps, ["a"], grid=4, steps=4, n_random=1,
                                   fill=0.0, seed=0, device=META))
    on_meta(lambda: reconstruction_quality(ConvAutoencoder(4, 4, 2), torch.rand(2, 3, 64, 64), device=META))


def test_the_same_forward_on_the_cpu_is_unchanged_by_the_device_argument():
    """On the CPU the device argument is a no-op: the maps are the bytes of the default call."""
    variants, outs = small_variants()
    default = attribute("gradcam", None, variants, stem_outputs=outs, size=(64, 64)).maps
    explicit = attribute("gradcam", None, variants, stem_outputs=outs, size=(64, 64), device=CPU).maps
    assert default.tobytes() == explicit.tobytes()


def test_every_stage_that_resolves_the_device_declares_compute_in_dvc_yaml():
    """...its accelerator (compute.workers changes no byte, so no stage tracks it)."""
    stages = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]
    resolving = {p.stem for p in (REPO / "stages").glob("*.py") if "resolve_device(params.compute)" in p.read_text()}
    declaring = {name for name, s in stages.items() if "compute.accelerator" in (s.get("params") or [])}
    assert not any("compute" in (s.get("params") or []) for s in stages.values())
    assert resolving == declaring
    assert {"features", "prune", "explain", "counterfactual", "reliance", "sanity", "ensemble", "train",
            "pretrain", "generator", "groundtruth", "consistency"} <= resolving
