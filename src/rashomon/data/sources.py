"""One entry point from `params.data` to a validated manifest, whatever the source."""

from __future__ import annotations

from typing import Any, Mapping

import pandas as pd

from rashomon.data.aigciqa import GENERATORS, load_aigciqa2023
from rashomon.data.manifest import read_manifest
from rashomon.errors import InputError

SOURCES = ("aigciqa2023", "manifest")


def load_source(data: Mapping[str, Any]) -> pd.DataFrame:
    """Load the dataset named by `data.source` from `data.root`."""
    source = data.get("source", "aigciqa2023")
    rating_range = tuple(data.get("rating_range", (0, 100)))
    if source == "aigciqa2023":
        return load_aigciqa2023(
            data["root"], reps=int(data.get("reps", 4)),
            generators=data.get("generators") or GENERATORS, rating_range=rating_range,
        )
    if source == "manifest":
        return read_manifest(data["root"], rating_range=rating_range)
    raise InputError(f"data.source {source!r} is unknown; choose one of {SOURCES}")
