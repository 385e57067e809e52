"""Probe: do captum's pixel-level attribution methods localise the end-to-end cue detector
better than the pipeline's Grad-CAM, LIME and MPM (metrics/controls.json: finds_detector_cue)?
Fits each family's detector exactly as the controls stage does (same
seed, same data: the same test r), explains it on the controls' artifact images (controls.n_images,
balanced over kinds) with Saliency, SmoothGrad, InputXGradient, IntegratedGradients (blurred baseline) and Occlusion
(8 px window, stride 4, blurred baseline), and scores each map against the artifact masks
beside the centred Gaussian (AUROC, 95% bootstrap interval, paired difference), per kind of
artifact too; per kind, whether the detector uses that kind at all (its prediction on the
no-artifact twin minus on the image, with its interval); and whether each kind can be learnt
at all: a detector fitted to one kind's visibility alone (zero on every other image), its test
r overall and within the kind. A finding, not
a DVC metric: writes benchmarks/results/probe_detector_methods.json. Run after `dvc repro`:

    python benchmarks/probe_detector_methods.py --architectures resnet_small densenet_small
"""

from __future__ import annotations

import rashomon.core.pin_kernels  # noqa: F401  first: pins CPU kernels before numpy/torch load

import argparse
import time
from pathlib import Path

import captum.attr as ca
import numpy as np
import pandas as pd
import torch
import torchvision.transforms.functional as TF

from rashomon.attribution.runner import explanation_ids
from rashomon.backbones import get_spec
from rashomon.backbones.geometry import grid_of
from rashomon.backbones.preprocess import load_images
from rashomon.params import load_all_params
from rashomon.core.device import CPU
from rashomon.core.io import write_json
from rashomon.data.manifest import read_manifest
from rashomon.data.truth import read_truth
from rashomon.groundtruth.controls import (CUE_ONLY, KIND, ControlsInputs, control_detector, control_targets,
                                          controls_images)
from rashomon.groundtruth.cues import CueMaps
from rashomon.groundtruth.localisation import auroc
from rashomon.groundtruth.references import gaussian_map
from rashomon.inference import bootstrap_mean, paired_difference, verdict
from rashomon.psychometrics.correlation import pearson
from rashomon.variants.reliance import load_twins, predict_images


def pixel_maps(f, images: torch.Tensor) -> dict[str, tuple[np.ndarray, bool]]:
    """Each method's map (N, H, W; channels summed) in the pipeline's sign convention (positive =
    raises the prediction), and whether its sign carries meaning (False: a magnitude)."""
    blur = TF.gaussian_blur(images, 9, 3.0)
    x = images.clone().requires_grad_(True)
    smooth = ca.NoiseTunnel(ca.Saliency(f))
    occlusion = ca.Occlusion(f)
    return {
        "saliency": (ca.Saliency(f).attribute(x, abs=True).sum(1), False),
        "smoothgrad": (smooth.attribute(images, nt_type="smoothgrad", nt_samples=16, stdevs=0.15, abs=True,
                                        nt_samples_batch_size=16).sum(1), False),
        "input_x_gradient": (ca.InputXGradient(f).attribute(x).sum(1), True),
        "integrated_gradients": (ca.IntegratedGradients(f).attribute(images, baselines=blur, n_steps=32,
                                                                      internal_batch_size=64).sum(1), True),
        "occlusion": (occlusion.attribute(images, sliding_window_shapes=(3, 8, 8), strides=(3, 4, 4),
                                          baselines=blur).sum(1), True),
    }


