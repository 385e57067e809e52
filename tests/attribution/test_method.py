"""The attribution-method interface: one registry, typed options from params, overrides from
another stage's section, and the functional shortcut building the same class."""

import dataclasses

import numpy as np
import pytest
import torch

from rashomon.attribution import METHODS, Inputs, attribute, build_method
from rashomon.attribution.method import check_explain_config, method_options, stored_methods
from rashomon.core.errors import InputError
from tests.conftest import config


def test_every_method_is_a_class_with_typed_defaults_and_one_place_lists_them():
    assert {"gradcam", "lime", "mpm", "counterfactual"} <= set(METHODS)
    for name in METHODS:
        cls = METHODS.get(name)
        assert cls.name == name and dataclasses.is_dataclass(cls.Options) and cls.reads in ("pixels", "stem")
        cls.Options()   # every option has a default (the params.yaml section still has to give them all)
    assert METHODS.get("gradcam").reads == "stem" and not METHODS.get("gradcam").supports_ensemble
    assert not METHODS.get("counterfactual").in_explain


def test_options_come_from_params_with_overrides_checked_where_they_are_written():
    explain = config("explain")
    mpm = method_options(explain, "mpm", {"stride": 8}, "sanity.options.mpm")
    assert mpm.stride == 8 and list(mpm.mask_sizes) == [3, 17, 65]
    with pytest.raises(InputError, match=r"unknown key sanity.options.mpm.strid \(options of mpm: n_images"):
        method_options(explain, "mpm", {"strid": 8}, "sanity.options.mpm")
    with pytest.raises(InputError, match=r"explain.mpm with sanity.options.mpm.stride must be >= 1"):
        method_options(explain, "mpm", {"stride": 0}, "sanity.options.mpm")
    built = build_method(explain, "lime")
    assert built.scoring == dataclasses.asdict(explain.scoring)          # the predict loop's Trainer options
    assert build_method(explain, "gradcam").scoring is None
    check_explain_config(explain)
    assert stored_methods(explain) == [*explain.methods, "counterfactual"]


def test_the_functional_shortcut_is_the_class():
    from tests.attribution.test_attribution import real_variants

    _, vs = real_variants("resnet_small", k=2)
    x = torch.randn(1, 3, 64, 64)
    cls = METHODS.get("mpm")
    direct = cls(cls.Options(mask_sizes=(5,), stride=16), progress=False).attribute(Inputs(x), vs).maps
    shortcut = attribute("mpm", x, vs, mask_sizes=(5,), stride=16, progress=False).maps
    np.testing.assert_array_equal(direct, shortcut)
    with pytest.raises(TypeError):
        attribute("mpm", x, vs, strides=16)   # a misspelled keyword is not silently dropped
