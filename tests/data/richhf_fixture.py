"""A tiny RichHF-18K folder in the release's on-disk format, written with the `tfrecord`
package's writer (the reader under test is our own): three record files of tf.train.Example
and the Pick-a-Pic images they name (never downloaded)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

SPLIT_SIZES = {"train": 6, "dev": 2, "test": 3}


def heatmap_png(heat: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(heat.astype(np.uint8), mode="L").save(buf, format="PNG")
    return buf.getvalue()


def record_features(filename: str, scores: dict[str, float], artifact: bytes, misalignment: bytes) -> dict:
    """One record's features as the release has them (the package's (value, dtype) form)."""
    return {"filename": (filename.encode(), "byte"),
            **{key: (value, "float") for key, value in scores.items()},
            "artifact_map": (artifact, "byte"), "misalignment_map": (misalignment, "byte"),
            "prompt_misalignment_label": (b"0 1 0", "byte")}


def write_records(path: Path, features: list[dict]) -> None:
    """A TFRecord file of these examples, written by the `tfrecord` package."""
    from tfrecord.writer import TFRecordWriter

    writer = TFRecordWriter(str(path))
    for feature in features:
        writer.write(feature)
    writer.close()


def make_richhf_folder(root: Path, size: int = 64, seed: int = 0,
                       split_sizes: dict[str, int] | None = None) -> dict[str, list[dict]]:
    """Write `root/{train,dev,test}.tfrecord` and `root/images/*.png`; each image has a dark
    blob that its artifact heatmap marks (every fifth heatmap empty: nobody marked anything).
    Returns what was written per split (filename, scores, heat, features) for the tests."""
    rng = np.random.default_rng(seed)
    (root / "images").mkdir(parents=True, exist_ok=True)
    written: dict[str, list[dict]] = {}
    index = 0
    for split, n in (split_sizes or SPLIT_SIZES).items():
        written[split] = []
        for _ in range(n):
            name = f"{index:08d}-{rng.integers(1e6):06d}.png"
            cx, cy, r = (int(v) for v in rng.integers([12, 12, 5], [size - 12, size - 12, 10]))
            img = Image.fromarray(rng.integers(90, 200, (size, size, 3), dtype=np.uint8))
            ImageDraw.Draw(img).ellipse([cx - r, cy - r, cx + r, cy + r], fill=(20, 20, 20))
            img.save(root / "images" / name)
            yy, xx = np.mgrid[0:512, 0:512] * (size / 512)
            heat = np.clip(255 * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r ** 2)), 0, 255).round()
            heat[heat < 20] = 0
            if index % 5 == 4:
                heat[:] = 0   # nobody marked an artifact
            scores = {"aesthetics_score": float(rng.uniform(0, 1)), "artifact_score": float(rng.uniform(0, 1)),
                      "misalignment_score": float(rng.uniform(0, 1)), "overall_score": float(rng.uniform(0, 1))}
            features = record_features(name, scores, heatmap_png(heat), heatmap_png(np.zeros((512, 512))))
            written[split].append({"filename": name, "scores": scores, "heat": heat.astype(np.uint8),
                                   "features": features})
            index += 1
        write_records(root / f"{split}.tfrecord", [r["features"] for r in written[split]])
    return written
