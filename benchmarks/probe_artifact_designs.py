"""Probe: which artifact designs can a detector learn from a single image? The simulator's
first colour shift and repeated patch were nearly invisible to the default's networks
(single-kind detector test r 0.13-0.46), which is why it now draws a repeated tile with
seams and blotchy colour noise instead; this probe is how they were chosen. In memory, without touching the
pipeline: every artifact image's no-artifact twin gets a candidate artifact of one design at the
image's recorded strength (other images stay clean), the target is -visibility (mean |image -
twin|), and resnet_small's detector is fitted exactly as the controls fit it (split variant 0,
10 epochs). Writes benchmarks/results/probe_artifact_designs.json. Run after `dvc repro`:

    python benchmarks/probe_artifact_designs.py
"""

from __future__ import annotations

import rashomon.core.pin_kernels  # noqa: F401  first: pins CPU kernels before numpy/torch load

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from PIL import Image

from rashomon.attribution.runner import explanation_ids
from rashomon.backbones import create_backbone
from rashomon.backbones.preprocess import normalise
from rashomon.backbones.weights import weights_for
from rashomon.params import load_all_params
from rashomon.core.device import CPU
from rashomon.core.io import write_json
from rashomon.data.splits import subset_ids
from rashomon.data.synthetic import ARTIFACTS, add_artifact, tiled
from rashomon.data.twins import twin_path
from rashomon.groundtruth.detector import fit_detector

DESIGNS = ("checkerboard", "repeated_tile", "colour_noise", "colour_shift", "repeated_patch", "colour_cast_edge",
           "posterize", "repeated_tile8_seam", "repeated_tile4_seam", "repeated_tile8_contrast",
           "repeated_tile8_darkseam", "repeated_tile6_contrast")

# the tiling candidates: tile side (px), contrast gain, seam factor (None: no seam)
TILINGS: dict[str, tuple[int, float, float | None]] = {
    "repeated_patch": (4, 1.0, None), "repeated_tile8_seam": (8, 1.0, 0.5), "repeated_tile4_seam": (4, 1.0, 0.5),
    "repeated_tile8_contrast": (8, 3.0, 0.5), "repeated_tile8_darkseam": (8, 1.0, 0.25),
    "repeated_tile6_contrast": (6, 3.0, 0.5)}


def candidate(kind: str, rng: np.random.Generator, img: np.ndarray, strength: float) -> np.ndarray:
    """`img` with one artifact of design `kind`: the simulator's own (data.synthetic.add_artifact)
    or a candidate, placed and blended the same way. colour_shift and repeated_patch are the
    simulator's designs before they were replaced (channels permuted and scaled by 1.15; the
    region's 4 px corner tiled)."""
    if kind in ARTIFACTS:
        return add_artifact(rng, img, strength, kind)[0]
    size = img.shape[0]
    side = int(rng.integers(size // 4, size // 2 + 1))
    x0, y0 = rng.integers(0, size - side + 1, 2)
    region = img[y0:y0 + side, x0:x0 + side]
    if kind == "colour_shift":
        altered = region[..., [2, 0, 1]] * 1.15
    elif kind == "colour_cast_edge":       # the old colour shift inside a one-pixel rim of inverted colour
        rim = np.zeros((side, side, 1))
        rim[[0, -1]], rim[:, [0, -1]] = 1, 1
        altered = region[..., [2, 0, 1]] * 1.15 * (1 - rim) + rim * (1 - region)
    elif kind == "posterize":            # colour banding: the region quantised to 3 levels per channel
        altered = np.round(region * 2) / 2
    elif kind in TILINGS:
        altered = tiled(region, side, *TILINGS[kind])
    else:
        raise ValueError(f"unknown design {kind}")
    out = img.copy()
    out[y0:y0 + side, x0:x0 + side] = (1 - strength) * region + strength * np.clip(altered, 0, 1)
    return np.clip(out, 0, 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--architecture", default="resnet_small")
    ap.add_argument("--designs", nargs="+", default=list(DESIGNS))
    ap.add_argument("--out", default="benchmarks/results/probe_artifact_designs.json")
    args = ap.parse_args()
    params = load_all_params()
    truth = pd.read_csv("data/truth.csv", dtype={"image_id": str}).set_index("image_id")
    splits = pd.read_csv("data/splits.csv", dtype={"image_id": str})
    root = Path(params.data.root)
    twins = {i: np.asarray(Image.open(twin_path(root, "no_artifact", i)).convert("RGB"), np.float32) / 255
             for i in truth.index}
    parts = {s: subset_ids(splits, params.train.scheme, 0, s) for s in ("train", "val")}
    parts["test"] = explanation_ids(splits, params.train.scheme, None)
    result = {"architecture": args.architecture, "epochs": params.controls.detector_epochs, "designs": {}}
    for kind in args.designs:
        rng, images, visibility = np.random.default_rng(0), {}, {}
        for i in truth.index:
            strength, base = float(truth.loc[i, "artifact_strength"]), twins[i]
            img = candidate(kind, rng, base, strength) if strength > 0 else base
            images[i], visibility[i] = torch.from_numpy(img).permute(2, 0, 1), float(np.abs(img - base).mean())
        y = -pd.Series(visibility)
        backbone = create_backbone(args.architecture, weights_for(args.architecture, params.backbones,
                                                                  Path("models/pretrained")))
        detector = fit_detector(backbone,
                                {s: normalise(torch.stack([images[i] for i in ids])) for s, ids in parts.items()},
                                {s: y.loc[ids].to_numpy() for s, ids in parts.items()}, params.train,
                                params.controls.detector_epochs, params.controls.detector_lr, CPU)
        result["designs"][kind] = {"detector_test_r": detector.test_r, "mean_visibility": float(
            np.mean([v for v in visibility.values() if v > 0]))}
        print(kind, result["designs"][kind], flush=True)
    write_json(args.out, result)


if __name__ == "__main__":
    main()
