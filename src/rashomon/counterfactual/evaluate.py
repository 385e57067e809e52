"""What the counterfactual edits achieved, and how they agree with the twins and other maps."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from rashomon.psychometrics.correlation import pearson

DIRECTION_NAMES = ("lower", "raise")
TWINS_SKIPPED = "no artifact-free twins: only the synthetic default can compare the raising edit with one"


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two arrays (NaN if either is all zero)."""
    a, b = a.ravel().astype(np.float64), b.ravel().astype(np.float64)
    norm = np.linalg.norm(a) * np.linalg.norm(b)
    return float(a @ b / norm) if norm > 0 else float("nan")


def twin_cosine(edited_raise: np.ndarray, rgb: np.ndarray, twin: np.ndarray) -> np.ndarray:
    """Per model (M,): cosine of the raising edit (I' - I) with the artifact removal
    (twin - I), over pixels and channels. 1: the edit removes the artifact exactly."""
    removal = twin - rgb
    return np.array([cosine(e - rgb, removal) for e in edited_raise])


def edit_table(ids: Sequence[str], models: Sequence[str], info: Mapping[str, np.ndarray], architecture: str,
               change: float) -> pd.DataFrame:
    """One row per image x model x direction: target, achieved change, success, edit size, step."""
    rows = []
    for i, image_id in enumerate(ids):
        for m, model in enumerate(models):
            for d, direction in enumerate(DIRECTION_NAMES):
                rows.append({"architecture": architecture, "model": model, "image_id": image_id,
                             "direction": direction, "start": float(info["start"][i, m]),
                             "target_change": change * (1 if direction == "raise" else -1),
                             "achieved_change": float(info["achieved"][i, m, d]),
                             "reached": bool(info["reached"][i, m, d]),
                             "edit_size": float(info["edit_size"][i, m, d]), "step": int(info["steps"][i, m, d])})
    return pd.DataFrame(rows)


def summary(table: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Per direction: success rate, mean |achieved change| and edit size, failures counted."""
    out = {}
    for direction, g in table.groupby("direction", sort=False):
        out[direction] = {"success_rate": float(g["reached"].mean()), "n_failed": int((~g["reached"]).sum()),
                          "achieved_change_mean": float(g["achieved_change"].mean()),
                          "edit_size_mean": float(g["edit_size"].mean())}
    return out


def map_agreement(maps: np.ndarray, ids: Sequence[str], other: np.ndarray, other_ids: Sequence[str]) -> float:
    """Mean over shared images of the Pearson correlation of the two methods' prototypes
    (variant means); NaN when no image is shared."""
    where = {str(i): k for k, i in enumerate(other_ids)}
    rs = [pearson(maps[i].astype(np.float64).mean(0).ravel(),
                  other[where[image_id]].astype(np.float64).mean(0).ravel())
          for i, image_id in enumerate(ids) if image_id in where]
    return float(np.nanmean(rs)) if rs and not np.all(np.isnan(rs)) else float("nan")
