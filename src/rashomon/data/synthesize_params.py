"""The `synthetic` section: the embedded default dataset's generative model (stage synthesize)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from rashomon.core.config import DIMENSIONS, Bounds, Count, Distinct, NonNegative, Probability, Seed
from rashomon.core.errors import InputError


@dataclass(frozen=True)
class SyntheticConfig:
    n_prompts: Count
    reps: Count
    n_generators: Count
    image_size: Count
    n_raters: Annotated[int, Bounds(2, why="split-half reliability needs two raters")]
    seed: Seed
    w_global: float                # latent authenticity = w_global * quality + w_local * (-artifact)
    w_local: float
    signal_sd: NonNegative         # Likert SD of the true-score signal
    noise_sd: dict[str, NonNegative]   # per-dimension rater noise SD
    halo: Probability              # share of a rater's noise shared across dimensions
    artifact_fraction: Probability
    mismatch_fraction: Probability
    excluded_challenges: Distinct[str]  # challenges whose prompts get `excluded_offset`
    excluded_offset: float
    population_raters: Annotated[int, Bounds(2, why="the population MOS needs two raters")]

    def __post_init__(self) -> None:
        if set(self.noise_sd) != set(DIMENSIONS):
            raise InputError(f"params.yaml: synthetic.noise_sd needs exactly the keys {list(DIMENSIONS)}, "
                             f"got {sorted(self.noise_sd)}")
