"""Training the counterfactual generator with Lightning (apart from the model, so explaining
with a trained generator never loads Lightning)."""

from __future__ import annotations

import lightning.pytorch as pl
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from rashomon.core.device import CPU
from rashomon.core.fitting import FitResult, fit, quiet_lightning, seed_everything
from rashomon.generative.autoencoder import ConvAutoencoder, make_generator
from rashomon.generative.generator_params import GeneratorConfig


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
