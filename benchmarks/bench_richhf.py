"""Per-image cost of RichHF-18K at the release's sizes (512 px images and heatmaps, maps on a
224 px grid), and what the full release costs on this machine; writes
benchmarks/results/bench_richhf.json (not a DVC metric).

Measured here, in one process each, on records written in the real format
(tests/data/richhf_fixture.py): ingest (TFRecord framing and both CRC32Cs, heatmap decoding,
the image lookup and hash, the cue-map store's PNG and hash) per record, and the human
ground truth per image (cue map on the grid, every saliency score of one map, the four
reference maps and their scores). The model-side stages (backbone pass, Grad-CAM, MPM, LIME
for 10 variants) cost what they cost on any 224 px image: their per-image figures are read
from benchmarks/results/bench_study.json (`python benchmarks/bench_study.py --part units`).
No GPU figure: none was lent to this project's sessions.

    python benchmarks/bench_richhf.py                # 96 records, about a minute
    python benchmarks/bench_richhf.py --records 240
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO))     # the fixture writer lives with the tests
from rashomon.backbones.geometry import Grid  # noqa: E402
from rashomon.params import load_all_params  # noqa: E402
from rashomon.core.io import write_json  # noqa: E402
from rashomon.data.cue_maps import CueMapWriter  # noqa: E402
from rashomon.data.sources import ingest  # noqa: E402
from rashomon.groundtruth.cues import CueMaps  # noqa: E402
from rashomon.groundtruth.human import HeatmapScoring, reference_cue_maps, score_table  # noqa: E402
from tests.data.richhf_fixture import make_richhf_folder  # noqa: E402

RELEASE = {"records": 17760, "test_records": 955}   # train 15,810 + dev 995 + test 955
STUDY_ARCHITECTURES = ["vgg16", "vgg19", "resnet152", "efficientnet_b3", "barlowtwins_resnet50"]   # 224 px
METHODS_PER_IMAGE = 4   # Grad-CAM, LIME, MPM, counterfactual maps scored per architecture


def ingest_seconds(root: Path, records: int) -> tuple[float, Path]:
    """Wall seconds to load, validate and store `records` records with 512 px images."""
    per_split = {"train": records - 2 * (records // 4), "dev": records // 4, "test": records // 4}
    make_richhf_folder(root / "richhf", size=512, split_sizes=per_split)
    cfg = dataclasses.replace(load_all_params(REPO / "params.yaml").data, source="richhf18k", root=str(root / "richhf"),
                              rating_range=[0.0, 1.0], ratings_long=None)
    writer = CueMapWriter(root / "cue_maps")
    start = time.perf_counter()
    ingest(cfg, writer)      # what the ingest stage does: records, images (decoded, hashed), cue-map store
    writer.close()
    return time.perf_counter() - start, root / "cue_maps"


def groundtruth_seconds(cue_maps: Path, side: int = 224) -> tuple[float, float, int]:
    """Wall seconds per image: the cue map on the grid + one map's scores; and the references' scores."""
    params = load_all_params(REPO / "params.yaml").groundtruth
    how = HeatmapScoring(params.heat_threshold, params.top_fraction)
    cues = CueMaps(cue_maps)
    ids = list(cues.store.index.index)
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    heats = cues.heats(ids, Grid(side, 256))
    maps = {i: rng.normal(size=(side, side)) for i in ids}
    score_table(maps, heats, how)
    per_map = (time.perf_counter() - start) / len(ids)
    rgb = {i: rng.random((side, side, 3)) for i in ids}
    start = time.perf_counter()
    refs = reference_cue_maps(rgb, heats, side, params.gaussian_sigma, params.seed)
    for maps in refs.values():
        score_table(maps, heats, how)
    return per_map, (time.perf_counter() - start) / len(ids), len(ids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=96)
    parser.add_argument("--out", default=str(REPO / "benchmarks/results/bench_richhf.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ingest_s, cue_maps = ingest_seconds(Path(tmp), args.records)
        gt_map_s, gt_refs_s, n_scored = groundtruth_seconds(cue_maps)
    units = json.loads((REPO / "benchmarks/results/bench_study.json").read_text())["units"]
    per_arch = {}
    for name in STUDY_ARCHITECTURES:
        u = units[name]
        # stride 1: a mask per pixel, 3 sides
        mpm_masks = sum(224 ** 2 * s for s in u["mpm_10_variants_s_per_mask"].values())
        per_arch[name] = {
            "features_s_per_image": u["features_s_per_image"],
            "gradcam_10_variants_s_per_image": u["gradcam_10_variants_s_per_image"],
            "lime_1000_samples_10_variants_s_per_image": 1000 * u["lime_10_variants_s_per_sample"],
            "mpm_stride1_10_variants_s_per_image": mpm_masks,
            "release_h": {
                "features (17,760 images)": RELEASE["records"] * u["features_s_per_image"] / 3600,
                "gradcam (955 test images)": RELEASE["test_records"] * u["gradcam_10_variants_s_per_image"] / 3600,
                "lime 1,000 samples (955)": RELEASE["test_records"] * 1000 * u["lime_10_variants_s_per_sample"] / 3600,
                "mpm stride 1 (955)": RELEASE["test_records"] * mpm_masks / 3600,
            },
        }
    result = {
        "what": "RichHF-18K per-image costs at 512 px records / 224 px grid on this machine's CPU; "
                "model-side units from bench_study.json; no GPU measured",
        "records_measured": args.records, "images_scored": n_scored,
        "ingest_s_per_record": ingest_s / args.records,
        "groundtruth_s_per_image_per_map": gt_map_s,
        "groundtruth_references_s_per_image": gt_refs_s,
        "release": RELEASE,
        "release_h": {
            "ingest (17,760 records)": RELEASE["records"] * ingest_s / args.records / 3600,
            "groundtruth (955 test images, 5 architectures x 4 methods + references)":
                RELEASE["test_records"] * (len(STUDY_ARCHITECTURES) * METHODS_PER_IMAGE * gt_map_s + gt_refs_s) / 3600,
        },
        "per_architecture": per_arch,
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count()},
    }
    write_json(args.out, result)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
