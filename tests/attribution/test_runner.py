import numpy as np
import pytest

from rashomon.attribution.method import METHODS, Attribution
from rashomon.attribution.runner import map_summary


def test_map_summary_reports_what_each_method_measures_about_itself():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(2, 1, 4, 4))
    maps = np.concatenate([base, base * 2 + 0.5], axis=1)   # variant 1 = 2 x variant 0 + 0.5: r = 1
    assert map_summary(METHODS.get("mpm")(), Attribution(maps))["within_architecture_consistency"] == pytest.approx(1.0)
    cam = map_summary(METHODS.get("gradcam")(), Attribution(np.ones((1, 2, 3, 3)) + np.arange(9).reshape(3, 3)))
    assert {"constant_share_mean", "single_signed_maps_share"} <= set(cam) and cam["single_signed_maps_share"] == 1.0
    lime = map_summary(METHODS.get("lime")(), Attribution(maps, {"fidelity": np.array([[0.5, 0.7], [0.9, np.nan]])}))
    assert lime["lime_fidelity_r2_mean"] == pytest.approx(0.7) and "constant_share_mean" not in lime
    mpm = map_summary(METHODS.get("mpm")(), Attribution(maps, {"incremental": True, "conv_macs_skipped": 0.25}))
    assert mpm["mpm_conv_macs_skipped"] == 0.25
