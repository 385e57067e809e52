"""The feature cache: one pass of a frozen backbone over every image.

Per architecture a folder holds `target.npy` (target-layer activations), `side{k}.npy`
(side inputs the tail needs), both float16 by default, `embedding.npy` (float32, from
the full-precision pass) and `meta.json` (image ids, manifest hash, the float16 error).
Arrays are written through memory maps batch by batch, so memory stays bounded.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from torch.utils.data import DataLoader
from tqdm import tqdm

from rashomon.backbones.preprocess import ImageFiles
from rashomon.backbones.registry import Backbone
from rashomon.core.device import CPU, to_device
from rashomon.core.errors import InputError
from rashomon.core.io import atomic_path, read_json, write_json

# the embedding recomputed from the cache may differ by at most this share of its largest value
MAX_CACHE_ERROR = 0.05


def extract_features(
    backbone: Backbone, image_ids: Sequence[str], paths: Sequence[str], out_dir: str | os.PathLike,
    manifest_hash: str, batch_size: int = 64, dtype: str = "float16", num_workers: int = 0,
    device: torch.device = CPU,
) -> dict:
    """Run the stem once per image on `device`; cache its outputs and the pooled embedding."""
    np_dtype = np.dtype(dtype)
    loader = DataLoader(ImageFiles(paths, backbone.spec), batch_size=batch_size, num_workers=num_workers)
    n = len(paths)
    max_rel_err = 0.0
    backbone.to(device)
    with atomic_path(out_dir, is_dir=True) as tmp:
        arrays: list[np.memmap] = []
        emb: np.memmap | None = None
        start = 0
        with torch.no_grad():
            for x in tqdm(loader, desc=f"features {backbone.spec.name}", unit="batch", mininterval=2):
                outs = backbone.stem(x.to(device))
                e = backbone.tail(*outs)
                if not arrays:
                    names = ["target.npy"] + [f"side{k}.npy" for k in range(1, len(outs))]
                    arrays = [np.lib.format.open_memmap(tmp / nm, mode="w+", dtype=np_dtype, shape=(n, *o.shape[1:]))
                              for nm, o in zip(names, outs)]
                    emb = np.lib.format.open_memmap(tmp / "embedding.npy", mode="w+", dtype=np.float32,
                                                    shape=(n, e.shape[1]))
                stop = start + len(x)
                stored = [o.cpu().numpy().astype(np_dtype) for o in outs]
                for arr, o in zip(arrays, stored):
                    arr[start:stop] = o
                emb[start:stop] = e.cpu().numpy()
                # the cache's own error: the embedding recomputed from the stored precision
                e_cached = backbone.tail(*to_device([torch.from_numpy(o).float() for o in stored], device))
                denom = float(e.abs().max()) or 1.0
                max_rel_err = max(max_rel_err, float((e_cached - e).abs().max()) / denom)
                start = stop
        for arr in [*arrays, emb]:
            arr.flush()
        del arrays, emb
        if not max_rel_err <= MAX_CACHE_ERROR:   # NaN included
            raise InputError(
                f"{out_dir}: {backbone.spec.name}'s target-layer activations do not survive {dtype} (the embedding "
                f"recomputed from the cache is off by {max_rel_err:.0%} of its largest value; largest activation "
                f"{max(float(np.abs(o).max()) for o in stored):.2g}): set backbones.cache_dtype: float32, and check "
                f"the weights (untrained or random weights can under- or overflow)")
        meta = {
            "architecture": backbone.spec.name, "target_layer": backbone.spec.target_layer,
            "image_ids": list(image_ids), "manifest_hash": manifest_hash, "dtype": dtype,
            "n_side_inputs": len(outs) - 1, "cache_max_relative_error": max_rel_err,
        }
        write_json(tmp / "meta.json", meta)
    return meta


class FeatureCache:
    """Read side of the cache, refusing a cache built for another image set."""

    def __init__(self, folder: str | os.PathLike, manifest_hash: str | None = None):
        self.folder = Path(folder)
        if not (self.folder / "meta.json").is_file():
            raise InputError(f"{self.folder}: no feature cache here (run the features stage)")
        self.meta = read_json(self.folder / "meta.json")
        if manifest_hash is not None and self.meta["manifest_hash"] != manifest_hash:
            raise InputError(
                f"{self.folder}: feature cache was built for a different image set (manifest hash "
                f"{self.meta['manifest_hash']} != {manifest_hash}); rerun the features stage")
        self.ids = [str(i) for i in self.meta["image_ids"]]
        self.index = {i: k for k, i in enumerate(self.ids)}

    def rows(self, ids: Sequence[str]) -> np.ndarray:
        missing = [i for i in ids if i not in self.index]
        if missing:
            raise InputError(f"{self.folder}: image(s) {missing[:5]} are not in the feature cache")
        return np.asarray([self.index[i] for i in ids])

    def embedding(self, ids: Sequence[str] | None = None) -> np.ndarray:
        arr = np.load(self.folder / "embedding.npy", mmap_mode="r")
        return np.asarray(arr if ids is None else arr[self.rows(ids)])

    def stem_outputs(self, ids: Sequence[str]) -> list[torch.Tensor]:
        """Cached (target, *side) for `ids`, as float32 tensors."""
        rows = self.rows(ids)
        names = ["target.npy"] + [f"side{k}.npy" for k in range(1, self.meta["n_side_inputs"] + 1)]
        return [torch.from_numpy(np.asarray(np.load(self.folder / nm, mmap_mode="r")[rows], dtype=np.float32))
                for nm in names]
