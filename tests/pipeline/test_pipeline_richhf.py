"""RichHF-18K end to end: the preset (`params.richhf18k.yaml`) as one `dvc exp run` on a tiny
folder in the release's format (record files written by the `tfrecord` package, PNG
heatmaps, the images they name), through the human ground truth to the report.

Kept cheap: one small architecture with its own weights file, the dataset's
own test split as the explanation set (Grad-CAM on all of it, LIME and MPM on two images)."""

import html
import json
import shlex
import subprocess
import sys

import numpy as np
import pytest
import torch

from rashomon.backbones import create_backbone
from tests.conftest import REPO
from tests.data.richhf_fixture import make_richhf_folder
from tests.pipeline.dvc_project import commit, env, make_copy, run, stages_run
from tests.pipeline.test_pipeline_real_data import sections

TINY = {
    "backbones": {"names": ["resnet_small"], "weights": {"resnet_small": "weights/resnet_small.pt"}},
    "split": {"n_variants": 2, "n_bins": 2, "stacking_folds": 2},
    "train": {"seeds": 2, "max_epochs": 3, "patience": 1},
    "explain": {"use_pruned": False, "n_figures": 1, "lime": {"n_images": 2, "n_samples": 16},
                "mpm": {"n_images": 2, "stride": 16}},
    "ensemble": {"n_images": 1, "prune_max_iterations": 1},
    "inference": {"n_resamples": 200},
    "counterfactual": {"n_images": 1, "n_variants": 1, "steps": 1, "n_figures": 1, "ensemble": False,
                       "generator": {"width": 4, "epochs": 1, "n_val_images": 4}},
}


@pytest.mark.slow
def test_the_richhf18k_preset_runs_to_the_human_ground_truth_in_the_report(tmp_path):
    proj = make_copy(tmp_path / "proj", TINY)
    written = make_richhf_folder(proj / "richhf", size=64, split_sizes={"train": 24, "dev": 8, "test": 12})
    (proj / "weights").mkdir()
    torch.save(create_backbone("resnet_small").model.state_dict(), proj / "weights/resnet_small.pt")
    commit(proj, "data")
    flags = subprocess.run([sys.executable, "-m", "rashomon.preset", str(REPO / "params.richhf18k.yaml")],
                           capture_output=True, text=True, check=True, env={**env(), "PYTHONPATH": str(proj / "src")})
    out = run(["dvc", "exp", "run", *shlex.split(flags.stdout), "-S", "data.root=richhf", "groundtruth"], proj)
    assert {"ingest", "split", "train", "explain@gradcam", "groundtruth"} <= set(stages_run(out))

    index = (proj / "data/cue_maps/index.csv").read_text().splitlines()
    assert len(index) == 1 + 44
    test_ids = {r["filename"].rsplit(".", 1)[0] for r in written["test"]}
    explained = set(np.load(proj / "data/explanations/gradcam/resnet_small.npz")["image_ids"].astype(str))
    assert explained == test_ids   # the dataset's test split is the explanation set
    truth = json.loads((proj / "metrics/groundtruth.json").read_text())
    assert truth["heatmaps"] == "human (continuous)" and truth["n_images"] == 12
    assert truth["n_empty_heatmaps"] == sum(r["heat"].max() == 0 for r in written["test"])
    cc = truth["methods"]["gradcam"]["architectures"]["resnet_small"]["cc"]
    assert cc["n"] == 12 - truth["n_empty_heatmaps"] and -1 <= cc["value"] <= 1
    # 12 images with a heatmap at most: a reason, never a guess
    verdict = truth["methods"]["gradcam"]["beats_references"]
    assert set(truth["methods"]["gradcam"]) >= {"vs_gaussian", "vs_sobel", "vs_centre_prior", "vs_random"}
    assert verdict["value"] is not True or verdict["adjusted_p"] < 0.05

    assert "report" in stages_run(run(["dvc", "repro", "--single-item", "report"], proj))
    parts = sections((proj / "report/rashomon.html").read_text())
    human = html.unescape(parts["Human ground truth: do explanations point where people saw the problem?"])
    assert "RichHF-18K (Liang et al. 2024): the images and scores are the dataset's, not ours" in human
    assert "centre_prior" in human and "resnet_small" in human
    assert (proj / "plots/groundtruth/human.png").is_file()
    assert '<img alt="image, human heatmap and each architecture\'s map" src="data:image/png;base64,' in human
