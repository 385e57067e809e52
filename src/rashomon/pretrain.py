"""In-pipeline pretraining of the default's small backbones (ImageNet weights cannot be
fetched here). Images are freshly generated synthetic scenes, disjoint from the rated
set; supervised backbones learn the object class, the Barlow Twins one learns without
labels. Everything trained here is labelled 'pretrained on synthetic data'.
"""

from __future__ import annotations

import logging
from typing import Any, Mapping

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from rashomon.backbones import create_backbone
from rashomon.backbones.registry import IMAGENET_MEAN, IMAGENET_STD
from rashomon.data.synthetic import ARTIFACTS, COLOURS, OBJECT_CLASSES, add_artifact, degrade_global, render_scene

log = logging.getLogger("rashomon.pretrain")


def pretraining_images(n: int, size: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """`n` normalised scenes with random degradation/artifacts and their class labels."""
    rng = np.random.default_rng(seed)
    colours = list(COLOURS)
    images = np.empty((n, size, size, 3), dtype=np.float32)
    labels = rng.integers(0, len(OBJECT_CLASSES), n)
    for i in range(n):
        img = render_scene(rng, size, OBJECT_CLASSES[labels[i]], colours[rng.integers(len(colours))])
        img = degrade_global(rng, img, rng.uniform(0, 0.5))
        if rng.random() < 0.3:
            img, _ = add_artifact(rng, img, rng.uniform(0.2, 1), ARTIFACTS[rng.integers(len(ARTIFACTS))])
        images[i] = img
    x = torch.from_numpy(images).permute(0, 3, 1, 2)
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    return (x - mean) / std, torch.from_numpy(labels)


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Barlow Twins views: random flip, shifted crop (pad 6) and brightness/contrast jitter."""
    n, _, h, w = x.shape
    flip = torch.rand(n, generator=gen) < 0.5
    x = torch.where(flip.view(-1, 1, 1, 1), x.flip(-1), x)
    padded = nn.functional.pad(x, (6, 6, 6, 6), mode="reflect")
    dx, dy = torch.randint(0, 13, (2, n), generator=gen)
    x = torch.stack([padded[i, :, dy[i]:dy[i] + h, dx[i]:dx[i] + w] for i in range(n)])
    contrast = 1 + 0.4 * (torch.rand(n, 1, 1, 1, generator=gen) - 0.5)
    bright = 0.4 * (torch.rand(n, 1, 1, 1, generator=gen) - 0.5)
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * contrast + mean + bright


def barlow_twins_loss(z1: torch.Tensor, z2: torch.Tensor, lambd: float) -> torch.Tensor:
    """Zbontar et al. 2021: push the cross-correlation of the two views' projections to I."""
    n = z1.shape[0]
    z1 = (z1 - z1.mean(0)) / (z1.std(0) + 1e-6)
    z2 = (z2 - z2.mean(0)) / (z2.std(0) + 1e-6)
    c = z1.T @ z2 / n
    on = (torch.diagonal(c) - 1).pow(2).sum()
    off = (c - torch.diag(torch.diagonal(c))).pow(2).sum()
    return on + lambd * off


def pretrain_backbone(name: str, x: torch.Tensor, y: torch.Tensor, cfg: Mapping[str, Any]) -> dict[str, Any]:
    """Train backbone `name` on (x, y); returns its state dict and training summary."""
    torch.manual_seed(int(cfg.get("seed", 0)))
    backbone = create_backbone(name)
    model, mode = backbone.model, backbone.spec.pretrain
    model.train()
    for p in model.parameters():
        p.requires_grad_(True)
    params = list(model.parameters())
    projector = None
    if mode == "barlow_twins":
        with torch.no_grad():
            dim = backbone(x[:2]).shape[1]
        projector = nn.Sequential(nn.Linear(dim, 256), nn.BatchNorm1d(256), nn.ReLU(), nn.Linear(256, 256))
        params += list(projector.parameters())
    opt = torch.optim.Adam(params, lr=float(cfg.get("lr", 2e-3)))
    gen = torch.Generator().manual_seed(int(cfg.get("seed", 0)))
    epochs, bs = int(cfg.get("epochs", 3)), int(cfg.get("batch_size", 64))
    history = []
    for epoch in range(epochs):
        perm = torch.randperm(len(x), generator=gen)
        total, correct = 0.0, 0
        for start in tqdm(range(0, len(x), bs), desc=f"pretrain {name} epoch {epoch + 1}/{epochs}",
                          leave=False, mininterval=5):
            idx = perm[start:start + bs]
            if len(idx) < 2:
                continue
            xb, yb = x[idx], y[idx]
            if mode == "barlow_twins":
                z1 = projector(model_embedding(backbone, augment(xb, gen)))
                z2 = projector(model_embedding(backbone, augment(xb, gen)))
                loss = barlow_twins_loss(z1, z2, float(cfg.get("barlow_lambda", 0.005)))
            else:
                logits = model(xb)
                loss = nn.functional.cross_entropy(logits, yb)
                correct += int((logits.argmax(1) == yb).sum())
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
        history.append({"epoch": epoch + 1, "loss": total / len(x),
                        **({"train_accuracy": correct / len(x)} if mode != "barlow_twins" else {})})
        log.info("%s epoch %d: %s", name, epoch + 1, history[-1])
    model.eval()
    return {"state_dict": model.state_dict(), "mode": mode, "history": history}


def model_embedding(backbone, x: torch.Tensor) -> torch.Tensor:
    """Embedding through stem+tail with gradients (the Backbone wrapper freezes by default)."""
    return backbone.tail(*backbone.stem(x))


def class_probe_accuracy(name: str, state: dict, x: torch.Tensor, y: torch.Tensor, n_train: int) -> float:
    """Linear-probe (logistic regression) accuracy on held-out images: a check that the
    frozen features learnt something, comparable across supervised and self-supervised."""
    from sklearn.linear_model import LogisticRegression

    backbone = create_backbone(name)
    backbone.model.load_state_dict(state)
    with torch.no_grad():
        emb = torch.cat([backbone(x[i:i + 256]) for i in range(0, len(x), 256)]).numpy()
    clf = LogisticRegression(max_iter=2000).fit(emb[:n_train], y[:n_train].numpy())
    return float(clf.score(emb[n_train:], y[n_train:].numpy()))
