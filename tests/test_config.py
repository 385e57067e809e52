"""Typed params: the repository's params.yaml parses; unknown, missing and mistyped keys
are one-line errors naming the key."""

import dataclasses

import pytest
import yaml

from rashomon.backbones.weights import check_backbone_names
from rashomon.config import Params, load_params
from rashomon.errors import InputError
from rashomon.idsds.models import check_model_names
from tests.conftest import REPO, config


def write(tmp_path, edit):
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    edit(params)
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params, sort_keys=False))
    return path


def test_repository_params_parse_into_typed_sections():
    params = load_params(REPO / "params.yaml")
    assert isinstance(params, Params)
    assert params.train.dropout == 0.5 and isinstance(params.train.lr, float)
    assert params.idsds.finetune.momentum == 0.9 and params.idsds.finetune.gamma == 0.1
    # every dataclass field is required: no value lives in code
    for section in dataclasses.fields(Params):
        for f in dataclasses.fields(section.type if isinstance(section.type, type) else getattr(params, section.name)):
            assert f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING, f.name


@pytest.mark.parametrize("edit, message", [
    (lambda p: p["train"].update(learning_rate=0.1), r"unknown key train.learning_rate \(known keys of train: scheme"),
    (lambda p: p["explain"]["lime"].update(n_sample=5), r"unknown key explain.lime.n_sample"),
    (lambda p: p.update(trian={}), r"unknown section 'trian'"),
    (lambda p: p["pretrain"].pop("lr"), r"missing key pretrain.lr"),
    (lambda p: p["train"].update(seeds="ten"), r"train.seeds must be int, got 'ten'"),
    (lambda p: p["train"].update(scheme="exp9"), r"train.scheme = 'exp9' is not one of \['exp1', 'exp3'\]"),
    (lambda p: p["data"].update(rating_range=[100, 0]), r"data.rating_range must be \[low, high\]"),
    (lambda p: p["synthetic"]["noise_sd"].pop("quality"), r"synthetic.noise_sd needs exactly the keys"),
])
def test_bad_params_are_one_line_errors_naming_the_key(tmp_path, edit, message):
    with pytest.raises(InputError, match=message) as info:
        load_params(write(tmp_path, edit))
    assert "\n" not in str(info.value)


def test_misspelled_weights_key_is_an_error():
    with pytest.raises(InputError, match="backbones.weights: unknown architecture 'resnet125'"):
        check_backbone_names(config("backbones", weights={"resnet125": "/w.pth"}))
    check_backbone_names(config("backbones", weights={"resnet152": "/w.pth"}))  # known: accepted
    with pytest.raises(InputError, match="idsds.weights: unknown CIFAR model 'resnet21'"):
        check_model_names(["resnet20"], {"resnet21": "/w.pt"})


def test_yaml_errors_name_the_file(tmp_path):
    bad = tmp_path / "params.yaml"
    bad.write_text("train: [unclosed\n")
    with pytest.raises(InputError, match="params.yaml: not valid YAML"):
        load_params(bad)
