"""The README's real-data settings end to end: a folder in the AIGCIQA2023 release's layout
without a per-rater table (the public release has none) and the published noise ceiling,
a backbone with its own weights file (as real backbones have). DVC runs the stages the
ratings need, the stages that only apply to synthetic data skip with one console line
each, and the report names its data and labels every section.

Kept cheap (the whole pipeline with IDSDS takes minutes): DVC runs ingest to `reliance`;
`groundtruth`, `generator` and `counterfactual` run as their stage scripts (groundtruth skips
before reading any map); the report is built by DVC from whatever metrics exist. The
report's labels on a full set of real-data metrics, IDSDS included, are in test_report.py."""

import subprocess

import pytest
import torch
import yaml
from PIL import Image, ImageFilter

from rashomon.backbones import create_backbone
from tests.conftest import make_aigciqa_folder
from tests.pipeline.dvc_project import env, make_copy, run, set_param, stage_command, stages_run

README_REAL_DATA = {   # "Using the real AIGCIQA2023 data" (the tiny folder has 4 prompts, so no prompt list)
    "data": {"source": "aigciqa2023", "root": "dataset", "ratings_long": None},
    "filter": {"keep_prompts": None, "exclude_challenges": []},
    "reliability": {"noise_ceiling": 0.82},
}
TINY = {
    "backbones": {"names": ["resnet_small"], "weights": {"resnet_small": "weights/resnet_small.pt"}},
    "split": {"n_variants": 2},
    "train": {"seeds": 2, "max_epochs": 3, "patience": 1},
    "explain": {"use_pruned": False},
    "counterfactual": {"n_images": 1, "n_variants": 1, "steps": 1, "n_figures": 1, "ensemble": False,
                       "generator": {"width": 4, "epochs": 1, "n_val_images": 4}},
}


def sections(html: str) -> dict[str, str]:
    """The report's sections by title."""
    return {part.split("</h2>")[0]: part for part in html.split("<h2>")[1:]}


def stage_script(proj, name: str) -> str:
    """Run stage `name` outside DVC, as dvc.yaml calls it; its console output."""
    proc = subprocess.run(stage_command(proj, name), cwd=proj, env={**env(), "PYTHONPATH": str(proj / "src")},
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout + proc.stderr


@pytest.mark.slow
def test_readme_real_data_settings_reach_the_report_with_every_section_labelled(tmp_path):
    proj = make_copy(tmp_path / "proj", {**TINY, **README_REAL_DATA})
    dataset = make_aigciqa_folder(proj / "dataset", n_prompts=4, n_models=3, reps=4, size=64)   # 48 images
    for png in (dataset / "Image/allimg").glob("*.png"):
        Image.open(png).filter(ImageFilter.GaussianBlur(4)).save(png)
    (proj / "weights").mkdir()
    torch.save(create_backbone("resnet_small").model.state_dict(), proj / "weights/resnet_small.pt")

    # 48 kept images leave 10 in the exp3 test set, 2 per rating bin: 5 stratified stacking folds
    # cannot be cut; `split` says so in one line instead of sklearn's traceback
    proc = subprocess.run(["dvc", "repro", "split"], cwd=proj, env=env(), capture_output=True, text=True)
    assert proc.returncode != 0
    errors = [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.startswith("error: split:")]
    assert len(errors) == 1 and "split.n_bins" in errors[0] and "split.stacking_folds = 5" in errors[0], proc.stderr
    assert "Traceback" not in proc.stderr
    set_param(proj, "split", "stacking_folds", 2)

    out = run(["dvc", "repro", "train", "reliance"], proj)
    assert {"reliability", "pretrain", "features", "train", "reliance"} <= set(stages_run(out))
    assert out.count("INFO rashomon.reliance: skipped: no twins") == 1
    assert "is empty" not in out   # the backbone has its own weights: pretrain leaves a note, not an empty folder
    assert [p.name for p in (proj / "models/pretrained").iterdir()] == ["NONE.txt"]
    reliability = yaml.safe_load((proj / "metrics/reliability.json").read_text())
    assert reliability["noise_ceiling"] == {"authenticity": 0.82} and "label" not in reliability
    assert stage_script(proj, "groundtruth").count("INFO rashomon.groundtruth: skipped: no artifact masks") == 1
    stage_script(proj, "generator")
    assert stage_script(proj, "counterfactual").count(
        "INFO rashomon.counterfactual: skipped the twin comparison: no artifact-free twins") == 1

    assert "report" in stages_run(run(["dvc", "repro", "--single-item", "report"], proj))
    html = (proj / "report/rashomon.html").read_text()
    assert 'class="banner"' not in html   # no SYNTHETIC banner over real ratings
    assert "Data: aigciqa2023 folder dataset (real)." in html
    parts = sections(html)
    assert len(parts) == 12 and next(iter(parts)) == "Every verdict at a glance"   # the verdicts open the report
    for title, part in parts.items():
        label = ("Data: unknown (metrics/idsds.json absent; idsds.data: data/idsds_synthetic)"
                 if title == "IDSDS benchmark" else 'class="data">Data: real data: aigciqa2023 folder dataset</p>')
        assert label in part, title
    reliability = parts["Ratings: reliability and noise ceiling"]
    assert "Skipped: split-half reliability" in reliability and "authenticity 0.820" in reliability
    assert "PLCC" in parts["Prediction per architecture against the ceiling"]
    assert "Skipped: no artifact masks" in parts["Ground truth"]
    counterfactual = next(p for t, p in parts.items() if t.startswith("Counterfactuals"))
    assert "twin (cos)" not in counterfactual and "Twin comparison skipped: no artifact-free twins" in counterfactual
    for absent in ("consistency", "ensemble", "sanity", "idsds"):   # not run here: each section says so
        assert f"Not shown: metrics/{absent}.json absent" in html
