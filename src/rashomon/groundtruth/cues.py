"""The dataset's cue maps on the models' grids: the one source every ground-truth score reads,
the simulator's masks (binary: heat > 0.5) and human heatmaps alike. Each file is read once
and each placement on a grid made once (read-only arrays: shared between callers)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rashomon.backbones.geometry import Grid, heat_on_grid, mask_on_grid
from rashomon.data.cue_maps import CueMapStore


class CueMaps:
    """The cue-map store of `folder`, placed on grids on demand."""

    def __init__(self, folder: Path) -> None:
        self.store = CueMapStore(folder)
        self._placed: dict[tuple[str, Grid, bool], np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.store)

    def present(self, ids: list[str]) -> list[str]:
        """Those of `ids` that have a cue map, in order."""
        return self.store.present(ids)

    def image_space(self, image_id: str) -> np.ndarray:
        """Heat in [0, 1] at the image's resolution."""
        return self.store.heat(image_id)

    def _on(self, image_id: str, grid: Grid, binary: bool) -> np.ndarray:
        key = (image_id, grid, binary)
        if key not in self._placed:
            placed = (mask_on_grid if binary else heat_on_grid)(self.store.heat(image_id), grid)
            placed.setflags(write=False)
            self._placed[key] = placed
        return self._placed[key]

    def masks(self, ids: list[str], grid: Grid) -> np.ndarray:
        """Binary cue masks (N, S, S) of `ids` on `grid`; every id must have a cue map."""
        return np.stack([self._on(i, grid, True) for i in ids])

    def heats(self, ids: list[str], grid: Grid) -> dict[str, np.ndarray]:
        """Continuous heat (S, S, float64) on `grid` of those of `ids` that have a cue map."""
        return {i: self._on(i, grid, False) for i in self.present(ids)}
