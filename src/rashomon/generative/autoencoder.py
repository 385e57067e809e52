"""Convolutional autoencoder / VAE on RGB images in [0, 1], trained with Lightning.

The latent is spatial (latent_channels x H/2^d x W/2^d), so an edit of the latent can be
local: a counterfactual may change one region of the image and leave the rest alone.
"""

from __future__ import annotations

import lightning.pytorch as pl
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from rashomon.core.config import GeneratorConfig
from rashomon.core.device import CPU
from rashomon.core.errors import InputError
from rashomon.core.fitting import FitResult, fit, quiet_lightning, seed_everything


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


class GeneratorModule(pl.LightningModule):
    """Reconstruction MSE (+ beta x KL for a VAE), Adam."""

    def __init__(self, model: ConvAutoencoder, lr: float, beta: float):
        super().__init__()
        self.model, self.lr, self.beta = model, lr, beta

    def _loss(self, rgb: torch.Tensor) -> torch.Tensor:
        mean, logvar = self.model.moments(rgb)
        if logvar is None:
            return nn.functional.mse_loss(self.model.decode(mean), rgb)
        z = mean + torch.randn_like(mean) * (0.5 * logvar).exp()
        kl = -0.5 * (1 + logvar - mean ** 2 - logvar.exp()).mean()
        return nn.functional.mse_loss(self.model.decode(z), rgb) + self.beta * kl

    def training_step(self, batch, _):
        loss = self._loss(batch[0])
        self.log("train_loss", loss, on_step=False, on_epoch=True, batch_size=len(batch[0]))
        return loss

    def validation_step(self, batch, _):
        self.log("val_loss", nn.functional.mse_loss(self.model(batch[0]), batch[0]), on_epoch=True,
                 batch_size=len(batch[0]))

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=self.lr)


def train_generator(train: torch.Tensor, val: torch.Tensor, cfg: GeneratorConfig,
                    device: torch.device = CPU) -> tuple[ConvAutoencoder, FitResult]:
    """Fit the generator on `train` RGB images on `device`; the best validation-MSE epoch is kept (CPU)."""
    quiet_lightning()
    seed_everything(cfg.seed)
    model = make_generator(cfg, train.shape[-1])
    module = GeneratorModule(model, cfg.lr, cfg.beta)
    gen = torch.Generator().manual_seed(cfg.seed)
    result = fit(module, DataLoader(TensorDataset(train), batch_size=cfg.batch_size, shuffle=True, generator=gen),
                 DataLoader(TensorDataset(val), batch_size=256), max_epochs=cfg.epochs, progress=False,
                 device=device)
    return model.eval(), result
