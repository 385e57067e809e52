"""The whole default pipeline on a tiny config: dvc repro, then a DVC experiment."""

import json

import numpy as np
import pandas as pd
import pytest

from tests.dvc_project import commit, make_copy, run, stages_run

TINY_MODELS = {
    "synthetic": {"n_prompts": 10, "image_size": 64},
    "backbones": {"names": ["resnet_small", "efficientnet_small"]},
    "pretrain": {"n_images": 96, "n_probe_images": 40, "epochs": 1},
    "split": {"n_variants": 3},
    "train": {"seeds": 2, "max_epochs": 6, "patience": 3},
    "explain": {"n_figures": 2,
                "lime": {"n_images": 2, "n_samples": 32, "n_segments": 150},
                "mpm": {"n_images": 1, "stride": 16, "mask_sizes": [3, 17, 65]}},
}


@pytest.mark.slow
def test_full_repro_then_experiment_with_more_seeds(tmp_path):
    proj = make_copy(tmp_path / "proj", TINY_MODELS)
    out = run(["dvc", "repro"], proj)
    assert {"pretrain", "features", "train", "prune", "explain@gradcam", "explain@lime", "explain@mpm",
            "explain_figures"} <= set(stages_run(out))
    maps = np.load(proj / "data/explanations/lime/resnet_small.npz")
    assert maps["maps"].shape[:2] == (2, 2) and maps["fidelity"].shape == (2, 2)
    gradcam = np.load(proj / "data/explanations/gradcam/efficientnet_small.npz")
    assert gradcam["maps"].shape[1:] == (2, 64, 64) and len(gradcam["image_ids"]) > 10
    assert len(list((proj / "plots/explain").glob("*.png"))) == 1  # mpm explains one image
    prune = json.loads((proj / "metrics/prune.json").read_text())
    assert prune["resnet_small"]["fit"]["pruned_rmse"] <= prune["resnet_small"]["fit"]["baseline_rmse"] + 1e-9
    report = json.loads((proj / "metrics/train.json").read_text())
    assert set(report["architectures"]) == {"resnet_small", "efficientnet_small"}
    assert len(report["architectures"]["resnet_small"]["variants"]) == 2
    assert "SYNTHETIC" in report["label"]
    assert (proj / "models/heads/efficientnet_small/v1.pt").is_file()

    commit(proj, "baseline")
    out = run(["dvc", "exp", "run", "-S", "train.seeds=3"], proj)
    ran = stages_run(out)
    assert "train" in ran and "features" not in ran and "pretrain" not in ran  # the cache is reused
    report = json.loads((proj / "metrics/train.json").read_text())
    assert len(report["architectures"]["resnet_small"]["variants"]) == 3
    preds = pd.read_csv(proj / "data/predictions.csv")
    assert preds.groupby("architecture")["variant"].nunique().tolist() == [3, 3]
