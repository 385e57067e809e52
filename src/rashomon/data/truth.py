"""Ground truth that only the synthetic default has (latent scores, artifact masks).

Ingest copies `truth.csv` from the dataset folder to `data/truth.csv` (header only for
real data); whether a run is SYNTHETIC is decided here and nowhere else.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from rashomon.data.manifest import file_sha256
from rashomon.core.errors import InputError
from rashomon.core.io import read_table

TRUTH_FILE = "truth.csv"
SYNTHETIC_LABEL = "SYNTHETIC data (simulated raters), not human judgments"


def ingest_truth(root: Path, image_ids: list[str]) -> pd.DataFrame:
    """The dataset's truth table restricted to the manifest's images, with a hash per mask
    (so an edited mask reruns what reads it); an empty table for real data."""
    path = root / TRUTH_FILE
    if not path.is_file():
        return pd.DataFrame({"image_id": pd.Series(dtype=str)})
    truth = read_table(path, "ground-truth table", dtype={"image_id": str}).set_index("image_id")
    missing = [i for i in image_ids if i not in truth.index]
    if missing:
        raise InputError(f"{path}: no ground truth for image(s) {missing[:5]}")
    truth = truth.loc[image_ids].reset_index()
    if "mask_path" in truth:
        truth["mask_sha256"] = [file_sha256(p) for p in truth["mask_path"]]
    return truth


def read_truth(path: str | os.PathLike) -> pd.DataFrame | None:
    """`data/truth.csv` indexed by image_id, or None when the data are not synthetic."""
    frame = read_table(path, "ingested ground-truth table", dtype={"image_id": str})
    return None if frame.empty else frame.set_index("image_id")
