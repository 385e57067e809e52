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


@pytest.mark.slow
def test_idsds_stages_end_to_end(tmp_path):
    idsds = {
        "data": "data/idsds_synthetic", "models": ["resnet20", "vgg11_bn"], "weights": {}, "vgg_width": 0.25,
        "grid": 4, "deletion_mode": "value", "value": 0.0, "compare_images": 16,
        "synthetic": {"n_train": 128, "n_test": 24, "seed": 0},
        "pretrain": {"epochs": 1, "lr": 0.05, "step_size": 4, "batch_size": 64, "seed": 0},
        "finetune": {"epochs": 1, "lr": 0.005, "step_size": 15, "batch_size": 64, "delete_probability": 0.5, "seed": 1},
        "score": {"n_images": 6, "outputs": ["logit", "softmax"], "transform": "raw", "ig_steps": 4,
                  "sg_samples": 2, "sg_stdev": 0.15, "occlusion_window": 8, "seed": 0},
    }
    proj = make_copy(tmp_path / "proj", {"idsds": idsds})
    out = run(["dvc", "repro", "idsds_score"], proj)
    assert stages_run(out) == ["idsds_data", "idsds_finetune", "idsds_score"]
    report = json.loads((proj / "metrics/idsds.json").read_text())
    assert "SYNTHETIC" in report["label"]
    for name in ("resnet20", "vgg11_bn"):
        r = report["models"][name]
        assert {"integrated_gradients", "gradcam_pp", "sobel", "gaussian_256", "entropy_31", "bandpass"} <= set(r["scores"]["logit"])
        assert r["reliability_warning"] == bool(r["dummy_outranks_principled"])
        assert -1 <= r["kendall_tau_logit_vs_softmax"] <= 1
    ft = json.loads((proj / "metrics/idsds_finetune.json").read_text())
    assert set(ft["resnet20"]["accuracy"]) == {"original_clean", "original_deleted", "finetuned_clean", "finetuned_deleted"}
    assert (proj / "plots/idsds/ranking_resnet20.png").is_file()
