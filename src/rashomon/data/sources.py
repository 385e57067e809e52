"""One entry point from `params.data` to the ingested dataset, whatever the source.

`data.root` is a folder and DVC tracks all of it, so everything read here (images,
scores, the per-rater table, ground truth) must resolve, symlinks followed, inside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from rashomon.core.config import DataConfig
from rashomon.data.aigciqa import GENERATORS, load_aigciqa2023
from rashomon.data.cue_maps import CueMapWriter
from rashomon.data.images import load_mask
from rashomon.data.manifest import image_hashes, is_inside, validate_manifest
from rashomon.data.ratings import empty_ratings, load_ratings_long
from rashomon.data.richhf import load_richhf18k
from rashomon.data.truth import ingest_truth
from rashomon.core.errors import InputError
from rashomon.core.io import read_table

MANIFEST_NAMES = ("manifest.csv", "manifest.parquet")


@dataclass
class Ingested:
    manifest: pd.DataFrame      # validated: ids, paths, metadata, ratings
    images: pd.DataFrame        # content addresses: image_id, path, sha256
    ratings_long: pd.DataFrame  # validated per-rater table (no rows when there is none)
    truth: pd.DataFrame         # synthetic ground truth (no rows for real data)


def find_manifest(root: Path) -> Path:
    """The manifest.csv/.parquet inside the dataset folder `root`."""
    found = [root / n for n in MANIFEST_NAMES if (root / n).is_file()]
    if not found:
        raise InputError(f"{root}: no {' or '.join(MANIFEST_NAMES)} in the dataset folder (data.source: manifest)")
    return found[0]


def load_manifest_file(path: Path, rating_range: tuple[float, float], min_image_side: int,
                       max_image_pixels: int) -> pd.DataFrame:
    """A CSV/Parquet manifest; relative image paths are taken from its folder, and every path
    must resolve inside that folder."""
    frame = read_table(path, "manifest", dtype={"image_id": str})
    if "path" in frame:
        frame["path"] = [p if pd.isna(p) or Path(str(p)).is_absolute() else str(path.parent / str(p))
                         for p in frame["path"]]
    return validate_manifest(frame, str(path), rating_range=rating_range, image_root=path.parent,
                             min_image_side=min_image_side, max_image_pixels=max_image_pixels)


def dataset_folder(cfg: DataConfig) -> Path:
    """The folder everything is read from: `data.root` (a folder, so DVC tracks all of it)."""
    root = Path(cfg.root)
    if root.is_dir():
        return root
    raise InputError(f"{root}: data.root must be an existing dataset folder (DVC tracks the whole folder"
                     + ("; put manifest.csv inside it)" if cfg.source == "manifest" else ")"))


def inside(root: Path, relative: str, key: str) -> Path:
    """`root / relative`, refused when it points outside root (DVC would not see its changes)."""
    path = root / relative
    if not is_inside(path, root):
        raise InputError(f"{key}: {relative} is outside data.root ({root}); keep it inside so DVC tracks it")
    return path


def ingest(cfg: DataConfig, cue_maps: CueMapWriter | None = None) -> Ingested:
    """Load the dataset named by `data.source` from `data.root`; a source with cue maps
    (RichHF-18K's human heatmaps) hands each to `cue_maps` as it is read."""
    folder = dataset_folder(cfg)
    rating_range = (cfg.rating_range[0], cfg.rating_range[1])
    if cfg.source == "richhf18k":
        r = cfg.richhf18k
        sink = cue_maps.add if cue_maps is not None else (lambda *_: None)
        manifest = load_richhf18k(folder, r.records, r.images, r.heatmap, rating_range, cfg.min_image_side,
                                  cfg.max_image_pixels, sink)
    elif cfg.source == "aigciqa2023":
        manifest = load_aigciqa2023(folder, reps=cfg.reps, generators=cfg.generators or GENERATORS,
                                    rating_range=rating_range, min_image_side=cfg.min_image_side,
                                    max_image_pixels=cfg.max_image_pixels)
    else:
        manifest = load_manifest_file(find_manifest(folder), rating_range, cfg.min_image_side, cfg.max_image_pixels)
    ids = manifest["image_id"].tolist()
    ratings = empty_ratings()
    if cfg.ratings_long:
        ratings = load_ratings_long(inside(folder, cfg.ratings_long, "data.ratings_long"), cfg.likert_range, ids)
    truth = ingest_truth(folder, ids)
    if cue_maps is not None and "mask_path" in truth:   # the simulator's masks: cue maps that are 0 or 1
        for image_id, mask, image in zip(truth["image_id"], truth["mask_path"], manifest["path"]):
            cue_maps.add(image_id, image, np.round(load_mask(mask) * 255).astype(np.uint8))
    return Ingested(manifest, image_hashes(manifest), ratings, truth)
