"""The manifest: one row per image, the single table every later stage reads.

Columns: image_id, path, generator, prompt_index, challenge, category, quality,
authenticity, correspondence (plus optional *_sd columns). Any ratings dataset in this
form (CSV or Parquet) can be used instead of AIGCIQA2023.

Pixels are content-addressed in a table of their own (image_id, path, sha256):
stages that read pixels depend on it, so a changed image reruns them and their
dependents, while stages that read only ratings stay up to date.
"""

from __future__ import annotations

import hashlib
import os
from typing import Sequence

import numpy as np
import pandas as pd

from rashomon.config import DIMENSIONS
from rashomon.errors import InputError
from rashomon.io import read_table

REQUIRED_COLUMNS: tuple[str, ...] = (
    "image_id", "path", "generator", "prompt_index", "challenge", "category", *DIMENSIONS,
)


def file_sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def image_hashes(manifest: pd.DataFrame) -> pd.DataFrame:
    """The content-address table: image_id, path, SHA-256 of each image file."""
    return pd.DataFrame({"image_id": manifest["image_id"], "path": manifest["path"],
                         "sha256": [file_sha256(p) for p in manifest["path"]]})


def check_image_hashes(manifest: pd.DataFrame, images_csv: str | os.PathLike) -> None:
    """Refuse images whose bytes changed since ingest (DVC would otherwise cache results
    for pixels it never saw): every manifest image must match its recorded hash."""
    table = read_table(images_csv, "image hash table", dtype={"image_id": str}).set_index("image_id")
    for image_id, path in zip(manifest["image_id"], manifest["path"]):
        if image_id not in table.index:
            raise InputError(f"{images_csv}: no hash for image_id {image_id!r}; rerun the ingest stage")
        if file_sha256(path) != table.loc[image_id, "sha256"]:
            raise InputError(f"{path}: image changed since ingest (hash differs from {images_csv}); run dvc repro")


def _first_bad(frame: pd.DataFrame, bad: pd.Series) -> str:
    row = int(np.flatnonzero(bad.to_numpy())[0])
    return f"image_id {frame['image_id'].iloc[row]!r} (row {row}); {int(bad.sum())} such rows"


def validate_manifest(
    frame: pd.DataFrame,
    source: str,
    rating_range: Sequence[float] = (0.0, 100.0),
    check_images: bool = True,
) -> pd.DataFrame:
    """Check a manifest and return it with canonical dtypes; raise InputError naming
    `source`, the row and the problem (no rows, missing column, duplicate id, blank
    prompt index, NaN or out-of-range rating, missing or unreadable image)."""
    if frame.empty:
        raise InputError(f"{source}: the manifest has no rows (no images)")
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(f"{source}: missing column(s) {missing}; required: {list(REQUIRED_COLUMNS)}")
    frame = frame.copy()
    if frame["image_id"].isna().any():
        raise InputError(f"{source}: blank image_id at row {int(np.flatnonzero(frame['image_id'].isna())[0])}")
    frame["image_id"] = frame["image_id"].astype(str)
    dup = frame["image_id"][frame["image_id"].duplicated(keep=False)]
    if len(dup):
        rows = [int(i) for i in dup.index[:5]]
        raise InputError(f"{source}: duplicated image_id {sorted(set(dup))[:5]} at rows {rows}")
    prompt = pd.to_numeric(frame["prompt_index"], errors="coerce")
    bad = prompt.isna() | (prompt != prompt.round())
    if bad.any():
        raise InputError(f"{source}: prompt_index is blank or not an integer for {_first_bad(frame, bad)}")
    frame["prompt_index"] = prompt.astype(int)
    lo, hi = rating_range
    for dim in DIMENSIONS:
        values = pd.to_numeric(frame[dim], errors="coerce")
        if values.isna().any():
            raise InputError(f"{source}: {dim} rating is NaN or not a number for {_first_bad(frame, values.isna())}")
        bad = (values < lo) | (values > hi)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                f"{source}: {dim} rating {values.iloc[row]} is outside [{lo}, {hi}] for {_first_bad(frame, bad)} "
                "(set data.rating_range if the scale differs)")
        frame[dim] = values.astype(float)
    if check_images:
        from rashomon.data.images import check_image_files

        check_image_files(frame["path"].tolist(), source)
    return frame.reset_index(drop=True)


def read_manifest(path: str | os.PathLike, rating_range: Sequence[float] = (0.0, 100.0),
                  check_images: bool = False) -> pd.DataFrame:
    """Read a CSV/Parquet manifest and validate it (images are checked at ingest)."""
    frame = read_table(path, "manifest", dtype={"image_id": str})
    return validate_manifest(frame, str(path), rating_range=rating_range, check_images=check_images)


def manifest_hash(frame: pd.DataFrame) -> str:
    """Content hash of the image set (ids, paths, ratings): caches built for one image set
    are refused for another."""
    cols = ["image_id", "path", *DIMENSIONS]
    payload = frame[cols].to_csv(index=False).encode()
    return hashlib.sha256(payload).hexdigest()[:16]
