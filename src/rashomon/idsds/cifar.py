"""CIFAR-100 python-pickle release (`cifar-100-python/{train,test,meta}`), and a
synthetic stand-in written in exactly that format for the embedded default."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np

from rashomon.data.synthetic import COLOURS, OBJECT_CLASSES, degrade_global
from rashomon.data.synthetic import shape_mask   # the default's object shapes, drawn upright here
from rashomon.core.errors import InputError
from rashomon.core.io import atomic_path

CIFAR100_MEAN = (0.5071, 0.4867, 0.4408)
CIFAR100_STD = (0.2675, 0.2565, 0.2761)
SYNTHETIC_MARKER = "SYNTHETIC.txt"
SYNTHETIC_CIFAR_LABEL = "SYNTHETIC classification data in CIFAR-100 format, not CIFAR-100"


def is_synthetic_cifar(folder: str | os.PathLike) -> bool:
    """Whether `folder` was written by `make_synthetic_cifar` (the embedded default)."""
    return (Path(folder) / SYNTHETIC_MARKER).is_file()


# What the CIFAR-100 python format holds besides dicts, lists, str/bytes and numbers:
# numpy arrays (pickled as _reconstruct + ndarray + dtype). Nothing else may be built.
_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("_codecs", "encode"),   # how Python 3 pickles bytes at protocol 2 (a pure text codec)
}


class _CifarUnpickler(pickle.Unpickler):
    """An unpickler that builds only what the CIFAR-100 format holds: data, never code."""

    def find_class(self, module: str, name: str):  # noqa: D102 (pickle's hook)
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refused to load {module}.{name}: not part of the CIFAR-100 format")


def _unpickle(path: Path) -> dict:
    """One CIFAR-100 python file, read with the restricted unpickler."""
    if not path.is_file():
        raise InputError(f"{path}: CIFAR file not found (expected cifar-100-python/{{train,test,meta}})")
    try:
        with open(path, "rb") as fh:
            data = _CifarUnpickler(fh, encoding="bytes").load()
    except Exception as exc:  # pickle raises many types on corrupt or hostile input
        why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{path}: not a readable CIFAR pickle ({why})") from exc
    if not isinstance(data, dict):
        raise InputError(f"{path}: not a CIFAR pickle (top level is {type(data).__name__}, not a dict)")
    return data


def _key(d: dict, name: str, path: Path):
    for k in (name.encode(), name):
        if k in d:
            return d[k]
    raise InputError(f"{path}: key {name!r} missing; keys: {[k.decode() if isinstance(k, bytes) else k for k in d]}")


def load_split(folder: str | os.PathLike, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, 32, 32, 3) uint8 and fine labels (N,) of `train` or `test`."""
    folder = Path(folder)
    root = folder / "cifar-100-python" if (folder / "cifar-100-python").is_dir() else folder
    path = root / split
    d = _unpickle(path)
    data = np.asarray(_key(d, "data", path), dtype=np.uint8)
    labels = np.asarray(_key(d, "fine_labels", path), dtype=np.int64)
    if data.ndim != 2 or data.shape[1] != 3072:
        raise InputError(f"{path}: data has shape {data.shape}, expected (N, 3072)")
    if len(labels) != len(data):
        raise InputError(f"{path}: {len(labels)} labels for {len(data)} images")
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), labels


def load_label_names(folder: str | os.PathLike) -> list[str]:
    folder = Path(folder)
    root = folder / "cifar-100-python" if (folder / "cifar-100-python").is_dir() else folder
    names = _key(_unpickle(root / "meta"), "fine_label_names", root / "meta")
    return [n.decode() if isinstance(n, bytes) else str(n) for n in names]


def write_split(root: Path, split: str, images: np.ndarray, labels: np.ndarray) -> None:
    """Write (N, 32, 32, 3) uint8 images in the release's pickle layout."""
    root.mkdir(parents=True, exist_ok=True)
    data = images.transpose(0, 3, 1, 2).reshape(len(images), -1)
    with open(root / split, "wb") as fh:
        pickle.dump({b"data": data, b"fine_labels": [int(x) for x in labels],
                     b"filenames": [f"{split}_{i}.png".encode() for i in range(len(images))]}, fh)


def write_meta(root: Path, names: list[str]) -> None:
    with open(root / "meta", "wb") as fh:
        pickle.dump({b"fine_label_names": [n.encode() for n in names]}, fh)


MAX_TILT = 0.26   # radians (15 degrees): upright enough that a square is not a diamond


def render_object(rng: np.random.Generator, size: int, obj: str, colour: str) -> np.ndarray:
    """One object filling about a third of a flat background, tilted at most MAX_TILT, with
    light pixel noise: a task small CIFAR models learn in a few hundred SGD steps (the
    default's scenes, textured and freely rotated, left them at chance)."""
    img = np.broadcast_to(rng.uniform(0.15, 0.85, 3), (size, size, 3)).astype(np.float32).copy()
    cx, cy = rng.uniform(0.4, 0.6, 2)
    mask = shape_mask(obj, size, cx, cy, rng.uniform(0.28, 0.36), rng.uniform(-MAX_TILT, MAX_TILT))
    img[mask] = np.asarray(COLOURS[colour], dtype=np.float32)
    return np.clip(img + rng.normal(0, 0.03, img.shape), 0, 1).astype(np.float32)


def make_synthetic_cifar(folder: str | os.PathLike, n_train: int, n_test: int, seed: int) -> None:
    """SYNTHETIC 32 px object images (8 classes: the default's shapes) in the CIFAR-100
    pickle format, so the real loader is the code path under test. Not CIFAR-100."""

    rng = np.random.default_rng(seed)
    colours = list(COLOURS)

    def images(n):
        labels = rng.integers(0, len(OBJECT_CLASSES), n)
        out = np.empty((n, 32, 32, 3), dtype=np.uint8)
        for i in range(n):
            img = render_object(rng, 32, OBJECT_CLASSES[labels[i]], colours[rng.integers(len(colours))])
            out[i] = (degrade_global(rng, img, rng.uniform(0, 0.3)) * 255).round()
        return out, labels

    with atomic_path(Path(folder), is_dir=True) as tmp:
        root = tmp / "cifar-100-python"
        for split, n in (("train", n_train), ("test", n_test)):
            write_split(root, split, *images(n))
        write_meta(root, list(OBJECT_CLASSES))
        (tmp / SYNTHETIC_MARKER).write_text(SYNTHETIC_CIFAR_LABEL + "\n")
