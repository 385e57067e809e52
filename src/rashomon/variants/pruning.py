"""Sequential backward selection (SBS) over target-layer channels, on cached activations.

Each iteration tries zeroing every still-active channel and keeps the zeroing that
lowers RMSE most; it stops when none lowers it. All candidates of an iteration are
evaluated through the tail in batched chunks: the stem never runs again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
import torch
from torch import nn
from tqdm import tqdm

from rashomon.backbones import Backbone
from rashomon.data.splits import subset_ids
from rashomon.core.device import CPU, to_device
from rashomon.heads.features import FeatureCache
from rashomon.heads.fitted import FittedHead, load_head, to_rating_units
from rashomon.heads.metrics import prediction_metrics
from rashomon.variants.variant_set import apply_channel_mask


def _rmse(pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return ((pred - y) ** 2).mean(-1).sqrt()


@torch.no_grad()
def candidate_rmse(backbone: Backbone, head: FittedHead, outs: Sequence[torch.Tensor], y: torch.Tensor,
                   mask: torch.Tensor, candidates: torch.Tensor, chunk: int) -> torch.Tensor:
    """RMSE after additionally zeroing each candidate channel (one value per candidate)."""
    target, *side = outs
    n = target.shape[0]
    out = []
    for start in range(0, len(candidates), chunk):
        cand = candidates[start:start + chunk]
        masks = mask.repeat(len(cand), 1)
        masks[torch.arange(len(cand), device=cand.device), cand] = 0
        t = apply_channel_mask(target, masks).flatten(0, 1)
        s = [x.unsqueeze(0).expand(len(cand), *x.shape).flatten(0, 1) for x in side]
        z = head.scores(backbone.tail(t, *s))
        out.append(_rmse(z.view(len(cand), n), y))
    return torch.cat(out)


class _LowRankTail:
    """Evaluates 'current mask with channel c also zeroed' for many c at once.

    The tail's channel-wise part is computed twice (current mask; every channel zeroed),
    so zeroing channel c only swaps block c of the features; its effect on the linear
    mixing is a rank-k update, and only the small nonlinear rest and the head run per
    candidate. Exact, not an approximation (tested against the full tail)."""

    def __init__(self, backbone: Backbone, outs: Sequence[torch.Tensor], mask: torch.Tensor):
        tail = backbone.tail
        target, *side = outs
        self.tail, self.offset = tail, tail.target_offset
        self.f_cur = tail.channelwise(apply_channel_mask(target, mask), *side)  # (N, Ct, k)
        self.f_zero = tail.channelwise(torch.zeros_like(target), *side)
        self.k = self.f_cur.shape[2]
        if tail.mix_weight is None:
            self.weight = None
            self.l_cur = self.f_cur.flatten(1)
        else:
            self.weight = tail.mix_weight.view(tail.mix_weight.shape[0], -1, self.k)  # (D, Ct, k)
            self.l_cur = self.f_cur.flatten(1) @ tail.mix_weight.T + tail.mix_bias

    def mixed(self, channels: torch.Tensor) -> torch.Tensor:
        """Mixed features (n_cand, N, D) with each candidate channel additionally zeroed."""
        tc = channels + self.offset
        delta = (self.f_zero[:, tc, :] - self.f_cur[:, tc, :]).permute(1, 0, 2)  # (n_c, N, k)
        if self.weight is None:
            out = self.l_cur.unsqueeze(0).repeat(len(tc), 1, 1)
            out[torch.arange(len(tc), device=tc.device), :, tc] += delta[..., 0]
            return out
        return self.l_cur.unsqueeze(0) + torch.einsum("cnk,dck->cnd", delta, self.weight[:, tc, :])

    def commit(self, channel: int, mixed: torch.Tensor) -> None:
        tc = channel + self.offset
        self.f_cur[:, tc, :] = self.f_zero[:, tc, :]
        self.l_cur = mixed


class _FirstLayerShortcut:
    """When the mixed features feed the head directly (identity rest, no mixing: ResNet,
    DenseNet, EfficientNet), zeroing channel c adds delta_c x W1[:, c] to the head's first
    pre-activation, so the first Linear (2/3 of the head's work) never runs per candidate.
    The current pre-activation is recomputed in full after every removal (no drift)."""

    def __init__(self, head: FittedHead, state: _LowRankTail):
        self.head, self.state = head, state
        self.first = head.head[0]
        self.rest = head.head[1:]
        self.refresh()

    @staticmethod
    def applies(backbone: Backbone, head: FittedHead, state: _LowRankTail) -> bool:
        return (state.weight is None and state.k == 1 and isinstance(backbone.tail.rest, nn.Identity)
                and isinstance(head.head, nn.Sequential) and isinstance(head.head[0], nn.Linear))

    def refresh(self) -> None:
        self.h_cur = self.first(self.state.l_cur)   # (N, H)

    def scores(self, channels: torch.Tensor) -> torch.Tensor:
        """Predictions (n_cand, N), rating units, with each candidate channel also zeroed."""
        state = self.state
        tc = channels + state.offset
        delta = (state.f_zero[:, tc, 0] - state.f_cur[:, tc, 0]).T           # (n_c, N)
        h = torch.baddbmm(self.h_cur.unsqueeze(0), delta.unsqueeze(2), self.first.weight.T[tc].unsqueeze(1))
        z = self.rest(h).squeeze(-1)
        return to_rating_units(z, self.head.target_mean, self.head.target_sd)


@torch.no_grad()
def sbs_prune(backbone: Backbone, head: FittedHead, outs: Sequence[torch.Tensor], y: np.ndarray,
              max_iterations: int | None = None, max_elements: int = 2**25, tol: float = 0.0,
              desc: str = "SBS", device: torch.device = CPU) -> tuple[np.ndarray, list[float]]:
    """Greedy channel removal on `device`; returns the keep-mask (C,) and the RMSE after each step."""
    backbone.tail.to(device)   # only the tail runs: the stem's outputs are cached
    head.head.to(device)
    outs = to_device(outs, device)
    y_t = torch.as_tensor(np.asarray(y, dtype=np.float32)).to(device)
    channels = outs[0].shape[1]
    mask = torch.ones(channels, device=device)
    head.head.eval()

    def predict(mixed: torch.Tensor) -> torch.Tensor:
        emb = backbone.tail.rest(mixed.flatten(0, 1).clone())  # torchvision's ReLUs are in-place
        return head.scores(emb).view(mixed.shape[:2])

    state = _LowRankTail(backbone, outs, mask)
    first = _FirstLayerShortcut(head, state) if _FirstLayerShortcut.applies(backbone, head, state) else None
    current = float(_rmse(predict(state.l_cur.unsqueeze(0))[0], y_t))
    history = [current]
    n, dim = (first.h_cur if first is not None else state.l_cur).shape
    chunk = max(1, max_elements // max(1, n * dim))
    limit = channels - 1 if max_iterations is None else min(max_iterations, channels - 1)
    for _ in tqdm(range(limit), desc=desc, leave=False, mininterval=5):
        candidates = torch.nonzero(mask).squeeze(1)
        best_rmse, best_c = float("inf"), -1
        for start in range(0, len(candidates), chunk):
            cand = candidates[start:start + chunk]
            rmse = _rmse(first.scores(cand) if first is not None else predict(state.mixed(cand)), y_t)
            i = int(torch.argmin(rmse))
            if float(rmse[i]) < best_rmse:
                best_rmse, best_c = float(rmse[i]), int(cand[i])
        if best_rmse >= current - tol:
            break
        mask[best_c] = 0
        state.commit(best_c, state.mixed(torch.tensor([best_c], device=device))[0])
        if first is not None:
            first.refresh()
        current = best_rmse
        history.append(current)
    return mask.cpu().numpy().astype(bool), history


@dataclass
class PrunedVariant:
    head: FittedHead
    mask: np.ndarray          # keep-mask over target-layer channels
    history: list[float]      # RMSE after each removal
    fit_ids: list[str]        # the images SBS was fitted on


def prune_variants(backbone: Backbone, cache: FeatureCache, heads_dir: Path, splits: pd.DataFrame, *, scheme: str,
                   subset: str, target: pd.Series, n_variants: int, max_iterations: int | None,
                   desc: str, device: torch.device = CPU) -> list[PrunedVariant]:
    """SBS for every variant's head on that variant's `subset` images (test: the Exp2
    explanation set; val: the study's ensemble protocol), from the feature cache, on `device`."""
    out = []
    for v in range(n_variants):
        head = load_head(heads_dir / backbone.spec.name / f"v{v}.pt")
        ids = subset_ids(splits, scheme, v, subset)
        mask, history = sbs_prune(backbone, head, cache.stem_outputs(ids), target.loc[ids].to_numpy(),
                                  max_iterations=max_iterations, desc=f"{desc} {backbone.spec.name} v{v}",
                                  device=device)
        out.append(PrunedVariant(head, mask, history, ids))
    return out


@torch.no_grad()
def pruning_effect(backbone: Backbone, head: FittedHead, outs: Sequence[torch.Tensor], y: np.ndarray,
                   mask: np.ndarray, device: torch.device = CPU) -> dict[str, float]:
    """RMSE/PLCC/SRCC of one head before and after applying its keep-mask (the tail and head on `device`)."""
    backbone.tail.to(device)   # only the tail runs: the stem's outputs are cached
    head.head.to(device)
    target, *side = to_device(outs, device)
    keep = torch.as_tensor(mask, dtype=torch.float32).to(device)
    base = head.predict(backbone.tail(target, *side))
    pruned = head.predict(backbone.tail(apply_channel_mask(target, keep), *side))
    return {**{f"baseline_{k}": v for k, v in prediction_metrics(base, y).items()},
            **{f"pruned_{k}": v for k, v in prediction_metrics(pruned, y).items()}}


def effect_rows(name: str, backbone: Backbone, cache: FeatureCache, pruned: Sequence[PrunedVariant],
                splits: pd.DataFrame, scheme: str, target: pd.Series, device: torch.device = CPU) -> list[dict]:
    """One row per variant and image set (the set SBS was fitted on, the test set): channels
    removed and RMSE/PLCC/SRCC before and after pruning."""
    rows = []
    for v, p in enumerate(pruned):
        for label, ids in (("fit", p.fit_ids), ("test", subset_ids(splits, scheme, v, "test"))):
            effect = pruning_effect(backbone, p.head, cache.stem_outputs(ids), target.loc[ids].to_numpy(), p.mask,
                                    device=device)
            rows.append({"architecture": name, "variant": v, "set": label,
                         "channels_removed": int((~p.mask).sum()), **effect})
    return rows


def pruning_report(table: pd.DataFrame, fit_on: str) -> dict:
    """metrics/prune.json: per architecture, on the test set, the channels each variant removed
    and the mean RMSE/PLCC before and after."""
    report: dict = {"fit_on": fit_on}
    for name, g in table[table["set"] == "test"].groupby("architecture", sort=False):
        report[name] = {"channels_removed_mean": float(g["channels_removed"].mean()),
                        "channels_removed": [int(c) for c in g.sort_values("variant")["channels_removed"]],
                        **{c: float(g[c].mean()) for c in ("baseline_plcc", "pruned_plcc", "baseline_rmse",
                                                           "pruned_rmse")}}
    return report


def masks_archive(pruned: Sequence[PrunedVariant]) -> dict[str, np.ndarray]:
    """data/pruning/{arch}.npz: keep-masks (K, C) and each variant's RMSE path, NaN-padded to C."""
    return {"masks": np.stack([p.mask for p in pruned]), "history": np.array(
        [np.pad(p.history, (0, p.mask.size - len(p.history)), constant_values=np.nan) for p in pruned])}
