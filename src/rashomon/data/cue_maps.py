"""The cue-map store: where people (or the simulator) put the cue, one greyscale PNG per
image at the image's resolution, content-hashed in `index.csv` like the images are.

A folder written by ingest: `index.csv` (image_id, file, sha256, width, height) and the
PNGs, 0-255 = heat. Sources without cue maps write the index's header only. Readers check
each file's hash, so a map edited after ingest is refused rather than silently scored.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from rashomon.core.errors import InputError
from rashomon.core.io import read_table, write_csv
from rashomon.data.manifest import file_sha256, safe_filename

INDEX = "index.csv"
COLUMNS = ["image_id", "file", "sha256", "width", "height"]


class CueMapWriter:
    """Writes cue maps into a (temp) folder one at a time, resized to each image's size; `close` writes the index."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.rows: list[dict] = []

    def add(self, image_id: str, image_path: str, heat: np.ndarray) -> None:
        """Store `heat` (uint8) for `image_id`, bilinearly resized to the image's width x height."""
        with Image.open(image_path) as img:
            size = img.size
        heat_img = Image.fromarray(np.asarray(heat, dtype=np.uint8), mode="L")
        if heat_img.size != size:
            heat_img = heat_img.resize(size, Image.Resampling.BILINEAR)
        name = f"{safe_filename(image_id)}.png"
        heat_img.save(self.folder / name, optimize=False)
        self.rows.append({"image_id": image_id, "file": name, "sha256": file_sha256(self.folder / name),
                          "width": size[0], "height": size[1]})

    def close(self) -> None:
        write_csv(self.folder / INDEX, pd.DataFrame(self.rows, columns=COLUMNS))


def read_index(folder: Path) -> pd.DataFrame:
    """The store's index (no rows for a dataset without cue maps)."""
    return read_table(Path(folder) / INDEX, "cue-map index", dtype={"image_id": str, "file": str})


class CueMapStore:
    """The store opened once: its index read on opening, each cue map read and hash-checked
    the first time it is asked for, then kept (heat in [0, 1], float32, the image's H x W)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.index = read_index(self.folder).set_index("image_id")
        self._heat: dict[str, np.ndarray] = {}

    def __contains__(self, image_id: object) -> bool:
        return image_id in self.index.index

    def __len__(self) -> int:
        return len(self.index)

    def present(self, ids: list[str]) -> list[str]:
        """Those of `ids` the store holds, in order."""
        return [i for i in ids if i in self]

    def heat(self, image_id: str) -> np.ndarray:
        """The cue map of `image_id`; refused in one line when the store lacks it or its bytes changed."""
        if image_id not in self._heat:
            if image_id not in self:
                raise InputError(f"{self.folder}/{INDEX}: no cue map for image_id {image_id!r}; run dvc repro")
            row = self.index.loc[image_id]
            path = self.folder / str(row["file"])
            if Path(str(row["file"])).name != str(row["file"]) or not path.is_file():
                raise InputError(f"{self.folder}/{INDEX}: cue map {row['file']!r} of image_id {image_id!r} not found")
            if file_sha256(path) != row["sha256"]:
                raise InputError(f"{path}: cue map changed since ingest (hash differs from {INDEX}); run dvc repro")
            with Image.open(path) as img:
                self._heat[image_id] = np.asarray(img.convert("L"), dtype=np.float32) / 255.0
        return self._heat[image_id]


def read_cue_maps(folder: Path, ids: list[str]) -> dict[str, np.ndarray]:
    """Heat in [0, 1] (float32, the image's height x width) for each of `ids` the store holds;
    a file whose bytes differ from the index is refused."""
    store = CueMapStore(folder)
    return {i: store.heat(i) for i in store.present(ids)}
