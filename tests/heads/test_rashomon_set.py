"""The Rashomon set: architectures that predict about equally well, by PLCC and its interval."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from rashomon.core.config import InferenceConfig
from rashomon.heads.rashomon_set import plcc_estimates, plcc_interval, rashomon_set

INFERENCE = InferenceConfig(n_resamples=1000, min_n=10, seed=0)


def predictions_for(y: np.ndarray, noise: dict[str, float], seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for arch, sd in noise.items():
        for v in range(3):
            pred = y + rng.normal(0, sd, len(y)) if sd < np.inf else rng.normal(0, 1, len(y))
            rows += [{"architecture": arch, "variant": v, "image_id": str(i), "subset": "test", "prediction": p}
                     for i, p in enumerate(pred)]
    return pd.DataFrame(rows)


def test_the_plcc_is_the_variants_mean_with_an_interval_over_images():
    y = np.random.default_rng(1).normal(0, 1, 80)
    pred = predictions_for(y, {"a": 0.5})
    got = plcc_estimates(pred, pd.Series(y, index=[str(i) for i in range(80)]), INFERENCE)["a"]
    by_scipy = np.mean([stats.pearsonr(g.prediction, y)[0] for _, g in pred.groupby("variant")])
    assert got["value"] == pytest.approx(by_scipy) and got["n"] == 80
    assert got["ci_low"] < by_scipy < got["ci_high"] and got["ci_high"] - got["ci_low"] < 0.2


def test_a_model_that_predicts_nothing_is_never_in_the_set():
    """Known by construction: two good architectures, one a little worse (in by the tolerance),
    one clearly worse (out), one pure noise (out: predicts nothing)."""
    y = np.random.default_rng(2).normal(0, 1, 150)
    pred = predictions_for(y, {"best": 0.4, "close": 0.45, "worse": 1.5, "noise": np.inf})
    plcc = plcc_estimates(pred, pd.Series(y, index=[str(i) for i in range(150)]), INFERENCE)
    out = rashomon_set(plcc, tolerance=0.05)
    assert out["best"] == "best" and out["members"] == ["best", "close"]
    assert out["excluded"]["noise"].startswith("predicts nothing")
    assert out["excluded"]["worse"].startswith("predicts worse") and "no overlap" in out["excluded"]["worse"]
    # a wider tolerance takes the worse one in, never the noise
    assert rashomon_set(plcc, tolerance=0.5)["members"] == ["best", "close", "worse"]


def test_overlapping_intervals_keep_an_architecture_in_beyond_the_tolerance():
    plcc = {"a": {"value": 0.8, "ci_low": 0.7, "ci_high": 0.88, "n": 50},
            "b": {"value": 0.72, "ci_low": 0.6, "ci_high": 0.71, "n": 50},
            "c": {"value": 0.6, "ci_low": 0.5, "ci_high": 0.68, "n": 50}}
    out = rashomon_set(plcc, tolerance=0.05)
    assert out["members"] == ["a", "b"] and list(out["excluded"]) == ["c"]


def test_the_vectorised_interval_equals_the_generic_bootstrap():
    """Independent path: rashomon.inference.bootstrap_interval with a per-resample Python statistic
    draws the same resamples (same seed, same order) and gives the same bounds."""
    from rashomon.inference import bootstrap_interval

    y = np.random.default_rng(5).normal(0, 1, 30)
    pred = predictions_for(y, {"a": 0.8}, seed=6)
    wide = pred.pivot(index="image_id", columns="variant", values="prediction")   # the rows in the same order
    p, t = wide.to_numpy(), pd.Series(y, index=[str(i) for i in range(30)]).loc[wide.index].to_numpy()
    got = plcc_interval(p, t, InferenceConfig(400, 10, 2), over_variants=False)
    low, high = bootstrap_interval(lambda rows: np.mean([stats.pearsonr(p[rows, k], t[rows])[0] for k in range(3)]),
                                   30, seed=2, n_resamples=400)
    assert got == pytest.approx((low, high), rel=1e-9)


def test_the_interval_includes_training_randomness_and_equals_the_images_only_one_without_it():
    """Two-level bootstrap (images, then variants): with identical variants it is exactly the
    images-only interval (the variants' draws use their own generator); with variants that
    disagree (half predict, half are noise) it is wider, and its centre stays near the mean."""
    rng = np.random.default_rng(7)
    y = rng.normal(0, 1, 60)
    same = np.repeat((y + rng.normal(0, 0.5, 60))[:, None], 4, axis=1)
    cfg = InferenceConfig(2000, 10, 0)
    assert plcc_interval(same, y, cfg) == plcc_interval(same, y, cfg, over_variants=False)
    mixed = np.column_stack([y + rng.normal(0, 0.3, 60), y + rng.normal(0, 0.3, 60),
                             rng.normal(0, 1, 60), rng.normal(0, 1, 60)])
    hier, flat = plcc_interval(mixed, y, cfg), plcc_interval(mixed, y, cfg, over_variants=False)
    assert hier[1] - hier[0] > 1.5 * (flat[1] - flat[0])
    assert hier[0] < np.mean([stats.pearsonr(mixed[:, k], y)[0] for k in range(4)]) < hier[1]
