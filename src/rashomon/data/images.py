"""Image files: existence/readability checks and loading into model tensors."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
from PIL import Image, UnidentifiedImageError

from rashomon.errors import InputError


def check_image_files(paths: Sequence[str], source: str) -> None:
    """Fail on the first missing or corrupt image, naming it (header+data verified)."""
    for p in paths:
        path = Path(p)
        if not path.is_file():
            raise InputError(f"{source}: image file {path} does not exist")
        try:
            with Image.open(path) as im:
                im.verify()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise InputError(f"{source}: image file {path} is unreadable or corrupt ({exc})") from exc


def load_rgb(path: str | Path) -> Image.Image:
    """Open an image as RGB, with a clear error if it cannot be decoded."""
    try:
        with Image.open(path) as im:
            return im.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise InputError(f"image file {path} is unreadable or corrupt ({exc})") from exc


def load_mask(path: str | Path) -> np.ndarray:
    """A ground-truth cue mask as a float array in [0, 1]."""
    with Image.open(path) as im:
        return np.asarray(im.convert("L"), dtype=np.float32) / 255.0
