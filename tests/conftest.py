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
    from rashomon.params import load_all_params

    return load_all_params(REPO / "params.yaml")


def config(section: str, **overrides):
    """One typed params section from the repository's params.yaml, with overrides."""
    import dataclasses

    return dataclasses.replace(getattr(repo_params(), section), **overrides)


# `--dist worksteal` first gives each of the two workers one contiguous half of the collection,
# then lets an idle worker steal from the other's tail. So the order puts one worker on the
# tests that share the session's pipeline (the first builds it) and the other on the long
# independent end-to-end tests, the vector-unit rerun (shared; built by the time it starts)
# after them; short tests fill both halves and are stolen as workers free up.
SHARED_CHAIN = ("test_pixels_rerun_exactly_their_dependents", "test_full_repro_then_experiment_with_more_seeds",
                "test_a_new_method_and_a_new_family_are_one_file_each",
                "test_splits_that_do_not_match_the_feature_cache_stop_train",
                "test_the_richhf18k_preset_runs_to_the_human_ground_truth_in_the_report")
INDEPENDENT = ("test_the_study_preset_reaches_the_report_with_mixed_input_sizes",
               "test_readme_real_data_settings_reach_the_report_with_every_section_labelled",
               "test_repro_runs_once_and_reruns_only_dependents",
               "test_reruns_on_another_vector_unit_are_bit_for_bit_and_a_kill_leaves_no_trace")


def pytest_collection_modifyitems(items: list) -> None:
    """Order for two xdist workers (see above): the suite's wall time."""
    def pick(names):
        return [i for n in names for i in items if i.originalname == n]

    chain, independent = pick(SHARED_CHAIN), pick(INDEPENDENT)
    rest = [i for i in items if i not in chain and i not in independent]
    rest.sort(key=lambda item: 0 if item.path.parent.name == "pipeline" else 1)   # other DVC tests early
    half = max(0, len(items) // 2 - len(chain))
    items[:] = chain + rest[:half] + independent + rest[half:]
