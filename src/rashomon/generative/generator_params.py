"""The generator's settings (`counterfactual.generator`); the generator stage's params class lives with the
`counterfactual` section it reads (counterfactual/counterfactual_params.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from rashomon.core.config import Bounds, Count, NonNegative, Positive, Seed, Text


@dataclass(frozen=True)
class GeneratorConfig:
    family: Literal["autoencoder", "vae"]
    width: Count                   # channels of the first encoder conv (doubled at each downsampling)
    latent_channels: Count         # the latent is latent_channels x (size / 2^downsample)^2
    downsample: Annotated[int, Bounds(0, 16)]
    epochs: Count
    lr: Positive
    batch_size: Count
    beta: NonNegative              # VAE: weight of the KL term (unused by the autoencoder)
    n_val_images: Count            # training images held out to pick the best epoch
    plugin: Text | None            # "package.module:factory" (called with the image size): a better generator
    seed: Seed
