"""RichHF-18K (Liang et al., CVPR 2024): human scores and human-drawn artifact heatmaps for
Pick-a-Pic v1 images, read from the release's TFRecord files and the user's image folder.

`data.root` holds the record files (`train.tfrecord`, `dev.tfrecord`, `test.tfrecord`) and
`images/` (the Pick-a-Pic v1 files, found by each record's `filename`). The four scores map
onto the manifest's dimensions: authenticity <- artifact_score (plausibility: free of
artifacts), correspondence <- misalignment_score, quality <- aesthetics_score; overall_score
is kept as `overall`. Every record is checked before anything is written.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import pandas as pd
from PIL import Image

from rashomon.core.errors import InputError
from rashomon.data.manifest import image_id_problem, is_inside, validate_manifest
from rashomon.data.tfrecord import parse_example, read_records

SCORES = {"artifact_score": "authenticity", "misalignment_score": "correspondence",
          "aesthetics_score": "quality", "overall_score": "overall"}
SPLITS = ("train", "dev", "test")
HEATMAP_SIDE = 512
SOURCE_LABEL = "RichHF-18K (Liang et al. 2024): the images and scores are the dataset's, not ours"


def _float(features: dict, key: str, where: str) -> float:
    values = features.get(key)
    if not values or len(values) != 1 or not isinstance(values[0], float):
        raise InputError(f"{where}: feature {key!r} is missing or not one float")
    if not math.isfinite(values[0]):
        raise InputError(f"{where}: {key} is {values[0]} (not finite)")
    return float(values[0])


def _bytes(features: dict, key: str, where: str) -> bytes:
    values = features.get(key)
    if not values or len(values) != 1 or not isinstance(values[0], bytes):
        raise InputError(f"{where}: feature {key!r} is missing or not one bytes value")
    return values[0]


def decode_heatmap(data: bytes, where: str) -> np.ndarray:
    """An encoded single-channel heatmap image as uint8 (512 x 512), refused in one line otherwise."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            if img.mode not in ("L", "P", "I;16", "I", "1"):
                raise InputError(f"{where}: heatmap is {img.mode}, not a single-channel image")
            heat = np.asarray(img.convert("L"))
    except InputError:
        raise
    except Exception as exc:   # PIL raises many types for undecodable bytes
        raise InputError(f"{where}: heatmap cannot be decoded ({type(exc).__name__})") from None
    if heat.shape != (HEATMAP_SIDE, HEATMAP_SIDE):
        raise InputError(f"{where}: heatmap is {heat.shape[1]} x {heat.shape[0]}, not {HEATMAP_SIDE} x {HEATMAP_SIDE}")
    return heat


def read_split(path: Path, images: Path, split: str, heatmap_key: str) -> Iterator[tuple[dict, np.ndarray]]:
    """(manifest row, heatmap) per record of one record file, in order; the first bad record
    is refused naming the file and its index."""
    for index, payload in enumerate(read_records(path)):
        where = f"{path}: record {index}"
        try:
            features = parse_example(payload)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InputError(f"{where}: not a tf.train.Example ({exc})") from None
        name = _bytes(features, "filename", where).decode("utf-8", "replace")
        image_id = Path(name).stem
        problem = image_id_problem(image_id) or (None if Path(name).name == name else "contains a folder")
        if problem:
            raise InputError(f"{where}: filename {name!r} {problem}")
        image = images / name
        if not image.is_file() or not is_inside(image, images):
            raise InputError(f"{where}: image {name!r} not found in {images}")
        row = {"image_id": image_id, "path": str(image), "dataset_split": split, "record": f"{path.name}:{index}"}
        for key, column in SCORES.items():
            row[column] = _float(features, key, where)
        yield row, decode_heatmap(_bytes(features, heatmap_key, where), where)


def load_richhf18k(folder: Path, records: dict[str, str], images: str, heatmap: str,
                   rating_range: tuple[float, float], min_image_side: int, max_image_pixels: int,
                   sink: Callable[[str, str, np.ndarray], None]) -> pd.DataFrame:
    """The manifest of every record of the three files, each heatmap handed to `sink` as it
    is read (memory stays at one heatmap); a missing feature, non-finite score, undecodable or
    wrong-size heatmap, missing image or duplicated filename is refused in one line."""
    from rashomon.data.images import check_image_size

    image_folder = folder / images
    if not image_folder.is_dir():
        raise InputError(f"{image_folder}: no image folder (data.richhf18k.images) in data.root")
    rows, seen = [], {}
    for split in SPLITS:
        path = folder / records[split]
        if not path.is_file() or not is_inside(path, folder):
            raise InputError(f"{path}: record file for the {split} split not found in data.root "
                             f"(data.richhf18k.records.{split})")
        for row, heat in read_split(path, image_folder, split, heatmap):
            if row["image_id"] in seen:
                raise InputError(f"{path}: record {row['record'].rsplit(':', 1)[1]}: filename of image_id "
                                 f"{row['image_id']!r} duplicates {seen[row['image_id']]}")
            seen[row["image_id"]] = row["record"]
            rows.append(row)
            try:   # before the cue map is resized to the image: a huge image is refused first
                check_image_size(row["path"], min_image_side, max_image_pixels)
            except InputError as exc:
                raise InputError(f"{path}: record {row['record'].rsplit(':', 1)[1]}: {exc}") from exc
            sink(row["image_id"], row["path"], heat)
    if not rows:
        raise InputError(f"{folder}: the record files hold no records")
    frame = pd.DataFrame(rows)
    frame.insert(2, "generator", "Pick-a-Pic v1")
    frame.insert(3, "prompt_index", np.arange(len(frame)))   # no prompts in the release: one per image
    frame.insert(4, "challenge", "Pick-a-Pic")
    frame.insert(5, "category", "Pick-a-Pic")
    return validate_manifest(frame, str(folder), rating_range=rating_range, image_root=folder,
                             min_image_side=min_image_side, max_image_pixels=max_image_pixels)
