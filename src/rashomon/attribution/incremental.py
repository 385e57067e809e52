"""Exact incremental inference for masked images (after Krypton: Nakandala, Kumar &
Papakonstantinou, SIGMOD 2019): a masked image differs from the original only in a
square, so every early feature map differs only in a rectangle that grows with each
layer's kernel and stride. Each layer is computed on that rectangle (plus its halo, read
from the original image's activation) for a batch of masks at once, and pasted over the
original's activation. Layers that mix globally, or modules we do not know, are run in
full on the materialised maps: exact either way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchvision.models.densenet import _DenseBlock, _DenseLayer
from torchvision.models.resnet import BasicBlock, Bottleneck

from rashomon.backbones.registry import Backbone


@dataclass
class Patched:
    """P activation maps equal to `base` (C, H, W) except inside one rectangle each:
    `values` (P, C, h, w) at rows starts[:, 0] + [0, h), cols starts[:, 1] + [0, w)."""

    base: Tensor
    starts: Tensor
    values: Tensor

    @property
    def shape(self) -> tuple[int, int]:
        return self.base.shape[-2], self.base.shape[-1]

    @property
    def region(self) -> tuple[int, int]:
        return self.values.shape[-2], self.values.shape[-1]

    @property
    def is_full(self) -> bool:
        return self.region == self.shape

    def read(self, starts: Tensor, h: int, w: int, pad: float = 0.0) -> Tensor:
        """(P, C, h, w) windows at `starts` of the patched maps; outside the map: `pad`."""
        H, W = self.shape
        rh, rw = self.region
        if self.is_full and (h, w) == (H, W) and not starts.any():
            return self.values
        rows = starts[:, :1] + torch.arange(h, device=starts.device)   # (P, h)
        cols = starts[:, 1:] + torch.arange(w, device=starts.device)   # (P, w)
        # flat-index gathers (index_select, gather): the same copies as advanced indexing, 2-3x faster
        C, P = self.base.shape[0], len(starts)
        flat = rows.clamp(0, H - 1)[:, :, None] * W + cols.clamp(0, W - 1)[:, None, :]   # (P, h, w)
        window = self.base.reshape(C, H * W).index_select(1, flat.reshape(-1)).reshape(C, P, h, w)
        window = window.permute(1, 0, 2, 3)
        rr, cc = rows - self.starts[:, :1], cols - self.starts[:, 1:]
        at = (rr.clamp(0, rh - 1)[:, :, None] * rw + cc.clamp(0, rw - 1)[:, None, :]).reshape(P, 1, h * w)
        patch = torch.gather(self.values.reshape(P, C, rh * rw), 2, at.expand(P, C, h * w)).reshape(P, C, h, w)
        inside = ((rr >= 0) & (rr < rh))[:, :, None] & ((cc >= 0) & (cc < rw))[:, None, :]
        out = torch.where(inside[:, None], patch, window)
        outside = ~(((rows >= 0) & (rows < H))[:, :, None] & ((cols >= 0) & (cols < W))[:, None, :])
        if outside.any():
            out = out.masked_fill(outside[:, None], pad)
        return out

    def full(self) -> Tensor:
        """The P maps in full, (P, C, H, W)."""
        H, W = self.shape
        return self.read(torch.zeros_like(self.starts), H, W)


@dataclass
class Stats:
    """Multiply-accumulates of the convolutions: computed, and what full maps would cost;
    and which modules ran in full (incremental inference ended or fell back there)."""

    macs: float = 0.0
    full_macs: float = 0.0
    fallbacks: list[str] = field(default_factory=list)
    switched: int = 0          # layers run on full maps because the rectangles covered > full_above

    @property
    def skipped(self) -> float:
        return 1.0 - self.macs / self.full_macs if self.full_macs else 0.0

    @property
    def first_fallback(self) -> str | None:
        """The first module run in full (where incremental inference ended), if any."""
        return self.fallbacks[0] if self.fallbacks else None


def _pair(v) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else tuple(v)


def _extent(start: Tensor, length: int, k: int, s: int, p: int, d: int, out: int) -> tuple[Tensor, int]:
    """Output positions a changed input span [start, start + length) can reach through a
    sliding window (kernel k, stride s, padding p, dilation d): a fixed-length span per
    map (so maps batch), shifted to stay inside the `out` positions."""
    keff = (k - 1) * d + 1
    n = min(out, (length + keff - 2) // s + 1)
    first = torch.div(start + p - keff + 1 + s - 1, s, rounding_mode="floor")   # ceil
    return first.clamp(0, out - n), n


def sliding(state: Patched, k, s, p, d, out_hw: tuple[int, int], run: Callable[[Tensor], Tensor],
            base: Tensor, module: nn.Module, pad: float = 0.0, full_above: float = 1.0,
            stats: Stats | None = None) -> Patched:
    """A kernel-k, stride-s layer (padding p, dilation d) on the changed rectangles: read
    each window with its halo (padding as `pad`), `run` the layer unpadded. Once the
    output rectangles cover more than `full_above` of the map, `module` runs as it is on
    the full maps (gathering windows would cost more than the positions it saves)."""
    if state.is_full:
        return Patched(base, torch.zeros_like(state.starts), module(state.values))
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = _pair(k), _pair(s), _pair(p), _pair(d)
    rh, rw = state.region
    y0, nh = _extent(state.starts[:, 0], rh, kh, sh, ph, dh, out_hw[0])
    x0, nw = _extent(state.starts[:, 1], rw, kw, sw, pw, dw, out_hw[1])
    if nh * nw > full_above * out_hw[0] * out_hw[1] and (nh, nw) != tuple(out_hw):
        if stats is not None:
            stats.switched += 1
        return Patched(base, torch.zeros_like(state.starts), module(state.full()))
    in_h, in_w = (nh - 1) * sh + (kh - 1) * dh + 1, (nw - 1) * sw + (kw - 1) * dw + 1
    window = state.read(torch.stack([y0 * sh - ph, x0 * sw - pw], 1), in_h, in_w, pad)
    return Patched(base, torch.stack([y0, x0], 1), run(window))


def union(states: Sequence[Patched]) -> tuple[Tensor, int, int]:
    """One fixed-size rectangle per map covering every state's rectangle."""
    H, W = states[0].shape
    y0 = torch.stack([s.starts[:, 0] for s in states]).amin(0)
    x0 = torch.stack([s.starts[:, 1] for s in states]).amin(0)
    y1 = torch.stack([s.starts[:, 0] + s.region[0] for s in states]).amax(0)
    x1 = torch.stack([s.starts[:, 1] + s.region[1] for s in states]).amax(0)
    h, w = int((y1 - y0).max()), int((x1 - x0).max())
    return torch.stack([y0.clamp(max=H - h), x0.clamp(max=W - w)], 1), h, w


