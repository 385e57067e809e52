"""Typed params: the repository's params.yaml parses; unknown, missing and mistyped keys
are one-line errors naming the key."""

import dataclasses

import pytest
import yaml

from rashomon.attribution.method import check_explain_config, method_options
from rashomon.backbones.weights import check_backbone_names
from rashomon.attribution.explain_params import ExplainParams
from rashomon.core.config import load_params
from rashomon.groundtruth.controls_params import ControlsParams
from rashomon.groundtruth.sanity_params import SanityParams
from rashomon.params import Params, load_all_params
from rashomon.core.errors import InputError
from rashomon.idsds.models import check_model_names
from tests.conftest import REPO, config


def checked(path):
    """params.yaml as a stage sees it: loaded, and the method sections checked by their methods."""
    params = load_all_params(path)
    check_explain_config(params.explain)
    return params


def lookup(params, key):
    """A dotted key's value; explain.<method>.<option> from the method's typed options."""
    section, *rest = key.split(".")
    got = getattr(params, section)
    if section == "explain" and rest[0] in got.sections:
        got, rest = method_options(got, rest[0]), rest[1:]
    for part in rest:
        got = getattr(got, part)
    return got


def write(tmp_path, edit):
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    edit(params)
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params, sort_keys=False))
    return path


def test_repository_params_parse_into_typed_sections():
    params = load_all_params(REPO / "params.yaml")
    assert isinstance(params, Params)
    assert params.train.dropout == 0.5 and isinstance(params.train.lr, float)
    assert params.idsds.finetune.momentum == 0.9 and params.idsds.finetune.gamma == 0.1
    # every dataclass field is required: no value lives in code
    for section in dataclasses.fields(Params):
        value = getattr(params, section.name)
        if not dataclasses.is_dataclass(value):   # a top-level scalar (determinism)
            continue
        for f in dataclasses.fields(value):
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
    (lambda p: p["explain"].update(shap={}), r"unknown key explain.shap: neither a setting of explain nor an "
                                             r"attribution method \(methods: counterfactual, gradcam, lime, mpm\)"),
    (lambda p: p["explain"]["mpm"].pop("fill"), r"missing key explain.mpm.fill"),
    (lambda p: p["explain"].pop("lime"), r"missing section explain.lime"),
    (lambda p: p["explain"].update(methods=["gradcam", "counterfactual"]), r"'counterfactual' runs in a stage of its"),
    (lambda p: p["explain"].update(lime=[1, 2]), r"explain.lime must be a mapping"),
    (lambda p: p["data"].update(target="overall"), r"data.target 'overall' is RichHF-18K's overall_score"),
])
def test_bad_params_are_one_line_errors_naming_the_key(tmp_path, edit, message):
    with pytest.raises(InputError, match=message) as info:
        checked(write(tmp_path, edit))
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("edit, message", [
    (lambda p: p["explain"].update(methods=["gradcam", "shap"], shap={}),
     r"explain.methods: unknown attribution method 'shap' \(known: counterfactual, gradcam, lime, mpm\)"),
    (lambda p: p["controls"].update(methods=["mpm", "occlusion"]), r"controls.methods: unknown attribution method "
                                                                   r"'occlusion' \(known: "),
    (lambda p: p["sanity"].update(methods=["gradcm"]), r"sanity.methods: unknown attribution method 'gradcm'"),
    (lambda p: p["sanity"].update(options={"lim": {}}), r"sanity.options: unknown attribution method 'lim'"),
])
def test_method_names_are_checked_before_any_work(tmp_path, edit, message):
    """The plain loader (no torch, no registry import) refuses them: synthesize, which checks every
    section, stops a full `dvc repro` with one line (not explain@shap with argparse's usage), and
    so does `python -m rashomon.params` before a sweep; the stage that reads the section does too."""
    path = write(tmp_path, edit)
    with pytest.raises(InputError, match=message) as info:
        load_all_params(path)
    assert "\n" not in str(info.value)
    section = next(s for s in ("explain", "controls", "sanity") if s in message.split(".")[0])
    reader = {"explain": ExplainParams, "controls": ControlsParams, "sanity": SanityParams}[section]
    with pytest.raises(InputError, match=message):
        load_params(reader, path)
    import subprocess
    import sys
    done = subprocess.run([sys.executable, "-m", "rashomon.params", str(path)], capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "unknown attribution method" in done.stderr


def test_the_config_knows_the_registered_method_names_without_importing_them():
    import subprocess
    import sys

    code = ("import sys; from rashomon.core.config import attribution_method_names as n; "
            "print(n(), 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    from rashomon.attribution import METHODS
    assert out.strip() == f"{sorted(METHODS.names())} False"


def test_a_method_module_must_be_named_as_its_method():
    from rashomon.attribution.method import AttributionMethod, register_method

    misnamed = type("Misnamed", (AttributionMethod,),
                    {"name": "shap", "__module__": "rashomon.attribution.methods.lime"})
    with pytest.raises(ValueError, match=r"'shap' must live in attribution/methods/shap.py"):
        register_method(misnamed)


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
        load_all_params(bad)


def set_key(params, dotted, value):
    *path, last = dotted.split(".")
    for key in path:
        params = params[key]
    params[last] = value


@pytest.mark.parametrize("key, value, message", [
    # counts and sizes: >= 1 (0 used to end deep inside pandas or LIME)
    ("train.seeds", 0, r"train.seeds must be >= 1 \(a count\), got 0"),
    ("explain.lime.n_samples", 0, r"explain.lime.n_samples must be >= 2"),
    ("explain.gradcam.n_images", 0, r"explain.gradcam.n_images must be >= 1"),
    ("backbones.batch_size", -3, r"backbones.batch_size must be >= 1"),
    ("explain.mpm.mask_sizes", [3, 0, 65], r"explain.mpm.mask_sizes\[1\] must be >= 1"),
    ("groundtruth.deletion_random", 0, r"groundtruth.deletion_random must be >= 1"),
    ("synthetic.n_raters", 1, r"synthetic.n_raters must be >= 2"),
    ("split.stacking_folds", 1, r"split.stacking_folds must be >= 2"),
    ("idsds.deletion.grid", 1, r"idsds.deletion.grid must be >= 2"),
    ("train.patience", -1, r"train.patience must be >= 0"),
    ("explain.scoring.devices", 0, r"explain.scoring.devices must be -1 \(every device\) or >= 1"),
    # seeds: any int >= 0 that Lightning accepts
    ("train.seed", -1, r"train.seed must be in \[0, 2147483647\]"),
    ("idsds.score.seed", 2**40, r"idsds.score.seed must be in \[0, 2147483647\]"),
    # non-integral and non-finite numbers
    ("train.seeds", 2.5, r"train.seeds must be int, got 2.5"),
    ("train.seeds", True, r"train.seeds must be int, got True"),
    ("train.lr", float("nan"), r"train.lr must be a finite number"),
    ("train.lr", 10**400, r"train.lr must be a finite number"),
    ("train.lr", 0, r"train.lr must be > 0"),
    ("train.max_epochs", 10**30, r"train.max_epochs must fit in 64 bits"),
    ("explain.mpm.stride", 1e300, r"explain.mpm.stride must fit in 64 bits"),
    # fractions and probabilities
    ("synthetic.halo", 1.5, r"synthetic.halo must be in \[0, 1\]"),
    ("train.dropout", 1.0, r"train.dropout must be in \[0, 1\)"),
    ("explain.lime.keep_prob", 0.0, r"explain.lime.keep_prob must be in \(0, 1\)"),
    ("consistency.topk_fraction", 0, r"consistency.topk_fraction must be in \(0, 1\]"),
    ("idsds.finetune.delete_probability", -0.1, r"idsds.finetune.delete_probability must be in \[0, 1\]"),
    ("sanity.pass_below", 2, r"sanity.pass_below must be in \[-1, 1\]"),
    ("split.exp1_fractions", [0.7, 0.2, 0.2], r"split.exp1_fractions must be 3 shares .* sum to 1"),
    ("split.exp1_fractions", [0.5, 0.5], r"split.exp1_fractions must be 3 shares"),
    ("split.exp3_test_fraction", 0.95, r"split.exp3_test_fraction \(0.95\) \+ split.exp3_val_fraction"),
    # percents: a non-empty list of values in (0, 100]
    ("consistency.percents", [5, 150], r"consistency.percents\[1\] must be in \(0, 100\]"),
    ("consistency.percents", [0, 10], r"consistency.percents\[0\] must be in \(0, 100\]"),
    ("consistency.percents", [], r"consistency.percents must not be empty"),
    # duplicated names in every list of names
    ("backbones.names", ["vgg_small", "resnet_small", "vgg_small"], r"backbones.names lists 'vgg_small' more than"),
    ("explain.methods", ["gradcam", "lime", "gradcam"], r"explain.methods lists 'gradcam' more than once"),
    ("sanity.methods", ["mpm", "mpm"], r"sanity.methods lists 'mpm' more than once"),
    ("idsds.models", ["resnet20", "resnet20"], r"idsds.models lists 'resnet20' more than once"),
    ("idsds.score.methods", ["IG", "Gradient", "IG"], r"idsds.score.methods lists 'IG' more than once"),
    ("idsds.score.outputs", ["logit", "logit"], r"idsds.score.outputs lists 'logit' more than once"),
    ("idsds.score.transforms", ["abs", "abs"], r"idsds.score.transforms lists 'abs' more than once"),
    ("pretrain.tasks", ["object", "colour", "object"], r"pretrain.tasks lists 'object' more than once"),
    ("filter.exclude_challenges", ["Imagination", "Imagination"], r"filter.exclude_challenges lists 'Imagination'"),
    ("filter.exclude_prompts", [3, 3], r"filter.exclude_prompts lists 3 more than once"),
    ("consistency.percents", [5, 5.0], r"consistency.percents lists 5.0 more than once"),
    ("idsds.score.dummies.gaussian_sigmas", [1, 2, 1.0], r"idsds.score.dummies.gaussian_sigmas lists 1.0 more"),
    ("explain.methods", [], r"explain.methods must not be empty"),
    ("filter.keep_prompts", [], r"filter.keep_prompts must not be empty \(null keeps every prompt"),
    # other rules
    ("idsds.deletion.blur_kernel", 4, r"idsds.deletion.blur_kernel must be an odd number, got 4"),
    ("idsds.score.dummies.entropy_kernels", [3, 4], r"idsds.score.dummies.entropy_kernels\[1\] must be an odd"),
    ("counterfactual.generator.downsample", 17, r"counterfactual.generator.downsample must be in \[0, 16\]"),
    ("data.root", "", r"data.root must not be empty"),
    ("train.seeds", 11, r"train.seeds=11 exceeds split.n_variants=10"),
])
def test_out_of_range_values_are_one_line_errors_naming_the_key(tmp_path, key, value, message):
    with pytest.raises(InputError, match=message) as info:
        checked(write(tmp_path, lambda p: set_key(p, key, value)))
    assert "\n" not in str(info.value) and len(str(info.value)) < 400


@pytest.mark.parametrize("key, value, expected", [
    ("train.seeds", 2.0, 2),                              # DVC may hash/write 2 as 2.0
    ("explain.mpm.mask_sizes", [3.0, 17, 65.0], [3, 17, 65]),
    ("prune.max_iterations", 0.0, 0),                     # 0 = no pruning
    ("train.patience", 0, 0),
    ("consistency.train_images", 0, 0),                   # no training-set relations
    ("explain.n_figures", 0, 0),
    ("explain.scoring.devices", -1, -1),                  # every device
    ("consistency.percents", [10, 20], [10.0, 20.0]),
    ("consistency.percents", [100], [100.0]),
    ("groundtruth.deletion_fill", -2, -2.0),
    ("filter.keep_prompts", None, None),
    ("data.target", "overall", "overall"),                # with data.source richhf18k (set below)
])
def test_valid_edge_values_are_accepted(tmp_path, key, value, expected):
    def edit(p):
        set_key(p, key, value)
        if key == "data.target":
            set_key(p, "data.source", "richhf18k")

    got = lookup(checked(write(tmp_path, edit)), key)
    assert got == expected and type(got) is type(expected)
    if isinstance(expected, list):
        assert [type(v) for v in got] == [type(v) for v in expected]


def test_messages_stay_one_short_line_for_junk_values(tmp_path):
    junk = {"a": [1, {"b": "x\ny" * 50}], "c": None}
    with pytest.raises(InputError) as info:
        load_all_params(write(tmp_path, lambda p: set_key(p, "train.seeds", junk)))
    assert str(info.value).startswith("params.yaml: train.seeds must be int") and "\n" not in str(info.value)
    assert len(str(info.value)) < 200
    with pytest.raises(InputError, match=r"unknown key backbones.'a\\nb'") as info:
        load_all_params(write(tmp_path, lambda p: set_key(p, "backbones.a\nb", 1)))
    assert "\n" not in str(info.value)


def test_an_exponent_float_without_a_dot_is_a_number(tmp_path):
    """PyYAML reads `1e-3` as text where DVC reads a number: both must agree it is 0.001."""
    import yaml

    from rashomon.params import load_all_params
    text = (REPO / "params.yaml").read_text().replace("  lr: 0.001\n", "  lr: 1e-3\n", 1)
    assert yaml.safe_load(text)["train"]["lr"] == "1e-3"
    (tmp_path / "p.yaml").write_text(text)
    assert load_all_params(tmp_path / "p.yaml").train.lr == 0.001
    (tmp_path / "p.yaml").write_text(text.replace("lr: 1e-3", "lr: 1e-3x"))
    with pytest.raises(InputError, match="train.lr must be float"):
        load_all_params(tmp_path / "p.yaml")
