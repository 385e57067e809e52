"""Measured cost of the study's configuration, in two parts (random weights; nothing is
downloaded); writes benchmarks/results/bench_study.json (not a DVC metric).

`pipeline`: the study preset with the six study architectures (DenseNet161 at 320/300 px) on
a 24-image folder in the AIGCIQA2023 layout, every count cut to the minimum (the study
test's TINY_COUNTS), each stage run on its own (`dvc repro --single-item`, in the DAG's
order) with its wall seconds and peak resident memory. It shows the whole study pipeline
running through to the report; at these counts start-up dominates most stages.

`units`: the per-image costs that grow with the study's counts, each measured in one
process with enough work to swamp start-up: the backbone pass (features), one SBS removal
step over the explanation set, Grad-CAM, LIME and MPM for 10 variants, per architecture.
`extrapolation` multiplies them by the study's counts (1,368 images, 10 variants per
architecture, MPM stride 1 at 3 mask sizes, LIME 1,000 samples on every test image).

    python benchmarks/bench_study.py                 # both parts (about an hour on 2 cores)
    python benchmarks/bench_study.py --part units --archs vgg16 resnet152
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))     # the fixture builders live with the tests

STUDY_ARCHITECTURES = ["vgg16", "vgg19", "resnet152", "densenet161", "efficientnet_b3", "barlowtwins_resnet50"]
STUDY = {"images": 1368, "test_images": 274, "variants": 10, "lime_samples": 1000, "sbs_images": 274}
STUDY_MASK_SIDES = (3, 17, 65)   # MPM's square masks at 224 px, every pixel a centre


def peak_rss_mb_of(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, str]:
    """Run `cmd` in a fresh wrapper process; wall seconds, peak RSS (MB) of its largest child, output."""
    wrapper = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
               "p = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
               "sys.stdout.write(p.stdout + p.stderr); "
               "print('@@', time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "
               "p.returncode)")
    out = subprocess.run([sys.executable, "-c", wrapper, *cmd], cwd=cwd, env=env, capture_output=True, text=True)
    seconds, rss_kb, rc = out.stdout.rsplit("@@", 1)[1].split()
    if int(rc) != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stdout[-4000:]}\n{out.stderr[-4000:]}")
    return float(seconds), int(rss_kb) / 1024, out.stdout


def stage_order(proj: Path) -> list[str]:
    """The pipeline's stages, every stage after the stages it depends on (DVC's own graph)."""
    import networkx as nx
    from dvc.repo import Repo
    from dvc.stage import PipelineStage

    with Repo(str(proj)) as repo:
        graph = repo.index.graph      # edges point from a stage to the stages it depends on
        return [s.name for s in reversed(list(nx.topological_sort(graph))) if isinstance(s, PipelineStage)]


def pipeline_part(archs: list[str], work: Path) -> dict:
    """Every stage of the study preset on the 24-image fixture, one at a time."""
    import torch
    from PIL import Image, ImageFilter

    from rashomon.backbones import create_backbone
    from rashomon.preset import merged, read_yaml
    from tests.conftest import make_aigciqa_folder
    from tests.pipeline.dvc_project import env as test_env, make_copy
    from tests.pipeline.test_pipeline_study import TINY_COUNTS

    counts = merged(TINY_COUNTS, {"backbones": {"names": archs, "weights": {n: f"weights/{n}.pth" for n in archs}}})
    counts["backbones"]["weights"] = {n: f"weights/{n}.pth" for n in archs}
    proj = make_copy(work / "proj", merged(read_yaml(REPO / "params.study.yaml"), counts))
    dataset = make_aigciqa_folder(proj / "data/AIGCIQA2023", n_prompts=3, n_models=2, reps=4, size=320)
    for png in (dataset / "Image/allimg").glob("*.png"):
        Image.open(png).filter(ImageFilter.GaussianBlur(8)).save(png)
    (proj / "weights").mkdir()
    for name in archs:
        torch.save(create_backbone(name).model.state_dict(), proj / f"weights/{name}.pth")
    env = {**test_env(), "PYTHONPATH": str(proj / "src")}   # the copy's code, whatever happens to this checkout
    stages, total = {}, 0.0
    for name in stage_order(proj):
        seconds, rss, _ = peak_rss_mb_of(["dvc", "repro", "--single-item", name], proj, env)
        stages[name] = {"seconds": round(seconds, 1), "peak_rss_mb": round(rss)}
        total += seconds
        print(f"{name:28s} {seconds:8.1f} s {rss:8.0f} MB", flush=True)
    page = proj / "report/rashomon.html"
    return {"architectures": archs, "images": 24, "image_px": 320,
            "counts": "tests/pipeline/test_pipeline_study.py TINY_COUNTS",
            "stages": stages, "total_seconds": round(total, 1),
            "report_written": page.exists() and "Consistency of explanations" in page.read_text()}


def units_part(archs: list[str], n_images: int, device: str = "cpu") -> dict:
    """Per-image costs of the work that scales with the study's counts, per architecture."""
    import numpy as np
    import torch

    from rashomon.attribution import attribute
    from rashomon.attribution.methods.lime import superpixels
    from rashomon.backbones import create_backbone
    from rashomon.backbones.preprocess import denormalise
    from rashomon.heads.fitted import FittedHead
    from rashomon.heads.head import make_head
    from rashomon.variants.pruning import sbs_prune
    from rashomon.variants.variant_set import VariantSet

    def timed(fn):
        start = time.perf_counter()
        out = fn()
        return out, time.perf_counter() - start

    dev = torch.device(device)
    # MPM and LIME score perturbations through the pipeline's Lightning predict loop on a GPU
    scoring = {} if dev.type == "cpu" else {"scoring": {"accelerator": "gpu", "devices": 1}}
    out = {}
    for name in archs:
        torch.manual_seed(0)
        backbone = create_backbone(name).eval().to(dev)
        side = backbone.spec.input_size
        # smooth random images (SLIC finds regions in them; pixel noise is one superpixel)
        x = torch.nn.functional.interpolate(torch.randn(n_images, 3, side // 16, side // 16), size=(side, side),
                                            mode="bilinear", align_corners=False).to(dev)
        with torch.no_grad():
            stem, t_stem = timed(lambda: backbone.stem(x))
            feats = backbone.tail(*stem) if isinstance(stem, (list, tuple)) else backbone.tail(stem)
        outs = list(stem) if isinstance(stem, (list, tuple)) else [stem]
        dim = feats.shape[1]
        heads = [FittedHead(make_head(dim, backbone.spec.head, 0.5).eval().to(dev), backbone.spec.head, 0.5, 50.0,
                            10.0, 0, 0.0) for _ in range(STUDY["variants"])]
        variants = VariantSet(backbone, heads)
        y = np.random.default_rng(0).uniform(20, 80, n_images)
        steps = 3
        (_, history), t_sbs = timed(lambda: sbs_prune(backbone, heads[0], outs, y, max_iterations=steps, tol=-1e9,
                                                      device=dev))
        _, t_cam = timed(lambda: attribute("gradcam", None, variants, stem_outputs=outs, size=(side, side), device=dev))
        one = x[:1].cpu()
        centres = 8   # 8 x 8 centres per mask side, each side timed on its own (small masks cost less)
        t_mpm = {}
        for mask_side in STUDY_MASK_SIDES:
            _, t_mpm[mask_side] = timed(lambda: attribute(
                "mpm", one, variants, mask_sizes=(mask_side,), stride=side // centres, scale_to_input=True,
                incremental=True, progress=False, **scoring))
        n_masks = (len(range(0, side, side // centres))) ** 2
        rgb = denormalise(one)[0]
        segs = [superpixels(rgb, 150)]
        samples = 64
        _, t_lime = timed(lambda: attribute("lime", one, variants, segments=segs, n_samples=samples, progress=False,
                                            **scoring))
        removals = len(history) - 1
        out[name] = {
            "input_px": side, "target_channels": int(outs[0].shape[1]), "feature_dim": int(dim),
            "features_s_per_image": t_stem / n_images,
            "sbs_s_per_removal_per_image": t_sbs / max(1, removals) / n_images, "sbs_removals_timed": removals,
            "gradcam_10_variants_s_per_image": t_cam / n_images,
            "mpm_10_variants_s_per_mask": {str(k): t / n_masks for k, t in t_mpm.items()},
            "mpm_masks_timed_per_side": n_masks, "mpm_incremental": True,
            "lime_10_variants_s_per_sample": t_lime / samples, "lime_samples_timed": samples,
            "peak_rss_mb_so_far": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
        print(name, json.dumps(out[name]), flush=True)
    return out


def extrapolate(units: dict) -> dict:
    """Hours for the study's counts from the measured unit costs (every architecture summed)."""
    s = STUDY
    per = {}
    for name, u in units.items():
        pixels = u["input_px"] ** 2
        per[name] = {
            "features_h": u["features_s_per_image"] * s["images"] / 3600,
            "sbs_h_per_variant_per_100_removals": u["sbs_s_per_removal_per_image"] * s["sbs_images"] * 100 / 3600,
            "gradcam_h": u["gradcam_10_variants_s_per_image"] * s["test_images"] / 3600,
            "mpm_stride1_h": sum(u["mpm_10_variants_s_per_mask"].values()) * pixels * s["test_images"] / 3600,
            "mpm_stride1_h_per_image": sum(u["mpm_10_variants_s_per_mask"].values()) * pixels / 3600,
            "lime_h": u["lime_10_variants_s_per_sample"] * s["lime_samples"] * s["test_images"] / 3600,
        }
    total = {k: sum(p[k] for p in per.values()) for k in next(iter(per.values()))}
    return {"study_counts": s, "per_architecture": per, "all_architectures": total}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--part", choices=["pipeline", "units", "both"], default="both")
    ap.add_argument("--archs", nargs="+", default=STUDY_ARCHITECTURES)
    ap.add_argument("--unit-images", type=int, default=16, help="images for the features/SBS/Grad-CAM units")
    ap.add_argument("--device", default="cpu", help="where the units run: cpu, or cuda (MPM/LIME then use the "
                                                    "Lightning predict loop on one GPU)")
    ap.add_argument("--work", help="keep the pipeline project in this folder (default: a temporary one)")
    ap.add_argument("--out", default=str(REPO / "benchmarks/results/bench_study.json"))
    args = ap.parse_args()
    import torch

    path = Path(args.out)
    result = json.loads(path.read_text()) if path.exists() else {}
    result.update({"machine": f"{platform.machine()}, {torch.get_num_threads()} torch threads, "
                              f"{'CPU' if args.device == 'cpu' else torch.cuda.get_device_name(0)}",
                   "torch": torch.__version__})
    if args.part in ("pipeline", "both"):
        if args.work:
            result["pipeline"] = pipeline_part(args.archs, Path(args.work))
        else:
            with tempfile.TemporaryDirectory() as tmp:
                result["pipeline"] = pipeline_part(args.archs, Path(tmp))
    if args.part in ("units", "both"):
        result["units"] = units_part(args.archs, args.unit_images, args.device)
        result["extrapolation"] = extrapolate(result["units"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result.get("extrapolation", {}), indent=1))


if __name__ == "__main__":
    main()
