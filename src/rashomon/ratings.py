"""The optional per-rater long table (image, rater, dimension, rating)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from rashomon.errors import InputError


def read_ratings_long(data: Mapping[str, Any]) -> pd.DataFrame | None:
    """The table named by `data.ratings_long`, or None when the user has none."""
    path = data.get("ratings_long")
    if not path:
        return None
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: per-rater ratings table (data.ratings_long) does not exist; set it to null if you have none")
    long = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, dtype={"image": str})
    missing = {"image", "rater", "dimension", "rating"} - set(long.columns)
    if missing:
        raise InputError(f"{path}: missing column(s) {sorted(missing)}; expected image, rater, dimension, rating")
    return long
