"""The optional per-rater long table (image, rater, dimension, rating).

Validated once, at ingest, against the manifest and the Likert range, then written as
`data/ratings_long.csv` (header only when there is no table), which is what the filter
and reliability stages read and what DVC tracks.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from rashomon.core.config import DIMENSIONS
from rashomon.core.errors import InputError
from rashomon.core.io import read_table

COLUMNS: tuple[str, ...] = ("image", "rater", "dimension", "rating")


def _row(frame: pd.DataFrame, bad: pd.Series) -> int:
    return int(frame.index[np.flatnonzero(bad.to_numpy())[0]])


def validate_ratings_long(long: pd.DataFrame, source: str, likert_range: Sequence[float],
                          image_ids: Iterable[str]) -> pd.DataFrame:
    """Check the table: columns, no blank rater or image, known dimensions and images,
    numeric ratings inside the Likert range, one rating per (image, rater, dimension)."""
    missing = [c for c in COLUMNS if c not in long.columns]
    if missing:
        raise InputError(f"{source}: missing column(s) {missing}; expected {', '.join(COLUMNS)}")
    if long.empty:
        raise InputError(f"{source}: the per-rater table has no rows")
    long = long[list(COLUMNS)].reset_index(drop=True)
    for col in ("image", "rater", "dimension"):
        blank = long[col].isna() | (long[col].astype(str).str.strip() == "")
        if blank.any():
            raise InputError(f"{source}: {col} is missing at row {_row(long, blank)}")
    long = long.assign(image=long["image"].astype(str), rater=long["rater"].astype(str),
                       dimension=long["dimension"].astype(str))
    unknown = ~long["dimension"].isin(DIMENSIONS)
    if unknown.any():
        r = _row(long, unknown)
        raise InputError(f"{source}: unknown dimension {long['dimension'][r]!r} at row {r}; "
                         f"expected {list(DIMENSIONS)}")
    values = pd.to_numeric(long["rating"], errors="coerce")
    if values.isna().any():
        raise InputError(f"{source}: rating is NaN or not a number at row {_row(long, values.isna())}")
    lo, hi = likert_range
    bad = (values < lo) | (values > hi)
    if bad.any():
        r = _row(long, bad)
        raise InputError(f"{source}: rating {values[r]:g} at row {r} is outside [{lo:g}, {hi:g}] (data.likert_range)")
    stray = ~long["image"].isin(set(image_ids))
    if stray.any():
        r = _row(long, stray)
        raise InputError(f"{source}: image {long['image'][r]!r} at row {r} is not in the manifest")
    dup = long.duplicated(["image", "rater", "dimension"])
    if dup.any():
        raise InputError(f"{source}: duplicated (image, rater, dimension) at row {_row(long, dup)}")
    return long.assign(rating=values.astype(float))


def load_ratings_long(path: str | os.PathLike, likert_range: Sequence[float],
                      image_ids: Iterable[str]) -> pd.DataFrame:
    """Read and validate a user's per-rater table (CSV or Parquet)."""
    frame = read_table(path, "per-rater ratings table (data.ratings_long)",
                       dtype={"image": str, "rater": str, "dimension": str})
    return validate_ratings_long(frame, str(path), likert_range, image_ids)


def empty_ratings() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=float if c == "rating" else str) for c in COLUMNS})


def read_ratings_long(path: str | os.PathLike) -> pd.DataFrame | None:
    """The ingested table (`data/ratings_long.csv`), or None when the dataset has none."""
    frame = read_table(Path(path), "ingested per-rater table", dtype={"image": str, "rater": str, "dimension": str})
    return None if frame.empty else frame
