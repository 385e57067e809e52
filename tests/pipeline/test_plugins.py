"""A newcomer's extension: a new attribution method and a new backbone family, each one new
module with one registration line, dropped into a copy of the project; `dvc repro explain`
runs both on the tiny configuration with no other file changed."""

import json
import subprocess
import textwrap

import numpy as np
import yaml

from tests.pipeline.dvc_project import copy_project, deep_update, env, run, shared_pipeline, stages_run

TOY_METHOD = '''
"""Input x gradient: a toy attribution method, one file."""

from dataclasses import dataclass

import torch

from rashomon.attribution.method import Attribution, AttributionMethod, Inputs, register_method


@dataclass(frozen=True)
class InputXGradientOptions:
    n_images: int | None = None
    absolute: bool = False


@register_method
class InputXGradient(AttributionMethod):
    name, Options = "input_x_gradient", InputXGradientOptions

    def attribute(self, inputs: Inputs, model) -> Attribution:
        maps = []
        for k in range(len(model)):
            x = inputs.images.clone().requires_grad_(True)
            (grad,) = torch.autograd.grad(model(x)[:, k].sum(), x)
            maps.append((grad * x).sum(1))
        maps = torch.stack(maps, 1).detach()
        return Attribution((maps.abs() if self.options.absolute else maps).numpy())
'''

TOY_FAMILY = '''
"""A two-conv toy network: a backbone family and one architecture of it, one file."""

import torch
from torch import nn

from rashomon.backbones.family import Family, Tail, register_family, replaced
from rashomon.backbones.registry import BackboneSpec, register


class TwoConv(nn.Module):
    def __init__(self, num_classes: int = 19):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1), nn.ReLU(), nn.Conv2d(8, 16, 3, 2, 1), nn.ReLU())
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(16, num_classes)

    def forward(self, x):
        return self.classifier(self.pool(self.features(x)).flatten(1))


class TwoConvStem(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.features = model.features[:3]

    def forward(self, x):
        return (self.features(x),)


class TwoConvTail(Tail):
    def __init__(self, model):
        super().__init__()
        self.relu, self.pool = model.features[3], model.pool
        self.target_offset, self.mix_weight, self.mix_bias, self.rest = 0, None, None, nn.Identity()

    def channelwise(self, target):
        return torch.flatten(self.pool(self.relu(target)), 2)

    def forward(self, target):
        return torch.flatten(self.pool(self.relu(target)), 1)


@register_family
class TwoConvFamily(Family):
    name, head_keys = "twoconv", r"^classifier[.](weight|bias)$"

    def split(self, model, target_layer):
        return TwoConvStem(model), TwoConvTail(model)

    def reference_embedding(self, model, x):
        with replaced(model, "classifier", nn.Identity()):
            return model(x)


register(BackboneSpec("twoconv_toy", "twoconv", TwoConv, "features.2", 64, 64, description="a toy"))
'''


def test_a_new_method_and_a_new_family_are_one_file_each(tmp_path_factory, tmp_path):
    proj = copy_project(shared_pipeline(tmp_path_factory)[0], tmp_path / "proj")
    (proj / "src/rashomon/attribution/methods/input_x_gradient.py").write_text(textwrap.dedent(TOY_METHOD))
    (proj / "src/rashomon/backbones/families/twoconv.py").write_text(textwrap.dedent(TOY_FAMILY))
    # the user's weights for the new architecture: a local file, as for any real backbone
    check = ("import torch; from rashomon.backbones import create_backbone; b = create_backbone('twoconv_toy'); "
             "x = torch.randn(2, 3, 64, 64); assert torch.equal(b(x), b.family.reference_embedding(b.model, x)); "
             "torch.save(b.model.state_dict(), 'twoconv.pt')")
    run(["python", "-c", check], proj)
    params = yaml.safe_load((proj / "params.yaml").read_text())
    deep_update(params, {"backbones": {"names": ["twoconv_toy"], "weights": {"twoconv_toy": "twoconv.pt"}},
                         "explain": {"methods": ["gradcam", "input_x_gradient"],
                                     "input_x_gradient": {"n_images": 2, "absolute": False}}})
    (proj / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    assert "src/rashomon/attribution" in run(["dvc", "status", "explain"], proj)   # the new file is a dep

    ran = stages_run(run(["dvc", "repro", "explain"], proj))
    assert {"features", "train", "prune", "explain@gradcam", "explain@input_x_gradient"} <= set(ran)
    changed = run(["git", "status", "--porcelain", "--", "src", "stages", "dvc.yaml"], proj).splitlines()
    assert sorted(changed) == ["?? src/rashomon/attribution/methods/input_x_gradient.py",
                               "?? src/rashomon/backbones/families/twoconv.py"]
    for method in ("gradcam", "input_x_gradient"):
        with np.load(proj / f"data/explanations/{method}/twoconv_toy.npz") as stored:
            maps = stored["maps"].astype(np.float32)
        assert maps.shape[1:] == (params["train"]["seeds"], 64, 64) and np.isfinite(maps).all() and maps.std() > 0
        report = json.loads((proj / f"metrics/explain_{method}.json").read_text())
        assert report["method"] == method and set(report["architectures"]) == {"twoconv_toy"}
    assert maps.shape[0] == 2   # the toy method's own n_images
    # a misspelled option of the new method is refused by its own typed options
    params["explain"]["input_x_gradient"]["absolut"] = True
    (proj / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    proc = subprocess.run(["dvc", "repro", "explain@input_x_gradient"], cwd=proj, capture_output=True, text=True,
                          env={**env(), "PYTHONPATH": str(proj / "src")})
    assert proc.returncode != 0 and "unknown key explain.input_x_gradient.absolut" in proc.stdout + proc.stderr
