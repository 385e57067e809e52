"""Loader for the AIGCIQA2023 release exactly as downloaded.

Layout (DESIGN.md): images `Image/allimg/{i}.png` (or `DATA/allimg`), MOS
`DATA/MOS/mosz{1,2,3}.mat` (variable `MOSz`) or `moz{1,2,3}.txt`, SD
`DATA/STD/SD{1,2,3}.mat` (variable `SD`), prompts `AIGCIQA2023_Prompts.xlsx`
(no header: challenge, category, prompt). Image index
= (n_prompts*reps)*model + reps*prompt + rep.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
import scipy.io

from rashomon.core.config import DIMENSIONS
from rashomon.data.manifest import MAX_IMAGE_PIXELS, MIN_IMAGE_SIDE, validate_manifest
from rashomon.core.errors import InputError

GENERATORS: tuple[str, ...] = (
    "Controlnet", "DALLE", "Glide", "Lafite", "stable-diffusion", "Unidiffuser",
)
IMAGE_DIRS: tuple[str, ...] = ("Image/allimg", "DATA/allimg", "allimg")
PROMPTS_FILE = "AIGCIQA2023_Prompts.xlsx"


def find_image_dir(root: Path) -> Path:
    for rel in IMAGE_DIRS:
        if (root / rel).is_dir():
            return root / rel
    raise InputError(f"{root}: no image folder found; looked for {', '.join(IMAGE_DIRS)}")


def _read_vector(root: Path, k: int, kind: str) -> tuple[np.ndarray, Path] | None:
    """Read score vector k (1=quality, 2=authenticity, 3=correspondence)."""
    if kind == "mos":
        mats = [root / f"DATA/MOS/mosz{k}.mat", root / f"MOS/mosz{k}.mat", root / f"mosz{k}.mat"]
        txts = [root / f"DATA/MOS/moz{k}.txt", root / f"MOS/moz{k}.txt", root / f"moz{k}.txt"]
        var = "MOSz"
    else:
        mats = [root / f"DATA/STD/SD{k}.mat", root / f"STD/SD{k}.mat", root / f"SD{k}.mat"]
        txts = [root / f"DATA/STD/SD{k}.txt", root / f"STD/SD{k}.txt", root / f"SD{k}.txt"]
        var = "SD"
    for path in mats:
        if path.is_file():
            try:
                data = scipy.io.loadmat(path)
            except Exception as exc:  # scipy raises several types for corrupt files
                raise InputError(f"{path}: cannot read .mat file ({exc})") from exc
            if var not in data:
                keys = [key for key in data if not key.startswith("__")]
                raise InputError(f"{path}: variable {var!r} not found; variables: {keys}")
            return np.asarray(data[var], dtype=float).ravel(), path
    for path in txts:
        if path.is_file():
            try:
                return np.loadtxt(path, dtype=float).ravel(), path
            except ValueError as exc:
                raise InputError(f"{path}: cannot parse numbers ({exc})") from exc
    return None


def read_prompts(root: Path) -> pd.DataFrame:
    """The prompts sheet: one row per prompt, columns challenge, category, prompt."""
    path = root / PROMPTS_FILE
    if not path.is_file():
        candidates = sorted(root.glob("*Prompts*.xlsx"))
        if not candidates:
            raise InputError(f"{root}: prompts file {PROMPTS_FILE} not found")
        path = candidates[0]
    sheet = pd.read_excel(path, header=None)
    if sheet.shape[1] < 3:
        raise InputError(f"{path}: expected 3 columns (challenge, category, prompt), found {sheet.shape[1]}")
    sheet = sheet.iloc[:, :3]
    sheet.columns = ["challenge", "category", "prompt"]
    for col in ("challenge", "category"):
        sheet[col] = sheet[col].astype(str).str.strip()
    return sheet.reset_index(drop=True)


def read_scores(root: Path) -> tuple[dict[str, np.ndarray], Path]:
    """The MOS of each dimension and the SDs that exist (`{dim}_sd`), and the quality score
    file; a file whose length differs from the quality scores' is one line naming both."""
    found: dict[str, tuple[np.ndarray, Path]] = {}
    for k, dim in enumerate(DIMENSIONS, start=1):
        mos = _read_vector(root, k, "mos")
        if mos is None:
            raise InputError(f"{root}: no score file for {dim} (DATA/MOS/mosz{k}.mat or moz{k}.txt)")
        found[dim] = mos
        sd = _read_vector(root, k, "sd")
        if sd is not None:
            found[f"{dim}_sd"] = sd
    first, reference = found[DIMENSIONS[0]]
    for values, path in found.values():
        if len(values) != len(first):
            raise InputError(f"{path}: {len(values)} values, but {reference} has {len(first)}; every score "
                             "and SD file needs one value per image")
    order = [*DIMENSIONS, *(key for key in found if key not in DIMENSIONS)]   # MOS columns, then SDs
    return {key: found[key][0] for key in order}, reference


