"""Benchmark the explanation design against the naive paths and against captum.

All in one run, on the default pipeline's trained (and pruned) variants; writes
benchmarks/results/bench_explain.json. Run after `dvc repro prune`:

    python benchmarks/bench_explain.py --arch resnet_small
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from rashomon.attribution import attribute
from rashomon.attribution.methods.gradcam import gradcam_full_model
from rashomon.attribution.methods.lime import superpixels
from rashomon.attribution.methods.mpm import mpm_per_variant
from rashomon.backbones.preprocess import denormalise, load_images
from rashomon.backbones import create_backbone
from rashomon.attribution.runner import explanation_ids
from rashomon.heads.features import FeatureCache
from rashomon.core.io import write_json
from rashomon.params import load_all_params
from rashomon.psychometrics.correlation import pearson
from rashomon.variants.variant_set import load_variants


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def corr(a: np.ndarray, b: np.ndarray) -> float:
    return pearson(np.ravel(a), np.ravel(b))


def study_scale_gradcam(k: int, n_images: int = 8) -> dict:
    """Grad-CAM cached vs full per variant for ResNet152 at 224 px (random weights and
    heads: the cost, not the maps, is measured), where the stem dominates."""
    from rashomon.heads.fitted import FittedHead
    from rashomon.heads.head import make_head
    from rashomon.variants.variant_set import VariantSet

    torch.manual_seed(0)
    big = create_backbone("resnet152")
    heads = [FittedHead(make_head(2048, "study", 0.5).eval(), "study", 0.5, 0.0, 1.0, 0, 0.0) for _ in range(k)]
    vs = VariantSet(big, heads, torch.ones(k, 2048))
    x = torch.randn(n_images, 3, 224, 224)
    with torch.no_grad():
        outs, t_stem = timed(lambda: big.stem(x))
    _, t_cached = timed(lambda: attribute("gradcam", None, vs, stem_outputs=outs, size=(224, 224)))
    _, t_full = timed(lambda: [gradcam_full_model(vs, x, j) for j in range(k)])
    return {"architecture": "resnet152 (random weights)", "n_images": n_images, "variants": k,
            "stem_once_s": t_stem, "cached_s": t_cached, "full_per_variant_s": t_full,
            "speedup_vs_full_per_variant": t_full / t_cached,
            "speedup_including_one_stem_pass": t_full / (t_cached + t_stem)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--arch", default="resnet_small")
    ap.add_argument("--gradcam-images", type=int, default=64)
    ap.add_argument("--lime-images", type=int, default=2)
    ap.add_argument("--out", default="benchmarks/results/bench_explain.json")
    ap.add_argument("--study-scale", action=argparse.BooleanOptionalAction, default=True,
                    help="also time Grad-CAM on ResNet152 at 224 px")
    args = ap.parse_args()
    from captum.attr import LayerAttribution, LayerGradCam, Lime, Occlusion
    from captum.attr._core.lime import get_exp_kernel_similarity_function
    from captum._utils.models.linear_model import SkLearnRidge

    params = load_all_params()
    backbone = create_backbone(args.arch, f"models/pretrained/{args.arch}.pt")
    masks = np.load(f"data/pruning/{args.arch}.npz")["masks"]
    variants = load_variants(backbone, Path("models/heads"), None, masks)
    k = len(variants)
    manifest = pd.read_csv("data/manifest_kept.csv", dtype={"image_id": str}).set_index("image_id")
    splits = pd.read_csv("data/splits.csv", dtype={"image_id": str})
    ids = explanation_ids(splits, params.train.scheme, args.gradcam_images)
    images = load_images(manifest.loc[ids, "path"].tolist(), backbone.spec)
    size = tuple(images.shape[-2:])
    cache = FeatureCache(f"data/features/{args.arch}")
    result: dict = {"architecture": args.arch, "variants": k, "pruned": bool((masks == 0).any()),
                    "image_size": size[0], "torch_threads": torch.get_num_threads(),
                    "machine": platform.machine()}

    # Grad-CAM: cached activations through the tail for all variants vs full pass per variant
    outs = cache.stem_outputs(ids)
    ours, t_cached = timed(lambda: attribute("gradcam", None, variants, stem_outputs=outs, size=size).maps)
    full, t_full = timed(lambda: np.stack([gradcam_full_model(variants, images, j).numpy() for j in range(k)], 1))
    layer = backbone.model.get_submodule(backbone.spec.target_layer)
    unpruned = load_variants(backbone, Path("models/heads"))
    ours_unpruned = attribute("gradcam", None, unpruned, stem_outputs=outs, size=size).maps

    def captum_gradcam():
        maps = []
        for j in range(k):
            a = LayerGradCam(lambda x, j=j: unpruned(x)[:, j], layer).attribute(images)
            maps.append(LayerAttribution.interpolate(a, size, interpolate_mode="bilinear")[:, 0].detach().numpy())
        return np.stack(maps, 1)

    cap, t_cap = timed(captum_gradcam)
    result["gradcam"] = {
        "n_images": len(ids), "cached_s": t_cached, "full_per_variant_s": t_full,
        "speedup_vs_full_per_variant": t_full / t_cached,
        "max_abs_diff_vs_full": float(np.abs(ours - full).max()),
        "captum_layergradcam_s": t_cap, "speedup_vs_captum": t_cap / t_cached,
        "corr_with_captum_unpruned": corr(ours_unpruned, cap)}

    if args.study_scale:
        result["gradcam_study_scale"] = study_scale_gradcam(k)

    # MPM: one stem pass per masked image for all variants vs per-variant MPM
    mpm_opts = params.explain.options("mpm")[1]
    one = images[:1]
    shared, t_shared = timed(lambda: attribute("mpm", one, variants, progress=False, **mpm_opts).maps)
    naive, t_naive = timed(lambda: mpm_per_variant(one, variants, **mpm_opts).maps)
    side = 5
    single, t_single = timed(lambda: attribute("mpm", one, unpruned, mask_sizes=(side,), stride=1,
                                               scale_to_input=False, progress=False).maps)

    def captum_occlusion():
        return np.stack([Occlusion(lambda x, j=j: unpruned(x)[:, j]).attribute(
            one, sliding_window_shapes=(3, side, side), strides=(3, 1, 1), baselines=0.0,
            perturbations_per_eval=256)[:, :].sum(1).detach().numpy() for j in range(k)], 1)

    occ, t_occ = timed(captum_occlusion)
    result["mpm"] = {
        "options": mpm_opts, "shared_stem_s": t_shared, "per_variant_s": t_naive,
        "speedup_shared_vs_per_variant": t_naive / t_shared,
        "max_abs_diff_shared_vs_per_variant": float(np.abs(shared - naive).max()),
        "images_per_second_default_options": 1 / t_shared,
        f"single_scale_{side}px_stride1_s": t_single, "captum_occlusion_s": t_occ,
        "speedup_vs_captum_occlusion": t_occ / t_single,
        "corr_with_captum_occlusion": corr(single, occ),
        "note": "captum's Occlusion spreads each window's effect over the pixels it covers; MPM "
                "assigns it to the centre pixel, so agreement is high but not 1"}

    # LIME: shared stem for all variants vs captum's Lime (one surrogate per output)
    lime_opts = params.explain.options("lime")[1]
    few = images[: args.lime_images]
    segs = [superpixels(rgb, lime_opts.get("n_segments", 150)) for rgb in denormalise(few)]
    ours_l, t_lime = timed(lambda: attribute("lime", few, variants, segments=segs, progress=False, **lime_opts))

    def captum_lime():
        lime = Lime(lambda x: 0, SkLearnRidge(alpha=lime_opts.get("alpha", 1.0)),
                    similarity_func=get_exp_kernel_similarity_function("cosine", lime_opts.get("kernel_width", 0.25)))
        maps = np.zeros((len(few), k, *size), dtype=np.float32)
        for i in range(len(few)):
            fm = torch.from_numpy(segs[i]).view(1, 1, *size).expand(1, 3, *size)
            base = few[i:i + 1].mean(dim=(2, 3), keepdim=True).expand_as(few[i:i + 1])
            for j in range(k):
                lime.forward_func = lambda x, j=j: variants(x)[:, j]
                a = lime.attribute(few[i:i + 1], baselines=base, feature_mask=fm,
                                   n_samples=lime_opts.get("n_samples", 300), perturbations_per_eval=256)
                maps[i, j] = a[0, 0].detach().numpy()
        return maps

    cap_l, t_cap_l = timed(captum_lime)
    result["lime"] = {
        "options": lime_opts, "n_images": len(few), "ours_s": t_lime, "images_per_second": len(few) / t_lime,
        "mean_fidelity_r2": float(np.nanmean(ours_l.info["fidelity"])),
        "captum_lime_s": t_cap_l, "speedup_vs_captum": t_cap_l / t_lime,
        "corr_with_captum": corr(ours_l.maps, cap_l),
        "note": "independent random perturbations in each implementation: agreement is limited by sampling"}
    write_json(args.out, result)
    print(result)


if __name__ == "__main__":
    main()
