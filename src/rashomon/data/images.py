"""Image files: ingest checks (exists, intact, decodable, large enough) and decoding any
mode PIL opens to the 8-bit RGB the models' preprocessing reads."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
from PIL import Image

from rashomon.core.errors import InputError

SIXTEEN_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N")  # unsigned 16-bit grey: value / 65535
HIGH_BIT_MODES = (*SIXTEEN_BIT_MODES, "I", "F")          # grey that convert("RGB") would clip to 255


def _reason(exc: BaseException) -> str:
    """The first line of an exception, for a one-line message."""
    lines = str(exc).splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


@contextlib.contextmanager
def _decoding(path: str | Path) -> Iterator[None]:
    """Turn whatever a decoder raises on a malformed file into one InputError line naming it."""
    try:
        yield
    except (InputError, MemoryError):
        raise
    except Exception as exc:  # a malformed file can make PIL's decoders raise almost anything
        raise InputError(f"image file {path} is unreadable or corrupt ({_reason(exc)})") from exc


def _grey_unit(im: Image.Image, path: str | Path) -> np.ndarray:
    """A high-bit grey image as floats in [0, 1]: 16-bit / 65535; 32-bit int (I) / 65535 when
    its maximum is at most 65535 (16-bit data PIL widened), else / (2**31 - 1); float (F) as is,
    refused outside [0, 1]; negative integers refused."""
    values = np.asarray(im)
    if im.mode in SIXTEEN_BIT_MODES:
        return values.astype(np.float64) / 65535.0
    lo, hi = (float(values.min()), float(values.max())) if values.size else (0.0, 0.0)
    if im.mode == "F":
        if not (np.isfinite(values).all() and lo >= 0.0 and hi <= 1.0):
            raise InputError(f"image file {path}: float (mode F) pixels span [{lo:g}, {hi:g}], expected [0, 1]")
        return values.astype(np.float64)
    if lo < 0:
        raise InputError(f"image file {path}: 32-bit integer (mode I) pixels are negative (minimum {lo:g})")
    return values.astype(np.float64) / (65535.0 if hi <= 65535 else float(2**31 - 1))


def to_rgb(im: Image.Image, path: str | Path) -> Image.Image:
    """8-bit RGB of an image of any mode: 8-bit modes (1, L, P, LA, PA, RGB, RGBA, CMYK, ...)
    by PIL's convert (8-bit RGB bytes pass unchanged); 16-bit, 32-bit int and float grey
    scaled to [0, 1] and rounded to 8 bits (convert would clip them to white). Alpha is
    dropped, not composited: the colour channels are kept as stored."""
    if im.mode in HIGH_BIT_MODES:
        grey = np.round(_grey_unit(im, path) * 255.0).astype(np.uint8)
        return Image.fromarray(np.repeat(grey[..., None], 3, axis=2))
    return im.convert("RGB")


def load_rgb(path: str | Path) -> Image.Image:
    """Open an image file as 8-bit RGB (see `to_rgb`); one InputError naming the file if it
    cannot be decoded."""
    with _decoding(path), Image.open(path) as im:
        return to_rgb(im, path)


def load_rgb_array(path: str | Path) -> np.ndarray:
    """An image file as float32 RGB (H, W, 3) in [0, 1], exactly what the models' preprocessing sees."""
    return np.asarray(load_rgb(path), dtype=np.float32) / 255.0


def check_image_size(path: str | Path, min_side: int, max_pixels: int) -> None:
    """The header's width x height against the bounds, before any pixel is decoded (a huge
    image is refused before it takes memory: decoding needs at least 3 bytes a pixel)."""
    try:
        with _decoding(path), Image.open(path) as im:   # reads the header only
            width, height = im.size
    except InputError as exc:
        if isinstance(exc.__cause__, Image.DecompressionBombError):   # over PIL's own limit (179 Mpx)
            raise InputError(f"image file {path} has more pixels than PIL opens ({exc.__cause__}): more than "
                             f"data.max_image_pixels ({max_pixels / 1e6:g} Mpx)") from exc
        raise
    if min(width, height) < min_side:
        raise InputError(f"image file {path} is {width}x{height} px: its shorter side is below "
                         f"data.min_image_side ({min_side} px); small images are refused, never upscaled")
    if width * height > max_pixels:
        raise InputError(f"image file {path} is {width}x{height} px ({width * height / 1e6:.1f} Mpx): more than "
                         f"data.max_image_pixels ({max_pixels / 1e6:g} Mpx); downscale it or raise the limit")


def _verify(path: Path) -> None:
    """PIL's integrity check (header and chunk checksums)."""
    with _decoding(path), Image.open(path) as im:
        im.verify()


def check_image_files(paths: Sequence[str], source: str, min_side: int, max_pixels: int) -> None:
    """Fail on the first missing, too small, too large, corrupt or undecodable image, naming
    it: the size is read from the header, then the file verified and decoded as training will."""
    for p in paths:
        path = Path(p)
        if not path.is_file():
            raise InputError(f"{source}: image file {path} does not exist")
        try:
            check_image_size(path, min_side, max_pixels)
            _verify(path)
            load_rgb(path)
        except InputError as exc:
            raise InputError(f"{source}: {exc}") from exc


def load_mask(path: str | Path) -> np.ndarray:
    """A ground-truth cue mask as a float array in [0, 1]."""
    with Image.open(path) as im:
        return np.asarray(im.convert("L"), dtype=np.float32) / 255.0
