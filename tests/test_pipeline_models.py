"""The whole default pipeline on a tiny config: dvc repro, then a DVC experiment."""

import json

import pandas as pd
import pytest

from tests.dvc_project import commit, make_copy, run, stages_run

TINY_MODELS = {
    "synthetic": {"n_prompts": 10, "image_size": 64},
    "backbones": {"names": ["resnet_small", "efficientnet_small"]},
    "pretrain": {"n_images": 96, "n_probe_images": 40, "epochs": 1},
    "split": {"n_variants": 3},
    "train": {"seeds": 2, "max_epochs": 6, "patience": 3},
}


@pytest.mark.slow
def test_repro_to_train_then_experiment_with_more_seeds(tmp_path):
    proj = make_copy(tmp_path / "proj", TINY_MODELS)
    out = run(["dvc", "repro", "train"], proj)
    assert {"pretrain", "features", "train"} <= set(stages_run(out))
    report = json.loads((proj / "metrics/train.json").read_text())
    assert set(report["architectures"]) == {"resnet_small", "efficientnet_small"}
    assert len(report["architectures"]["resnet_small"]["variants"]) == 2
    assert "SYNTHETIC" in report["label"]
    assert (proj / "models/heads/efficientnet_small/v1.pt").is_file()

    commit(proj, "baseline")
    out = run(["dvc", "exp", "run", "-S", "train.seeds=3"], proj)
    assert stages_run(out) == ["train"]  # only the heads are retrained: the cache is reused
    report = json.loads((proj / "metrics/train.json").read_text())
    assert len(report["architectures"]["resnet_small"]["variants"]) == 3
    preds = pd.read_csv(proj / "data/predictions.csv")
    assert preds.groupby("architecture")["variant"].nunique().tolist() == [3, 3]