def score_rows(maps: np.ndarray, signed: bool, masks: np.ndarray) -> dict[str, np.ndarray]:
    """Per image AUROC of the cue score (-map where the sign means something) and of |map|."""
    out = {"auroc_abs": np.array([auroc(np.abs(m), k) for m, k in zip(maps, masks)])}
    if signed:
        out["auroc"] = np.array([auroc(-m, k) for m, k in zip(maps, masks)])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--architectures", nargs="+", default=None, help="default: the first of each family")
    ap.add_argument("--out", default="benchmarks/results/probe_detector_methods.json")
    args = ap.parse_args()
    params = load_all_params()
    manifest = read_manifest("data/manifest_kept.csv", rating_range=params.data.rating_range).set_index("image_id")
    truth = read_truth("data/truth.csv")
    splits = pd.read_csv("data/splits.csv", dtype={"image_id": str})
    paths = ControlsInputs(Path("data/features"), Path("models/pretrained"), Path("data/cue_maps"),
                           Path(params.data.root))
    test = explanation_ids(splits, params.train.scheme, None)
    ids = controls_images(truth, test, params.controls.n_images)   # the controls stage's images
    kinds = truth.loc[ids, KIND].to_numpy()
    first_of_family = {get_spec(n).family: n for n in reversed(params.backbones.names)}   # the stage's detectors
    names = args.architectures or [n for n in params.backbones.names if n in first_of_family.values()]
    cfg, result = params.inference, {"n_images": len(ids), "kinds": pd.Series(kinds).value_counts().to_dict(),
                                     "architectures": {}}
    target = control_targets(truth, manifest, params.data.target)[CUE_ONLY]
    cues = CueMaps(paths.cue_maps)
    for name in names:
        spec = get_spec(name)
        masks = cues.masks(ids, grid_of(spec))
        images = load_images(manifest.loc[ids, "path"].tolist(), spec)
        test_images = load_images(manifest.loc[test, "path"].tolist(), spec)   # every detector's test set
        start = time.perf_counter()
        detector = control_detector(name, params, manifest, splits, target, test_images, paths, CPU)
        variants = detector.variants

        def f(x: torch.Tensor) -> torch.Tensor:
            return variants.variant_from_stem(variants.backbone.stem(x), 0).reshape(-1)

        gauss = np.array([auroc(gaussian_map(spec.input_size, params.groundtruth.gaussian_sigma), k) for k in masks])
        entry = {"detector_test_r": detector.test_r, "gaussian": bootstrap_mean(gauss, cfg.seed, cfg.n_resamples)
                 .as_dict(), "twin_effect_by_kind": {}, "methods": {}}
        effect = (predict_images(variants, load_twins(paths.dataset, ids, spec)["no_artifact"])
                  - predict_images(variants, images))[:, 0]    # > 0: removing the artifact raises the prediction
        for kind in sorted(set(kinds)):
            est = bootstrap_mean(effect[kinds == kind], cfg.seed, cfg.n_resamples)
            entry["twin_effect_by_kind"][kind] = {**est.as_dict(), "uses_it": verdict(est.ci_low, est.n, cfg.min_n)}
        print(name, "twin effect by kind", {k: round(v["value"], 4) for k, v in entry["twin_effect_by_kind"].items()})
        for method, (maps, signed) in pixel_maps(f, images).items():
            for score, values in score_rows(maps.detach().numpy(), signed, masks).items():
                diff = paired_difference(values, gauss, cfg.seed, cfg.n_resamples)
                entry["methods"][f"{method}/{score}"] = {
                    **bootstrap_mean(values, cfg.seed, cfg.n_resamples).as_dict(), "minus_gaussian": diff.as_dict(),
                    "by_kind": {k: float(np.nanmean(values[kinds == k])) for k in sorted(set(kinds))}}
                print(f"{name} {method}/{score}: {np.nanmean(values):.3f} (gaussian {gauss.mean():.3f})", flush=True)
        entry["single_kind_detectors"] = {}
        for kind in sorted(set(kinds)):     # can this kind be learnt at all, without the others in the target?
            only = target * (truth[KIND] == kind)
            alone = control_detector(name, params, manifest, splits, only, test_images, paths, CPU)
            on = (truth.loc[test, KIND] == kind).to_numpy()
            pred = predict_images(alone.variants, test_images)[:, 0]
            entry["single_kind_detectors"][kind] = {"test_r": alone.test_r, "test_r_within_kind": pearson(
                pred[on], only.loc[test].to_numpy()[on]), "n_test_within_kind": int(on.sum())}
            print(name, kind, "alone:", {k: round(v, 3) for k, v in entry["single_kind_detectors"][kind].items()},
                  flush=True)
        entry["seconds"] = time.perf_counter() - start
        result["architectures"][name] = entry
    write_json(args.out, result)


if __name__ == "__main__":
    main()
