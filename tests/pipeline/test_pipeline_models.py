"""The whole default pipeline on a tiny config (the session's shared `dvc repro`): every
stage's outputs, MPM over two processes, then a DVC experiment that reuses the cache."""

import json
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
import yaml

from rashomon.variants.reliance import ALPHA
from tests.pipeline.dvc_project import copy_project, env, run, shared_pipeline, stage_command, stages_run

@pytest.mark.slow
def test_full_repro_then_experiment_with_more_seeds(tmp_path, tmp_path_factory):
    shared, out = shared_pipeline(tmp_path_factory)
    proj = copy_project(shared, tmp_path / "proj")
    assert {"pretrain", "features", "train", "prune", "explain@gradcam", "explain@lime", "explain@mpm",
            "explain_figures"} <= set(stages_run(out))
    maps = np.load(proj / "data/explanations/lime/resnet_small.npz")
    assert maps["maps"].shape[:2] == (2, 2) and maps["fidelity"].shape == (2, 2)
    gradcam = np.load(proj / "data/explanations/gradcam/efficientnet_small.npz")
    assert gradcam["maps"].shape[1:] == (2, 64, 64) and len(gradcam["image_ids"]) > 10
    assert len(list((proj / "plots/explain").glob("*.png"))) == 1  # mpm explains one image
    prune = pd.read_csv(proj / "plots/prune/baseline_vs_pruned.csv")
    fit = prune[prune["set"] == "fit"]
    assert (fit["pruned_rmse"] <= fit["baseline_rmse"] + 1e-9).all() and len(fit) == 4
    assert set(json.loads((proj / "metrics/prune.json").read_text())["resnet_small"]) >= {
        "pruned_plcc", "baseline_plcc"}
    report = json.loads((proj / "metrics/train.json").read_text())
    assert set(report["architectures"]) == {"resnet_small", "efficientnet_small"}
    assert set(report["architectures"]["resnet_small"]) == {"plcc_mean", "plcc_sd", "model_reliability",
                                                             "partial_authenticity_given_quality"}
    assert "SYNTHETIC" in report["label"]
    variants = pd.read_csv(proj / "plots/train/variants.csv")
    assert len(variants) == 4 and {"rmse", "plcc", "srcc", "epochs"} <= set(variants.columns)
    archs = pd.read_csv(proj / "plots/train/architectures.csv").set_index("architecture")
    assert archs.loc["resnet_small", "n_variants"] == 2
    # training curves are plots DVC can load (versioned with git, not ignored)
    plots = json.loads(run(["dvc", "plots", "show", "--json"], proj))
    assert any(k.startswith("dvclive/train/resnet_small/v0/") and k.endswith("val/loss.tsv") for k in plots["data"])
    assert not plots.get("errors")
    assert (proj / "models/heads/efficientnet_small/v1.pt").is_file()
    truth = json.loads((proj / "metrics/groundtruth.json").read_text())
    assert set(truth["methods"]) == {"gradcam", "lime", "mpm", "counterfactual"}
    assert set(truth["references"]) == {"gaussian", "sobel", "random"}
    for method, entry in truth["methods"].items():
        # the bagged ensemble's maps are scored
        ensemble = {"ensemble"} if method in ("lime", "mpm", "counterfactual") else set()
        assert set(entry["architectures"]) == {"resnet_small", "efficientnet_small"} | ensemble
        assert {"beats_gaussian", "beats_sobel", "beats_random", "beats_references", "best_auroc"} <= set(entry)
    controls = json.loads((proj / "metrics/controls.json").read_text())   # positive and negative controls
    assert set(controls["methods"]) == {"gradcam", "lime", "mpm"} and controls["n_images"] > 0
    scored = pd.read_csv(proj / "plots/controls/localisation.csv", dtype={"image_id": str})
    for method, entry in controls["methods"].items():
        assert set(entry["architectures"]) == {"resnet_small", "efficientnet_small"}
        for arch, v in entry["architectures"].items():
            d = v["positive_versus"]["cue_blind"]
            assert d["n"] <= controls["n_images"]    # images where both maps are defined (a constant map has no AUROC)
            assert d["permutations"] == ("exact" if d["n"] >= 2 else 0)   # few images: every sign flip; one: no test
            assert v["credited"]["value"] is None and v["credited"]["reason"]   # fewer than inference.min_n, say why
            per_image = scored[(scored.method == method) & (scored.architecture == arch)].pivot(
                index="image_id", columns="control", values="auroc")[["cue_only", "cue_blind"]].dropna()
            assert d["n"] == len(per_image)            # paired over the images where both maps have an AUROC
            assert d["difference"] == pytest.approx((per_image.cue_only - per_image.cue_blind).mean())
            assert set(v["positive_versus"]) == {"right_sign", "cue_blind", "gaussian", "sobel", "random"}
            # one detector per family; a constant map (a 2-epoch detector) has no AUROC and is not counted
            detector = scored[(scored.method == method) & (scored.architecture == arch) &
                              (scored.control == "detector")]["auroc"]
            assert v["detector"]["n"] == detector.notna().sum() > 0 and v["finds_detector_cue"]["value"] is None
            for kind, k in v["by_kind"].items():     # the same scores on each kind of artifact's images
                on = scored[(scored.method == method) & (scored.architecture == arch) & (scored.artifact == kind) &
                            (scored.control == "detector")]["auroc"]
                assert k["detector"]["n"] == on.notna().sum() and k["finds_detector_cue"]["value"] is None
        assert entry["credited"] is None and entry["credited_on"] == []   # undefined everywhere: never false
    counts = controls["n_images_by_kind"]        # balanced over the kinds of artifact
    assert sum(counts.values()) == controls["n_images"] and max(counts.values()) - min(counts.values()) <= 1
    assert set(scored.artifact) == set(counts) and "none" not in counts
    assert {"cue_only_test_r", "cue_blind_test_r", "study_target_test_r", "detector_test_r"} == set(
        controls["architectures"]["resnet_small"])
    for arch, per_control in controls["reliance"].items():     # every control's models checked with the twins
        assert set(per_control) == {"cue_only", "cue_blind", "study_target", "detector"}, arch
        for e in per_control.values():   # the verdict is the reliance rule applied to the numbers stored beside it
            inputs = [e["partial_r_artifact_given_degradation"], e["partial_p"], e["artifact_effect_mean"],
                      e["artifact_effect_p"]]
            rule = None if not np.isfinite(inputs).all() else bool(
                inputs[0] < 0 and inputs[1] < ALPHA and inputs[2] > 0 and inputs[3] < ALPHA)
            assert e["relies_on_artifact"] is rule and e["n_images"] > 0
        for e in per_control.values():          # and per kind of artifact, over the same test images
            assert set(e["artifact_effect_by_kind"]) >= set(counts) and "none" not in e["artifact_effect_by_kind"]
            assert sum(k["n"] for k in e["artifact_effect_by_kind"].values()) == e["n_artifact_images"]
    localisation = pd.read_csv(proj / "plots/groundtruth/localisation.csv")
    assert set(localisation["level"].astype(str)) == {"prototype", "0", "1"}
    assert localisation["auroc"].dropna().between(0, 1).all()
    sanity = json.loads((proj / "metrics/sanity.json").read_text())
    assert sanity["methods"]["sobel (reference)"]["passes"] is False   # it ignores the model
    assert sanity["methods"]["sobel (reference)"]["spearman_after_full_randomisation"] == pytest.approx(1.0, abs=1e-12)
    cascade_steps = pd.read_csv(proj / "plots/sanity/cascade.csv")
    assert {"original", "head", "shuffled ratings"} <= set(cascade_steps["randomised"])
    ensemble = json.loads((proj / "metrics/ensemble.json").read_text())
    assert ensemble["members"] == 4 and set(ensemble["stacking_weights"]) == {"intercept", "resnet_small",
                                                                             "efficientnet_small"}
    assert np.load(proj / "data/ensemble/mpm.npz")["maps"].shape == (1, 1, 64, 64)
    consistency = json.loads((proj / "metrics/consistency.json").read_text())
    train = json.loads((proj / "metrics/train.json").read_text())
    assert consistency["rashomon_set"] == train["rashomon_set"]   # the set the train stage defined
    assert sorted(train["rashomon_set"]["members"] + list(train["rashomon_set"]["excluded"])) == [
        "efficientnet_small", "resnet_small"]
    members = train["rashomon_set"]["members"]
    # (a tiny head can be dead: its constant maps have no r)
    for method in ("gradcam", "lime", "mpm", "counterfactual"):
        entry = consistency["methods"][method]
        values = [entry["within_mean_pearson"], entry["across_mean_pearson"]]
        assert all(v is None or -1 <= v <= 1 for v in values), (method, values)
        if not members:   # the tiny heads predict nothing: no set, so no headline, and the metrics say why
            assert values == [None, None] and entry["within_exceeds_across"] is None
            assert "the Rashomon set is empty" in entry["undefined"]["within_exceeds_across"]
        if method == "gradcam":   # every pair, whatever the set
            assert -1 <= entry["across_pearson_all_pairs"]["value"] <= 1
    assert "gradcam/resnet_small/train/rating" in consistency["relations"]
    heat = pd.read_csv(proj / "plots/consistency/across_pearson_gradcam.csv")
    assert len(heat) == 4 and set(heat.columns) >= {"a", "b", "mean", "sd"}
    # the report: one self-contained page with every section, nothing fetched from the network
    page = (proj / "report/rashomon.html").read_text()
    for title in ("reliability", "Prediction per architecture", "Quality diagnostic", "Consistency of explanations",
                  "Ensembles", "Ground truth", "Controls: can a method", "Counterfactuals", "Sanity checks",
                  "IDSDS benchmark", "SYNTHETIC", "detector AUROC [95% CI]", "credited"):
        assert title in page, title
    assert "<script" not in page and "http://" not in page and "https://" not in page
    assert page.count("data:image/png;base64,") >= 6
    assert any("across_pearson_gradcam" in k for k in plots["data"])   # the heatmap is a DVC plot
    # counterfactuals: two variants + their mean per architecture, and the ensemble; every edit reported
    cf = np.load(proj / "data/explanations/counterfactual/resnet_small.npz")
    assert cf["maps"].shape == (2, 2, 64, 64) and cf["edited"].shape == (2, 3, 2, 3, 64, 64)
    assert cf["reached"].dtype == bool and cf["twin_cosine"].shape == (2, 3)
    counterfactual = json.loads((proj / "metrics/counterfactual.json").read_text())
    assert set(counterfactual["architectures"]) == {"resnet_small", "efficientnet_small", "ensemble"}
    assert set(counterfactual["architectures"]["resnet_small"]["agreement_with"]) == {"gradcam", "lime", "mpm"}
    edits = pd.read_csv(proj / "plots/counterfactual/edits.csv")
    assert len(edits) == 2 * (2 * 3 + 1) * 2 and counterfactual["overall"]["n_failed"] == (~edits.reached).sum()
    generator = json.loads((proj / "metrics/generator.json").read_text())
    assert generator["n_test"] > 0 and generator["held_out"]["psnr_db_mean"] > 0

    # MPM over two processes that Lightning launches itself (strategy ddp; gloo on CPU), as the
    # README's multi-GPU recipe runs it: only rank 0 writes, and the maps are the single process's
    params = yaml.safe_load((proj / "params.yaml").read_text())
    params["explain"]["scoring"] = {"accelerator": "cpu", "devices": 2, "num_nodes": 1, "strategy": "ddp"}
    (proj / "params_ddp.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    proc = subprocess.run([*stage_command(proj, "explain"), "--method", "mpm", "--params", "params_ddp.yaml",
                           "--out", "ddp", "--metrics", "ddp"], cwd=proj,
                          env={**env(), "PYTHONPATH": str(proj / "src")}, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "mpm resnet_small: 1 images (perturbation batches per process: [2, 2])" in proc.stderr
    for name in ("resnet_small", "efficientnet_small"):
        spread, single = np.load(proj / f"ddp/mpm/{name}.npz"), np.load(proj / f"data/explanations/mpm/{name}.npz")
        assert list(spread["image_ids"]) == list(single["image_ids"])
        np.testing.assert_allclose(spread["maps"].astype(np.float32), single["maps"].astype(np.float32), rtol=2e-3,
                                   atol=1e-3 * float(np.abs(single["maps"]).max()))
    assert json.loads((proj / "ddp/explain_mpm.json").read_text())["n_images"] == 1
    assert not list(proj.rglob(".*.tmp")), "temp debris left behind"
    shutil.rmtree(proj / "ddp")
    (proj / "params_ddp.yaml").unlink()

    out = run(["dvc", "exp", "run", "-S", "train.seeds=3", "train"], proj)
    assert stages_run(out) == ["train"]   # the feature cache and the pretrained backbones are reused
    archs = pd.read_csv(proj / "plots/train/architectures.csv").set_index("architecture")
    assert archs.loc["resnet_small", "n_variants"] == 3
    preds = pd.read_csv(proj / "data/predictions.csv")
    assert preds.groupby("architecture")["variant"].nunique().tolist() == [3, 3]
