"""The train stage's report from predictions whose metrics are known by construction and by scipy."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from rashomon.core.config import InferenceConfig
from rashomon.heads.evaluation import SYNTHETIC_TRAIN_LABEL, train_report

INFERENCE = InferenceConfig(n_resamples=500, min_n=10, seed=0)


def test_the_report_names_the_best_architecture_and_tables_every_variant():
    rng = np.random.default_rng(0)
    ids = [str(i) for i in range(40)]
    quality = rng.normal(50, 10, 40)
    authenticity = quality + rng.normal(0, 5, 40)
    manifest = pd.DataFrame({"image_id": ids, "authenticity": authenticity, "quality": quality})
    rows = []
    for arch, noise in (("exact", 0.0), ("noisy", 20.0)):
        for v in range(2):
            pred = authenticity + (rng.normal(0, noise, 40) if noise else 2.0 * v)   # exact: r = 1 for both
            rows += [{"architecture": arch, "variant": v, "image_id": i, "subset": "test", "prediction": p,
                      "epochs": 3} for i, p in zip(ids, pred)]
    report, table, variants = train_report(pd.DataFrame(rows), manifest, "authenticity", 0.8, True, 0.05, INFERENCE)
    assert report["best_architecture"] == "exact" and report["best_plcc"] == pytest.approx(1.0)
    assert report["best_plcc_over_noise_ceiling"] == pytest.approx(1.0 / 0.8)
    assert report["label"] == SYNTHETIC_TRAIN_LABEL
    noisy = variants[variants.architecture == "noisy"]
    expected = [stats.pearsonr(g.prediction, authenticity)[0] for _, g in pd.DataFrame(rows).query(
        "architecture == 'noisy'").groupby("variant")]
    np.testing.assert_allclose(noisy["plcc"], expected, rtol=1e-6)
    assert table.set_index("architecture").loc["noisy", "plcc"] == pytest.approx(np.mean(expected))
    assert "label" not in train_report(pd.DataFrame(rows), manifest, "authenticity", None, False, 0.05, INFERENCE)[0]
    assert report["rashomon_set"]["best"] == "exact" and report["rashomon_set"]["plcc"]["exact"]["value"] == 1.0