POINTWISE = (nn.BatchNorm2d, nn.ReLU, nn.ReLU6, nn.SiLU, nn.Identity, nn.Dropout, nn.Hardswish, nn.GELU)


class Incremental:
    """Runs a stem on Patched states; `stats` counts conv MACs and full-run modules. The
    original image's activations are computed once per image and reused by every batch
    of masks (`new_image()` forgets them)."""

    def __init__(self, full_above: float = 0.5) -> None:
        self.full_above = full_above     # a layer whose changed rectangles exceed this share of its map runs in full
        self.stats = Stats()
        self._memo: dict[tuple, Tensor] = {}

    def new_image(self) -> None:
        self._memo.clear()

    def _base(self, key: tuple, fn: Callable[[], Tensor]) -> Tensor:
        """The original image's activation for `key` (a module or op and its input tensors'
        ids: inputs are themselves memoised, so the ids are stable across mask batches)."""
        if key not in self._memo:
            self._memo[key] = fn()
        return self._memo[key]

    def add(self, a: Patched, b: Patched) -> Patched:
        starts, h, w = union([a, b])
        base = self._base(("add", id(a.base), id(b.base)), lambda: a.base + b.base)
        return Patched(base, starts, a.read(starts, h, w) + b.read(starts, h, w))

    def cat(self, states: Sequence[Patched]) -> Patched:
        starts, h, w = union(states)
        base = self._base(("cat", *[id(s.base) for s in states]), lambda: torch.cat([s.base for s in states]))
        return Patched(base, starts, torch.cat([s.read(starts, h, w) for s in states], 1))

    def _module_base(self, module: nn.Module, state: Patched, fn: Callable[[Tensor], Tensor] | None = None) -> Tensor:
        run = fn or (lambda t: module(t))
        return self._base((id(module), id(state.base)), lambda: run(state.base[None].clone())[0])

    def pointwise(self, module: nn.Module, state: Patched) -> Patched:
        def f(t: Tensor) -> Tensor:
            if isinstance(module, nn.BatchNorm2d):
                return F.batch_norm(t, module.running_mean, module.running_var, module.weight, module.bias,
                                    False, 0.0, module.eps)
            if isinstance(module, (nn.Identity, nn.Dropout)):
                return t
            if getattr(module, "inplace", False):
                return type(module)()(t)   # the same activation, not in place: `t` may be shared
            return module(t)
        return Patched(self._module_base(module, state, f), state.starts, f(state.values))

    def conv(self, m: nn.Conv2d, state: Patched) -> Patched:
        base = self._module_base(m, state)
        out_hw = base.shape[-2:]
        res = sliding(state, m.kernel_size, m.stride, m.padding, m.dilation, out_hw,
                      lambda x: F.conv2d(x, m.weight, m.bias, m.stride, 0, m.dilation, m.groups), base, m,
                      full_above=self.full_above, stats=self.stats)
        per_pixel = m.out_channels * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]
        self.stats.macs += per_pixel * res.values.shape[-2] * res.values.shape[-1] * len(res.starts)
        self.stats.full_macs += per_pixel * out_hw[0] * out_hw[1] * len(res.starts)
        return res

    def full(self, module: nn.Module, state: Patched, name: str) -> Patched:
        """Run `module` itself on the materialised maps (exact; nothing saved)."""
        self.stats.fallbacks.append(name)
        values = module(state.full().clone())      # clone: a module may work in place on its input
        return Patched(self._module_base(module, state), torch.zeros_like(state.starts), values)

    def run(self, module: nn.Module, state: Patched, name: str = "") -> Patched:
        if isinstance(module, nn.Sequential):
            for child_name, child in module.named_children():
                state = self.run(child, state, f"{name}.{child_name}".strip("."))
            return state
        if isinstance(module, nn.Conv2d) and module.padding_mode == "zeros" and not isinstance(module.padding, str):
            return self.conv(module, state)
        if isinstance(module, nn.MaxPool2d) and not module.ceil_mode:
            base = self._module_base(module, state)
            return sliding(state, module.kernel_size, module.stride, module.padding, module.dilation, base.shape[-2:],
                           lambda x: F.max_pool2d(x, module.kernel_size, module.stride, 0, module.dilation), base,
                           module, pad=-math.inf, full_above=self.full_above, stats=self.stats)
        if (isinstance(module, nn.AvgPool2d) and not module.ceil_mode
                and (module.padding == 0 or module.count_include_pad)):
            base = self._module_base(module, state)
            return sliding(state, module.kernel_size, module.stride, module.padding, 1, base.shape[-2:],
                           lambda x: F.avg_pool2d(x, module.kernel_size, module.stride, 0), base, module,
                           full_above=self.full_above, stats=self.stats)
        if isinstance(module, POINTWISE):
            return self.pointwise(module, state)
        if isinstance(module, (BasicBlock, Bottleneck)):
            return self.residual(module, state, name)
        if isinstance(module, _DenseBlock):
            features = [state]
            for layer in module.values():
                features.append(self.dense_layer(layer, self.cat(features)))
            return self.cat(features)
        return self.full(module, state, name or type(module).__name__)

    def to_last_conv(self, b: nn.Module, x: Patched) -> Patched:
        """A BasicBlock's or Bottleneck's main branch up to its last conv (the ResNet stem's target)."""
        out = self.run(b.relu, self.run(b.bn1, self.run(b.conv1, x)))
        if hasattr(b, "conv3"):   # Bottleneck
            out = self.run(b.relu, self.run(b.bn2, self.run(b.conv2, out)))
            return self.run(b.conv3, out)
        return self.run(b.conv2, out)

    def identity(self, b: nn.Module, x: Patched, name: str) -> Patched:
        return x if b.downsample is None else self.run(b.downsample, x, f"{name}.downsample")

    def residual(self, b: nn.Module, x: Patched, name: str) -> Patched:
        out = self.run(b.bn3 if hasattr(b, "conv3") else b.bn2, self.to_last_conv(b, x))
        return self.run(b.relu, self.add(out, self.identity(b, x, name)))

    def dense_layer(self, layer: _DenseLayer, x: Patched) -> Patched:
        """One DenseNet layer on its concatenated input features."""
        x = self.run(layer.conv1, self.run(layer.relu1, self.run(layer.norm1, x)))
        return self.run(layer.conv2, self.run(layer.relu2, self.run(layer.norm2, x)))

    def stem(self, backbone: Backbone, state: Patched) -> tuple[Patched, ...]:
        """The stem's outputs (target, *side) as Patched states, walked by the backbone's family."""
        return backbone.family.incremental_stem(self, backbone.stem, state)


def supports(backbone: Backbone) -> bool:
    """Whether the backbone's family has an incremental path through its stem."""
    return backbone.family.incremental


def masked_state(image: Tensor, centres: Tensor, side: int, fill: float) -> Patched:
    """The masked images as Patched states: a side x side square at each centre (clipped at
    the border, as `square_masks`) set to `fill`; the rectangle kept inside the image."""
    _, H, W = image.shape
    half = side // 2
    n = min(side, H), min(side, W)
    starts = torch.stack([(centres[:, 0] - half).clamp(0, H - n[0]), (centres[:, 1] - half).clamp(0, W - n[1])], 1)
    rows = starts[:, :1] + torch.arange(n[0], device=centres.device)
    cols = starts[:, 1:] + torch.arange(n[1], device=centres.device)
    window = image[:, rows[:, :, None], cols[:, None, :]].permute(1, 0, 2, 3)
    inside = ((rows - centres[:, :1]).abs() <= half)[:, :, None] & ((cols - centres[:, 1:]).abs() <= half)[:, None, :]
    return Patched(image, starts, torch.where(inside[:, None], torch.full_like(window, fill), window))
