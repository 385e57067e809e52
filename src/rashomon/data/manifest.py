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
import re
import unicodedata
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from rashomon.core.config import DIMENSIONS
from rashomon.core.errors import InputError
from rashomon.core.io import read_table

GENERATOR = "generator"   # the column naming each image's generating model
REQUIRED_COLUMNS: tuple[str, ...] = (
    "image_id", "path", GENERATOR, "prompt_index", "challenge", "category", *DIMENSIONS,
)
MAX_ID_LENGTH = 200
MIN_IMAGE_SIDE = 32   # params.data.min_image_side's default
MAX_IMAGE_PIXELS = 50_000_000   # params.data.max_image_pixels's default: 150 MB as 8-bit RGB


def sorted_ids(ids) -> list[str]:
    """Image ids in the order every table uses: numbered ids numerically ('2' before '10'), then by text."""
    return sorted(ids, key=lambda s: (len(s), s))


def image_id_problem(image_id: str) -> str | None:
    """Why `image_id` is refused (None when it is fine): ids are data, never paths, so no
    separator, no leading '.' (hence no '..'), no control character, at most 200 characters."""
    if not image_id:
        return "is empty"
    if len(image_id) > MAX_ID_LENGTH:
        return f"is {len(image_id)} characters long (at most {MAX_ID_LENGTH})"
    if "/" in image_id or "\\" in image_id:
        return "contains a path separator (/ or \\)"
    if image_id.startswith("."):
        return "starts with '.'"
    if any(unicodedata.category(c) == "Cc" for c in image_id):
        return "contains a control character"
    return None


PLAIN_FILENAME = re.compile(r"[a-z0-9_-][a-z0-9._-]{0,119}")   # the same file on every common file system
ESCAPED_FILENAME = re.compile(r".*-[0-9a-f]{16}")   # what safe_filename makes of an id it escapes
WINDOWS_DEVICES = re.compile(r"(con|prn|aux|nul|com\d|lpt\d)(\..*)?")   # names Windows keeps for devices


def safe_filename(image_id: str) -> str:
    """A file name for `image_id` that is one plain file on every common file system: an id of
    lower-case letters, digits, '.', '_' and '-' (not starting with '.', not a Windows device
    name, not shaped like an escaped name) as it is (the names outputs always had); any other
    (upper case, which case-insensitive systems fold, quotes, markup, spaces, non-ASCII) as its
    lower-cased plain characters plus a hash of the whole id, so two ids never share a name."""
    text = str(image_id)
    if (PLAIN_FILENAME.fullmatch(text) and not WINDOWS_DEVICES.fullmatch(text) and not text.endswith(".")
            and not ESCAPED_FILENAME.fullmatch(text)):   # an id shaped like an escaped name is escaped too
        return text
    stem = re.sub(r"[^a-z0-9_-]+", "_", text.lower())[:64]
    return f"{stem}-{hashlib.sha256(text.encode('utf-8', 'surrogatepass')).hexdigest()[:16]}"


def is_inside(path: str | os.PathLike, folder: str | os.PathLike) -> bool:
    """Whether `path`, symlinks followed, lies inside `folder` (DVC tracks only what is inside data.root)."""
    return Path(path).resolve().is_relative_to(Path(folder).resolve())


def _shown(text: str) -> str:
    """An id for a one-line message: repr (control characters escaped), long ones cut."""
    return repr(text) if len(text) <= 60 else f"{text[:60]!r}..."


def check_image_ids(ids: pd.Series, source: str) -> None:
    """Refuse the first id that could not safely name a file (see `image_id_problem`)."""
    for row, image_id in enumerate(ids):
        problem = image_id_problem(image_id)
        if problem:
            raise InputError(f"{source}: image_id {_shown(image_id)} at row {row} {problem}; "
                             "ids name output files, so they must not look like paths")


def check_paths_inside(frame: pd.DataFrame, folder: str | os.PathLike, source: str) -> None:
    """Refuse the first image path that is blank or resolves (symlinks followed) outside `folder`."""
    for row, (image_id, path) in enumerate(zip(frame["image_id"], frame["path"])):
        if pd.isna(path) or not str(path).strip():
            raise InputError(f"{source}: path is blank for image_id {_shown(image_id)} (row {row})")
        if not is_inside(str(path), folder):
            raise InputError(f"{source}: image path {str(path)!r} of image_id {_shown(image_id)} (row {row}) resolves "
                             f"outside {folder} (data.root); keep images inside it so DVC tracks them")


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
    image_root: str | os.PathLike | None = None,
    min_image_side: int = MIN_IMAGE_SIDE,
    max_image_pixels: int = MAX_IMAGE_PIXELS,
) -> pd.DataFrame:
    """Check a manifest and return it with canonical dtypes; raise InputError naming
    `source`, the row and the problem (no rows, missing column, an id that looks like a
    path, duplicate id, blank prompt index, NaN or out-of-range rating; with `image_root`,
    a path outside it; with `check_images`, a missing, unreadable, too small or too large image)."""
    if frame.empty:
        raise InputError(f"{source}: the manifest has no rows (no images)")
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(f"{source}: missing column(s) {missing}; required: {list(REQUIRED_COLUMNS)}")
    frame = frame.copy()
    if frame["image_id"].isna().any():
        raise InputError(f"{source}: blank image_id at row {int(np.flatnonzero(frame['image_id'].isna())[0])}")
    frame["image_id"] = frame["image_id"].astype(str)
    check_image_ids(frame["image_id"], source)
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
    if image_root is not None:
        check_paths_inside(frame, image_root, source)
    if check_images:
        from rashomon.data.images import check_image_files

        check_image_files(frame["path"].tolist(), source, min_image_side, max_image_pixels)
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
