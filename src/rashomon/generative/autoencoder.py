"""Convolutional autoencoder / VAE on RGB images in [0, 1] (trained in `generative.training`).

The latent is spatial (latent_channels x H/2^d x W/2^d), so an edit of the latent can be
local: a counterfactual may change one region of the image and leave the rest alone.
"""

from __future__ import annotations

import torch
from torch import nn

from rashomon.core.errors import InputError
from rashomon.generative.generator_params import GeneratorConfig


class ConvAutoencoder(nn.Module):
    """Encoder: conv, then `downsample` stride-2 convs doubling the width, then a 1x1 conv
    to the latent; decoder: the mirror with transposed convs and a sigmoid. `vae` adds a
    log-variance head; encode() returns the mean either way (edits start from it)."""

    def __init__(self, width: int, latent_channels: int, downsample: int, vae: bool = False):
        super().__init__()
        self.vae = vae
        self.config = {"width": width, "latent_channels": latent_channels, "downsample": downsample, "vae": vae}
        enc: list[nn.Module] = [nn.Conv2d(3, width, 3, padding=1), nn.LeakyReLU(0.2)]
        ch = width
        for _ in range(downsample):
            enc += [nn.Conv2d(ch, ch * 2, 4, stride=2, padding=1), nn.BatchNorm2d(ch * 2), nn.LeakyReLU(0.2)]
            ch *= 2
        self.encoder = nn.Sequential(*enc)
        self.to_latent = nn.Conv2d(ch, latent_channels * (2 if vae else 1), 1)
        dec: list[nn.Module] = [nn.Conv2d(latent_channels, ch, 1), nn.LeakyReLU(0.2)]
        for _ in range(downsample):
            dec += [nn.ConvTranspose2d(ch, ch // 2, 4, stride=2, padding=1), nn.BatchNorm2d(ch // 2),
                    nn.LeakyReLU(0.2)]
            ch //= 2
        dec += [nn.Conv2d(ch, 3, 3, padding=1), nn.Sigmoid()]
        self.decoder = nn.Sequential(*dec)

    def moments(self, rgb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Latent mean (and log-variance for a VAE)."""
        h = self.to_latent(self.encoder(rgb))
        if not self.vae:
            return h, None
        mean, logvar = h.chunk(2, dim=1)
        return mean, logvar.clamp(-10, 10)

    def encode(self, rgb: torch.Tensor) -> torch.Tensor:
        return self.moments(rgb)[0]

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def forward(self, rgb: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(rgb))


def make_generator(cfg: GeneratorConfig, size: int) -> ConvAutoencoder:
    """The configured generator family for `size`-pixel images."""
    if size % (2 ** cfg.downsample):
        raise InputError(f"params.yaml: counterfactual.generator.downsample {cfg.downsample} does not divide the "
                         f"image size {size}")
    return ConvAutoencoder(cfg.width, cfg.latent_channels, cfg.downsample, vae=cfg.family == "vae")
