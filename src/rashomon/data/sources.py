"""One entry point from `params.data` to the ingested dataset, whatever the source.

`data.root` is a folder and DVC tracks all of it, so everything read here (images,
scores, the per-rater table, ground truth) must live inside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from rashomon.config import DataConfig
from rashomon.data.aigciqa import GENERATORS, load_aigciqa2023
from rashomon.data.manifest import image_hashes, validate_manifest
from rashomon.data.ratings import empty_ratings, load_ratings_long
from rashomon.data.truth import ingest_truth
from rashomon.errors import InputError
from rashomon.io import read_table

MANIFEST_NAMES = ("manifest.csv", "manifest.parquet")


@dataclass
class Ingested:
    manifest: pd.DataFrame      # validated: ids, paths, metadata, ratings
    images: pd.DataFrame        # content addresses: image_id, path, sha256
    ratings_long: pd.DataFrame  # validated per-rater table (no rows when there is none)
    truth: pd.DataFrame         # synthetic ground truth (no rows for real data)


def load_manifest_folder(root: Path, rating_range: tuple[float, float]) -> pd.DataFrame:
    """A folder holding manifest.csv/.parquet; relative image paths are taken from the folder."""
    found = [root / n for n in MANIFEST_NAMES if (root / n).is_file()]
    if not found:
        raise InputError(f"{root}: no {' or '.join(MANIFEST_NAMES)} in the dataset folder (data.source: manifest)")
    frame = read_table(found[0], "manifest", dtype={"image_id": str})
    if "path" in frame:
        frame["path"] = [p if Path(str(p)).is_absolute() else str(root / str(p)) for p in frame["path"]]
    return validate_manifest(frame, str(found[0]), rating_range=rating_range)


def inside(root: Path, relative: str, key: str) -> Path:
    """`root / relative`, refused when it points outside root (DVC would not see its changes)."""
    path = root / relative
    if not path.resolve().is_relative_to(root.resolve()):
        raise InputError(f"{key}: {relative} is outside data.root ({root}); keep it inside so DVC tracks it")
    return path


def ingest(cfg: DataConfig) -> Ingested:
    """Load the dataset named by `data.source` from the folder `data.root`."""
    root = Path(cfg.root)
    if not root.is_dir():
        raise InputError(f"{root}: data.root must be an existing dataset folder")
    rating_range = (cfg.rating_range[0], cfg.rating_range[1])
    if cfg.source == "aigciqa2023":
        manifest = load_aigciqa2023(root, reps=cfg.reps, generators=cfg.generators or GENERATORS,
                                    rating_range=rating_range)
    else:
        manifest = load_manifest_folder(root, rating_range)
    ids = manifest["image_id"].tolist()
    ratings = empty_ratings()
    if cfg.ratings_long:
        ratings = load_ratings_long(inside(root, cfg.ratings_long, "data.ratings_long"), cfg.likert_range, ids)
    return Ingested(manifest, image_hashes(manifest), ratings, ingest_truth(root, ids))
