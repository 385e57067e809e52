"""The manifest: one row per image, the single table every later stage reads.

Columns: image_id, path, generator, prompt_index, challenge, category, quality,
authenticity, correspondence (plus optional *_sd columns). Any ratings dataset in
this form (CSV or Parquet) can be used instead of AIGCIQA2023.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from rashomon.errors import InputError

DIMENSIONS: tuple[str, ...] = ("quality", "authenticity", "correspondence")
REQUIRED_COLUMNS: tuple[str, ...] = (
    "image_id", "path", "generator", "prompt_index", "challenge", "category", *DIMENSIONS,
)


def validate_manifest(
    frame: pd.DataFrame,
    source: str,
    rating_range: Sequence[float] = (0.0, 100.0),
    check_images: bool = True,
) -> pd.DataFrame:
    """Check a manifest and return it with canonical dtypes; raise InputError naming
    `source`, the row and the problem (missing column, duplicate id, NaN or
    out-of-range rating, missing or unreadable image)."""
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(f"{source}: missing column(s) {missing}; required: {list(REQUIRED_COLUMNS)}")
    frame = frame.copy()
    frame["image_id"] = frame["image_id"].astype(str)
    dup = frame["image_id"][frame["image_id"].duplicated(keep=False)]
    if len(dup):
        rows = [int(i) for i in dup.index[:5]]
        raise InputError(f"{source}: duplicated image_id {sorted(set(dup))[:5]} at rows {rows}")
    lo, hi = rating_range
    for dim in DIMENSIONS:
        values = pd.to_numeric(frame[dim], errors="coerce")
        bad_nan = values.isna()
        if bad_nan.any():
            row = int(np.flatnonzero(bad_nan.to_numpy())[0])
            raise InputError(
                f"{source}: {dim} rating is NaN or not a number for image_id "
                f"{frame['image_id'].iloc[row]!r} (row {row}); {int(bad_nan.sum())} such rows"
            )
        bad_range = (values < lo) | (values > hi)
        if bad_range.any():
            row = int(np.flatnonzero(bad_range.to_numpy())[0])
            raise InputError(
                f"{source}: {dim} rating {values.iloc[row]} for image_id "
                f"{frame['image_id'].iloc[row]!r} (row {row}) is outside [{lo}, {hi}]; "
                f"{int(bad_range.sum())} such rows (set data.rating_range if the scale differs)"
            )
        frame[dim] = values.astype(float)
    frame["prompt_index"] = frame["prompt_index"].astype(int)
    if check_images:
        from rashomon.data.images import check_image_files

        check_image_files(frame["path"].tolist(), source)
    return frame.reset_index(drop=True)


def read_manifest(path: str | os.PathLike, **kwargs) -> pd.DataFrame:
    """Read a CSV/Parquet manifest and validate it."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: manifest file does not exist")
    frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, dtype={"image_id": str})
    return validate_manifest(frame, str(path), **kwargs)


def manifest_hash(frame: pd.DataFrame) -> str:
    """Content hash of the image set (ids, paths, ratings): caches built for one image
    set are refused for another."""
    cols = ["image_id", "path", *DIMENSIONS]
    payload = frame[cols].to_csv(index=False).encode()
    return hashlib.sha256(payload).hexdigest()[:16]
