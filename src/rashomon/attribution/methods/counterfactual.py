"""Generative counterfactual explanations (after Liu et al., "Generative Counterfactual
Introspection for Explainable Deep Learning").

For each image I and direction s (+1 raise, -1 lower) a latent edit z' minimises

    lam * ((f(I') - (f(I) + s * change)) / change)^2 + mean |I - I'|^p,
    I' = clip(I + G(z') - G(z0), 0, 1),  z0 = E(I),

so the edit is the generator's change of its own reconstruction, added to the real image:
the reconstruction error is never part of the explanation. Images, directions and
variants are one batch; every item keeps its smallest edit that reached the target, and
an item that never reached it keeps its last edit and is reported as failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Sequence

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from rashomon.attribution.method import Attribution, AttributionMethod, Inputs, register_method
from rashomon.backbones.preprocess import normalise, unnormalise
from rashomon.core.config import Bounds, Count, NonNegative, Positive
from rashomon.variants.scored_model import MEAN, ScoredModel

DIRECTIONS = (-1.0, 1.0)   # lower, raise


@dataclass
class Edits:
    edited: torch.Tensor      # (B, 3, H, W) RGB of each item's kept edit
    start: torch.Tensor       # (B,) prediction on the image
    achieved: torch.Tensor    # (B,) prediction change of the kept edit
    reached: torch.Tensor     # (B,) bool: the change reached (1 - tolerance) x target
    edit_size: torch.Tensor   # (B,) mean |I' - I| over pixels and channels
    steps: torch.Tensor       # (B,) step at which the kept edit was found


def item_predictions(model: nn.Module, x: torch.Tensor, which: torch.Tensor) -> torch.Tensor:
    """Prediction (B,) of item i by variant which[i] of a ScoredModel (MEAN: their mean);
    any other model: its first output."""
    return model.item_predictions(x, which) if isinstance(model, ScoredModel) else model(x)[:, 0]


def counterfactual_edits(model: nn.Module, generator: nn.Module, rgb: torch.Tensor, which: torch.Tensor,
                         direction: torch.Tensor, *, change: float, lam: float, p: int, steps: int, lr: float,
                         tolerance: float, progress: str | None = None) -> Edits:
    """Optimise one latent edit per item (image rgb[i] in [0, 1], model which[i], direction[i]),
    on the device of `rgb` (where model and generator must be too)."""
    frozen = [q for q in list(model.parameters()) + list(generator.parameters()) if q.requires_grad]
    for q in frozen:
        q.requires_grad_(False)
    try:
        with torch.no_grad():
            z0 = generator.encode(rgb)
            base = generator.decode(z0)
            start = item_predictions(model, normalise(rgb), which)
        target = start + direction * change
        z = z0.clone().requires_grad_(True)
        opt = torch.optim.Adam([z], lr=lr)
        best = rgb.clone()
        best_size = torch.full((len(rgb),), float("inf"), device=rgb.device)
        best_pred, best_step = start.clone(), torch.zeros(len(rgb), dtype=torch.long, device=rgb.device)
        reached = torch.zeros(len(rgb), dtype=torch.bool, device=rgb.device)
        for step in tqdm(range(steps + 1), desc=progress or "counterfactual", leave=False, mininterval=5,
                         disable=progress is None):
            edited = (rgb + generator.decode(z) - base).clamp(0, 1)
            pred = item_predictions(model, normalise(edited), which)
            size = (edited - rgb).abs().pow(p).mean((1, 2, 3))
            with torch.no_grad():
                ok = direction * (pred - start) >= (1 - tolerance) * change
                keep = (ok & (size < best_size)) | (~reached & ~ok)   # smallest success, else the latest try
                best[keep] = edited.detach()[keep]
                best_size[keep & ok] = size.detach()[keep & ok]
                best_pred[keep], best_step[keep] = pred.detach()[keep], step
                reached |= ok
            if step == steps:
                break
            loss = lam * ((pred - target) / change) ** 2 + size
            opt.zero_grad()
            loss.sum().backward()
            opt.step()
    finally:
        for q in frozen:
            q.requires_grad_(True)
    return Edits(best, start, best_pred - start, reached, (best - rgb).abs().mean((1, 2, 3)), best_step)


def difference_map(lowered: np.ndarray, raised: np.ndarray, rgb: np.ndarray) -> np.ndarray:
    """Signed map (..., H, W) in the attribution convention (positive = supports a higher
    prediction): |lowering edit| - |raising edit|, per pixel (L2 over RGB). A region that
    must change to raise the prediction is holding it down, so it is negative."""
    return np.linalg.norm(lowered - rgb, axis=-3) - np.linalg.norm(raised - rgb, axis=-3)


@dataclass(frozen=True)
class CounterfactualOptions:
    change: Positive = 3.0         # target change of the prediction, rating units (raise and lower)
    lam: NonNegative = 1.0         # Liu et al.'s lambda: weight of the (scaled) prediction loss
    p: Annotated[int, Bounds(1, why="the norm of the edit size")] = 1
    steps: Count = 100             # Adam steps on the latent edit
    lr: Positive = 0.05
    tolerance: Annotated[float, Bounds(0, 1, open_high=True)] = 0.1   # reached at >= (1 - tolerance) x change


@register_method
class Counterfactual(AttributionMethod):
    """Maps (N, M, H, W) for the M models in `variant_ids` (k, or MEAN for the variants'
    mean; a model that is not a VariantSet has only MEAN); `info` holds the edited images,
    achieved changes, success flags and edit sizes, each (N, M, 2) over (lower, raise).
    Model, generator and the optimisation run on `device`; the results come back as numpy.
    Its options live in the counterfactual stage's own section (it needs a generator)."""

    name, Options, in_explain = "counterfactual", CounterfactualOptions, False

    def __init__(self, options: Any = None, *, generator: nn.Module, variant_ids: Sequence[int] = (MEAN,),
                 desc: str | None = None, **kwargs: Any) -> None:
        super().__init__(options, **kwargs)
        self.generator, self.variant_ids, self.desc = generator, list(variant_ids), desc

    def attribute(self, inputs: Inputs, model: ScoredModel) -> Attribution:
        o, device = self.options, self.device
        rgb = unnormalise(inputs.images)
        n, m = len(rgb), len(self.variant_ids)
        model.to(device)
        self.generator.to(device)
        # items ordered (image, model, direction)
        which = torch.tensor(self.variant_ids).repeat_interleave(2).repeat(n).to(device)
        direction = torch.tensor(DIRECTIONS).repeat(n * m).to(device)
        items = rgb.repeat_interleave(2 * m, dim=0).to(device)
        edits = counterfactual_edits(model, self.generator, items, which, direction, change=o.change, lam=o.lam,
                                     p=o.p, steps=o.steps, lr=o.lr, tolerance=o.tolerance, progress=self.desc)
        edits = Edits(**{k: t.cpu() for k, t in vars(edits).items()})
        edited = edits.edited.numpy().reshape(n, m, 2, *rgb.shape[1:])
        maps = difference_map(edited[:, :, 0], edited[:, :, 1], rgb.numpy()[:, None])
        shape = (n, m, 2)
        info = {"edited": (edited * 255).round().astype(np.uint8), "start": edits.start.numpy().reshape(shape)[..., 0],
                "achieved": edits.achieved.numpy().reshape(shape), "reached": edits.reached.numpy().reshape(shape),
                "edit_size": edits.edit_size.numpy().reshape(shape), "steps": edits.steps.numpy().reshape(shape)}
        return Attribution(maps.astype(np.float32), info)
