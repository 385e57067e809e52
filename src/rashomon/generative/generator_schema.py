"""Schema of metrics/generator.json: what the generator stage writes and the report reads.
(No `from __future__ import annotations`: TypedDict must see NotRequired at class creation.)"""

from typing import NotRequired, TypedDict


class HeldOut(TypedDict):
    psnr_db_mean: float
    ssim_mean: float
    psnr_db_min: float


class GeneratorMetrics(TypedDict):
    family: str
    image_size: int
    n_train: int
    n_val: int
    n_test: int
    best_epoch: NotRequired[int]
    best_val_mse: NotRequired[float]
    latent_shape: NotRequired[list[int]]
    held_out: HeldOut
