"""The study's image preprocessing, its inverse, and image batches for a backbone."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from torch.utils.data import Dataset
from torchvision import transforms

from rashomon.backbones.geometry import Grid
from rashomon.backbones.registry import IMAGENET_MEAN, IMAGENET_STD, BackboneSpec
from rashomon.data.images import load_rgb


def preprocess(spec: BackboneSpec | Grid) -> transforms.Compose:
    """Resize, centre-crop, ImageNet normalisation (the study's preprocessing)."""
    return transforms.Compose([*rgb_on_grid(spec).transforms, transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)])


def rgb_on_grid(spec: BackboneSpec | Grid) -> transforms.Compose:
    """Resize and centre-crop to a grid: RGB in [0, 1], not normalised (twins, figures)."""
    return transforms.Compose([transforms.Resize(spec.resize_size), transforms.CenterCrop(spec.input_size),
                               transforms.ToTensor()])


def normalise(rgb: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W) RGB in [0, 1] -> ImageNet-normalised model input."""
    mean = torch.tensor(IMAGENET_MEAN, device=rgb.device).view(1, 3, 1, 1)
    return (rgb - mean) / torch.tensor(IMAGENET_STD, device=rgb.device).view(1, 3, 1, 1)


def unnormalise(images: torch.Tensor) -> torch.Tensor:
    """Normalised (N, 3, H, W) model input -> RGB (N, 3, H, W) in [0, 1]: the inverse of `normalise`."""
    mean = torch.tensor(IMAGENET_MEAN, device=images.device).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, device=images.device).view(1, 3, 1, 1)
    return (images * std + mean).clamp(0, 1)


def denormalise(images: torch.Tensor) -> np.ndarray:
    """Normalised (N, 3, H, W) tensors back to RGB (N, H, W, 3) in [0, 1], for display and skimage."""
    return unnormalise(images).permute(0, 2, 3, 1).numpy()


class ImageFiles(Dataset):
    """Images streamed from disk in manifest order."""

    def __init__(self, paths: Sequence[str], spec: BackboneSpec | Grid):
        self.paths = list(paths)
        self.transform = preprocess(spec)

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int) -> torch.Tensor:
        return self.transform(load_rgb(self.paths[i]))


def load_images(paths: Sequence[str], spec: BackboneSpec | Grid) -> torch.Tensor:
    """A small batch of preprocessed images (for explanation and tests)."""
    ds = ImageFiles(paths, spec)
    return torch.stack([ds[i] for i in range(len(ds))])
