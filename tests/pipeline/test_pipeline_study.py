"""The study's configuration end to end at the real resolution: the study preset on a tiny
folder in the AIGCIQA2023 layout, two of the study's architectures with different input
sizes (EfficientNetB3 at 256/224 px, DenseNet161 at 320/300 px; random weights from local
files, nothing downloaded) and every count cut to the minimum, through `dvc repro` to the
report (the per-architecture IDSDS and sanity stages, and groundtruth (no masks on real
data), left out for time). The ensemble, counterfactual and consistency stages are the ones
that used to refuse or crash on mixed sizes."""

import json

import numpy as np
import pytest
import torch
import yaml
from PIL import Image, ImageFilter

from rashomon.backbones import create_backbone
from rashomon.preset import merged, read_yaml
from tests.conftest import REPO, make_aigciqa_folder
from tests.pipeline.dvc_project import make_copy, run, stages_run

STUDY_ARCHITECTURES = ["efficientnet_b3", "densenet161"]
TINY_COUNTS = {
    "data": {"root": "data/AIGCIQA2023"},
    "filter": {"keep_prompts": [0, 1, 2]},   # the fixture's 3 prompts, all among the study's 57
    "backbones": {"names": STUDY_ARCHITECTURES,
                  "weights": {n: f"weights/{n}.pth" for n in STUDY_ARCHITECTURES}, "batch_size": 16,
                  "cache_dtype": "float32"},   # random EfficientNet-B3 weights: activations of 1e-14, 0 in float16
    "split": {"n_variants": 2, "stacking_folds": 2, "n_bins": 2},
    "train": {"seeds": 1, "max_epochs": 2, "patience": 1},
    "prune": {"max_iterations": 1},
    "explain": {"n_figures": 1, "lime": {"n_images": 1, "n_samples": 8},
                "mpm": {"n_images": 1, "stride": 150}},
    "ensemble": {"n_images": 1, "prune_max_iterations": 1},
    "consistency": {"train_images": 4},
    "sanity": {"n_images": 1, "stem_steps": 1, "options": {"mpm": {"stride": 150}}, "methods": ["gradcam"]},
    "counterfactual": {"n_images": 1, "n_variants": 1, "steps": 1, "n_figures": 1,
                       "generator": {"width": 4, "epochs": 1, "n_val_images": 4}},
    "idsds": {"data": "data/idsds_synthetic", "models": ["resnet20"], "compare_images": 8, "vgg_width": 0.25,
              "synthetic": {"n_train": 64, "n_test": 8, "seed": 0}, "pretrain": {"epochs": 1, "batch_size": 32},
              "finetune": {"epochs": 1, "batch_size": 32},
              "score": {"n_images": 2, "ig_steps": 2, "nt_samples": 1, "methods": ["Gradient", "Grad-CAM"]}},
}


@pytest.mark.slow
def test_the_study_preset_reaches_the_report_with_mixed_input_sizes(tmp_path):
    overrides = merged(read_yaml(REPO / "params.study.yaml"), TINY_COUNTS)
    proj = make_copy(tmp_path / "proj", overrides)
    dataset = make_aigciqa_folder(proj / "data/AIGCIQA2023", n_prompts=3, n_models=2, reps=4, size=320)   # 24 images
    for png in (dataset / "Image/allimg").glob("*.png"):   # regions SLIC can segment (noise is one superpixel)
        Image.open(png).filter(ImageFilter.GaussianBlur(8)).save(png)
    (proj / "weights").mkdir()
    for name in STUDY_ARCHITECTURES:
        torch.save(create_backbone(name).model.state_dict(), proj / f"weights/{name}.pth")
    params = yaml.safe_load((proj / "params.yaml").read_text())
    assert params["explain"]["mpm"]["mask_sizes"] == [3, 17, 65] and params["backbones"]["names"] == STUDY_ARCHITECTURES

    # every stage where architectures meet, then the report from the metrics there are (the
    # IDSDS benchmark and the sanity checks run per architecture and cost minutes here)
    out = run(["dvc", "repro", "consistency", "counterfactual", "explain_figures"], proj)   # groundtruth: no masks here
    assert {"ensemble", "generator", "counterfactual", "consistency", "explain_figures"} <= set(stages_run(out))
    assert stages_run(run(["dvc", "repro", "--single-item", "report"], proj)) == ["report"]
    # each architecture explains on its own grid; the ensemble on the 320/300 canvas
    for name, side in (("efficientnet_b3", 224), ("densenet161", 300)):
        for method in ("gradcam", "lime", "mpm", "counterfactual"):
            assert np.load(proj / f"data/explanations/{method}/{name}.npz")["maps"].shape[-2:] == (side, side)
    assert np.load(proj / "data/ensemble/mpm.npz")["maps"].shape == (1, 1, 300, 300)
    assert np.load(proj / "data/explanations/counterfactual/ensemble.npz")["maps"].shape[-2:] == (300, 300)
    generator = json.loads((proj / "metrics/generator.json").read_text())
    assert generator["image_size"] == 300
    consistency = json.loads((proj / "metrics/consistency.json").read_text())
    across = consistency["methods"]["gradcam"]["across_mean_pearson"]
    assert across is None or -1 <= across <= 1
    assert set(consistency["methods"]["mpm"]["ensemble_vs_architectures_pearson"]) == set(STUDY_ARCHITECTURES)
    page = (proj / "report/rashomon.html").read_text()
    assert "Consistency of explanations" in page and "Ensembles" in page
