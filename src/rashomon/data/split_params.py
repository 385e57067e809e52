"""The `split` section and the params the split stage reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from rashomon.core.config import Bounds, Count, DataConfig, Determinism, Dimension, OpenFraction, Seed
from rashomon.core.errors import InputError


@dataclass(frozen=True)
class SplitConfig:
    scheme: Literal["monte_carlo", "dataset"]   # dataset: the dataset's own test split is the fixed test set
    seed: Seed
    n_variants: Count
    n_bins: Count
    stratify_on: Dimension
    exp1_fractions: list[OpenFraction]   # train, val, test
    exp3_test_fraction: OpenFraction
    exp3_val_fraction: OpenFraction
    stacking_folds: Annotated[int, Bounds(2, why="k-fold needs two folds")]

    def __post_init__(self) -> None:
        f = self.exp1_fractions
        if len(f) != 3 or abs(sum(f) - 1.0) > 1e-6:
            raise InputError(f"params.yaml: split.exp1_fractions must be 3 shares (train, val, test) that sum to 1, "
                             f"got {f} (sum {sum(f):.6g})")
        test, val = self.exp3_test_fraction, self.exp3_val_fraction
        if test + val >= 1.0:
            raise InputError(f"params.yaml: split.exp3_test_fraction ({test:g}) + split.exp3_val_fraction ({val:g}) "
                             "leaves no training images: the train, val and test shares must be positive and sum to 1")


@dataclass(frozen=True)
class SplitParams:
    """The sections the split stage reads (its `params:` in dvc.yaml)."""

    data: DataConfig
    split: SplitConfig
    determinism: Determinism