def numbered_images(image_dir: Path) -> dict[int, Path]:
    """The folder's PNGs named by a plain number (`17.png`), by that number."""
    return {int(p.stem): p for p in image_dir.glob("*.png")
            if p.stem.isascii() and p.stem.isdigit() and p.stem == str(int(p.stem))}


def check_image_numbers(image_dir: Path, numbers: set[int], n: int, score_file: Path) -> None:
    """Refuse missing or unscored numbered images, naming them and both counts."""
    counts = f"{score_file} has {n} scores, {image_dir} {len(numbers)} numbered images"
    missing = sorted(set(range(n)) - numbers)
    if missing:
        names = ", ".join(f"{i}.png" for i in missing[:5])
        raise InputError(f"{image_dir}: image file(s) {names} missing ({len(missing)} of the {n} the score files "
                         f"expect; {counts})")
    extra = sorted(numbers - set(range(n)))
    if extra:
        raise InputError(f"{image_dir}: image file(s) {', '.join(f'{i}.png' for i in extra[:5])} have no score "
                         f"({counts})")


def load_aigciqa2023(
    root: str | os.PathLike,
    reps: int = 4,
    generators: Sequence[str] = GENERATORS,
    rating_range: Sequence[float] = (0.0, 100.0),
    check_images: bool = True,
    min_image_side: int = MIN_IMAGE_SIDE,
    max_image_pixels: int = MAX_IMAGE_PIXELS,
) -> pd.DataFrame:
    """Build the manifest of an AIGCIQA2023-format folder (every image inside it, at least
    `min_image_side` px on its shorter side, at most `max_image_pixels` pixels)."""
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"{root}: dataset folder does not exist")
    image_dir = find_image_dir(root)
    columns, score_file = read_scores(root)
    n = len(columns[DIMENSIONS[0]])
    pngs = numbered_images(image_dir)
    check_image_numbers(image_dir, set(pngs), n, score_file)
    prompts = read_prompts(root)
    per_model = len(prompts) * reps
    if n % per_model:
        raise InputError(
            f"{root}: {n} images is not a multiple of {len(prompts)} prompts x {reps} reps"
        )
    n_models = n // per_model
    if n_models > len(generators):
        raise InputError(f"{root}: {n_models} generator blocks but only {len(generators)} generator names")
    idx = np.arange(n)
    prompt_index = (idx % per_model) // reps
    frame = pd.DataFrame({
        "image_id": idx.astype(str),
        "path": [str(pngs[i]) for i in idx],
        "generator": [generators[m] for m in idx // per_model],
        "prompt_index": prompt_index,
        "rep": idx % reps,
        "challenge": prompts["challenge"].to_numpy()[prompt_index],
        "category": prompts["category"].to_numpy()[prompt_index],
        "prompt": prompts["prompt"].to_numpy()[prompt_index],
        **columns,
    })
    return validate_manifest(frame, str(root), rating_range=rating_range, check_images=check_images,
                             image_root=root, min_image_side=min_image_side, max_image_pixels=max_image_pixels)
