"""Fixtures in the real on-disk formats (never downloaded)."""

from __future__ import annotations

import os

# Before numpy and torch load (here, and in every stage the tests start): OpenMP threads
# that wait for work sleep instead of spinning. Two xdist workers with two threads each on
# two cores otherwise spin against each other: a tiny head's fit took 7.5 s instead of 0.9 s.
# Only how idle threads wait changes, never a result.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import scipy.io  # noqa: E402
from PIL import Image  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def make_aigciqa_folder(
    root: Path, n_prompts: int = 3, n_models: int = 2, reps: int = 4, score_format: str = "mat",
    image_dir: str = "Image/allimg", seed: int = 0, size: int = 32,
) -> Path:
    """A tiny AIGCIQA2023-format folder: numbered PNGs, MOS/SD files, prompts xlsx."""
    rng = np.random.default_rng(seed)
    n = n_prompts * n_models * reps
    (root / image_dir).mkdir(parents=True)
    for i in range(n):
        Image.fromarray(rng.integers(0, 255, (size, size, 3), dtype=np.uint8)).save(root / image_dir / f"{i}.png")
    (root / "DATA/MOS").mkdir(parents=True)
    (root / "DATA/STD").mkdir(parents=True)
    for k in (1, 2, 3):
        mos = rng.uniform(20, 80, n)
        if score_format == "mat":
            scipy.io.savemat(root / f"DATA/MOS/mosz{k}.mat", {"MOSz": mos[:, None]})
        else:
            np.savetxt(root / f"DATA/MOS/moz{k}.txt", mos)
        scipy.io.savemat(root / f"DATA/STD/SD{k}.mat", {"SD": rng.uniform(5, 15, (n, 1))})
    challenges = ["Basic", "Imagination", "Complex", "Style & Format", "Quantity"]
    pd.DataFrame({
        "challenge": [challenges[p % len(challenges)] for p in range(n_prompts)],
        "category": ["Illustrations" if p % 2 else "Animals" for p in range(n_prompts)],
        "prompt": [f"prompt number {p}" for p in range(n_prompts)],
    }).to_excel(root / "AIGCIQA2023_Prompts.xlsx", header=False, index=False)
    return root


@pytest.fixture
def aigciqa_folder(tmp_path: Path) -> Path:
    return make_aigciqa_folder(tmp_path / "AIGCIQA2023")


def repo_params():
    """The repository's params.yaml as typed config (the values the default runs with)."""
    from rashomon.core.config import load_params

    return load_params(REPO / "params.yaml")


def config(section: str, **overrides):
    """One typed params section from the repository's params.yaml, with overrides."""
    import dataclasses

    return dataclasses.replace(getattr(repo_params(), section), **overrides)


def pytest_collection_modifyitems(items: list) -> None:
    """End-to-end DVC tests first (longest first), so two xdist workers (`--dist
    worksteal`) start them at once and share the short tests: the suite's wall time."""
    order = {"test_pipeline_reproducible.py": 0, "test_pipeline_models.py": 1, "test_pipeline_real_data.py": 2,
             "test_pipeline_study.py": 3, "test_plugins.py": 3, "test_pipeline_foundation.py": 4}
    items.sort(key=lambda item: (order.get(item.path.name, 5), 0 if item.get_closest_marker("slow") else 1))
