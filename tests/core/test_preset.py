"""The study preset: params.yaml plus params.study.yaml is the published configuration
(each value checked against the design notes' "Facts about the study's method" and the
release's kept prompts), and its `dvc exp run -S` flags carry exactly its values."""

import shlex

import pytest
import yaml

from rashomon.attribution.method import method_options
from rashomon.core.errors import InputError
from rashomon.preset import check, leaves, main, read_yaml
from tests.conftest import REPO

STUDY = REPO / "params.study.yaml"
# DESIGN.md, "Facts about the real data": the study kept 57 prompts (1368 images)
KEPT_PROMPTS = [*range(0, 13), 14, 15, 17, 18, 19, 21, 22, 24, 25, 27, 28, 31, 32, 34, 35, 37, 38,
                *range(70, 76), *range(77, 86), *range(87, 96), 97, 98, 99]


def at(tree: dict, dotted: str):
    """The value under a dotted key of nested params."""
    for part in dotted.split("."):
        tree = tree[part]
    return tree


def test_the_study_preset_is_the_published_configuration():
    p = check(REPO / "params.yaml", STUDY)
    assert len(KEPT_PROMPTS) == 57 and p.filter.keep_prompts == KEPT_PROMPTS and p.filter.exclude_challenges == []
    assert p.data.source == "aigciqa2023" and p.data.ratings_long is None and p.reliability.noise_ceiling == 0.82
    assert p.reliability.n_splits == 20 and p.reliability.seed == 12345 and not p.reliability.zscore_raters
    assert p.backbones.names == ["vgg16", "vgg19", "resnet152", "densenet161", "efficientnet_b3",
                                 "barlowtwins_resnet50"]
    # Exp3: fixed 20% test, 10 train/val re-splits (seed 42 + v), pruning until RMSE stops falling
    assert p.split.exp3_test_fraction == 0.2 and p.split.n_variants == 10 and p.split.seed == 42
    assert p.split.stacking_folds == 5 and p.train.scheme == "exp3" and p.train.seeds == 10
    assert p.prune.max_iterations is None and p.ensemble.prune_max_iterations is None
    assert p.prune.fit_on == "test"   # the study's Exp2 (the default fits on val)
    # head training: Adam lr 1e-3, batch 64, up to 250 epochs, patience 15, dropout .5
    assert (p.train.lr, p.train.batch_size, p.train.max_epochs, p.train.patience, p.train.dropout) == \
        (1e-3, 64, 250, 15, 0.5)
    # Grad-CAM signed at the study's layer; MPM 3/17/65 px at every pixel; LIME <= 150 superpixels, 1000 samples
    gradcam, mpm, lime = (method_options(p.explain, m) for m in ("gradcam", "mpm", "lime"))
    assert not gradcam.relu and gradcam.target_layer == "conv" and gradcam.n_images is None
    assert list(mpm.mask_sizes) == [3, 17, 65] and mpm.stride == 1 and mpm.fill == 0.0
    assert mpm.n_images is None and lime.n_images is None
    assert lime.n_segments == 150 and lime.n_samples >= 1000
    assert list(p.consistency.percents) == [5, 15, 25]
    assert p.ensemble.n_images >= 274   # every image of the 20% test set (273.6 of 1368)
    # IDSDS: the CIFAR-100 reproduction's 8 models, 30 fine-tuning epochs at lr .005 (step 15), 4x4 grid
    assert p.idsds.models == ["resnet20", "resnet32", "resnet44", "resnet56", "vgg11_bn", "vgg13_bn", "vgg16_bn",
                              "vgg19_bn"]
    ft = p.idsds.finetune
    assert (ft.epochs, ft.lr, ft.step_size, ft.batch_size, ft.momentum, ft.weight_decay) == (30, 0.005, 15, 128, 0.9,
                                                                                            5e-4)
    assert p.idsds.deletion.grid == 4 and p.idsds.vgg_width == 1.0 and p.idsds.score.n_images is None


def test_the_preset_changes_only_what_differs_from_the_default():
    default = yaml.safe_load((REPO / "params.yaml").read_text())
    for key, value in leaves(read_yaml(STUDY)):   # every key exists in params.yaml (a typo: KeyError)
        assert at(default, key) != value, f"{key} is already {value!r} in params.yaml"


def test_the_flags_carry_the_preset_values_and_a_wrong_key_is_one_line(capsys, tmp_path):
    assert main([str(STUDY), "--params", str(REPO / "params.yaml")]) == 0
    words = shlex.split(capsys.readouterr().out)
    assert words[0::2] == ["-S"] * (len(words) // 2)
    parsed = dict(w.split("=", 1) for w in words[1::2])
    assert {k: yaml.safe_load(v) for k, v in parsed.items()} == dict(leaves(read_yaml(STUDY)))
    bad = tmp_path / "bad.yaml"
    bad.write_text("explain:\n  mpm:\n    strid: 1\n")
    with pytest.raises(InputError, match=r"bad.yaml: .*explain.mpm.strid"):
        check(REPO / "params.yaml", bad)
    assert main([str(bad), "--params", str(REPO / "params.yaml")]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_dvc_queues_the_preset_as_one_experiment_with_exactly_its_values(tmp_path, capsys):
    """The printed flags, through xargs into `dvc exp run --queue`, give an experiment whose
    params.yaml holds the preset's values (DVC parses each flag; nothing is run)."""
    import json
    import subprocess

    from tests.pipeline.dvc_project import env, make_copy, run

    proj = make_copy(tmp_path / "proj")
    assert main([str(STUDY), "--params", str(proj / "params.yaml")]) == 0
    flags = capsys.readouterr().out
    proc = subprocess.run(["xargs", "dvc", "exp", "run", "--queue", "-n", "study"], input=flags, cwd=proj, env=env(),
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    shown = json.loads(run(["dvc", "exp", "show", "--json"], proj))

    def queued(node):
        if isinstance(node, dict):
            if node.get("name") == "study" and "data" in node:
                yield node["data"]["params"]["params.yaml"]["data"]
            for value in node.values():
                yield from queued(value)
        elif isinstance(node, list):
            for value in node:
                yield from queued(value)

    (params,) = list(queued(shown))
    for key, value in leaves(read_yaml(STUDY)):
        assert at(params, key) == value, key
