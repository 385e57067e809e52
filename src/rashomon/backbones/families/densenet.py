"""DenseNet (torchvision layout): the target is conv2 of the last dense layer; the stem
also returns the features it is concatenated to."""

from __future__ import annotations

import re

import torch
from torch import nn

from rashomon.backbones.family import Family, Tail, register_family

# Old torchvision DenseNet checkpoints name 'norm.1' what the model calls 'norm1'.
_OLD_KEY = re.compile(r"^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$")


class DenseNetStem(nn.Module):
    """Up to conv2 of the last dense layer; also returns the features it concatenates to."""

    def __init__(self, model: nn.Module):
        super().__init__()
        children = list(model.features.named_children())
        last_block = max(i for i, (n, _) in enumerate(children) if n.startswith("denseblock"))
        self.pre = nn.Sequential(*[m for _, m in children[:last_block]])
        self.block = children[last_block][1]

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = [self.pre(x)]
        layers = list(self.block.children())
        for layer in layers[:-1]:
            features.append(layer(features))
        prev = torch.cat(features, 1)
        last = layers[-1]
        bottleneck = last.conv1(last.relu1(last.norm1(prev)))
        return last.conv2(last.relu2(last.norm2(bottleneck))), prev


class DenseNetTail(Tail):
    def __init__(self, model: nn.Module):
        super().__init__()
        self.norm = model.features.norm5
        self.relu = nn.ReLU()
        self.mix_weight, self.mix_bias, self.rest = None, None, nn.Identity()
        last_block = list(model.features.children())[-2]
        growth = list(last_block.children())[-1].conv2.out_channels
        self.target_offset = model.features.norm5.num_features - growth  # target channels come last

    def cam_layers(self) -> dict[str, nn.Module]:
        return {"after_bn": self.norm, "block_output": self.relu}

    def channelwise(self, target: torch.Tensor, prev: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.norm(torch.cat([prev, target], 1)))
        return torch.flatten(nn.functional.adaptive_avg_pool2d(out, 1), 2)

    def forward(self, target: torch.Tensor, prev: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.norm(torch.cat([prev, target], 1)))
        return torch.flatten(nn.functional.adaptive_avg_pool2d(out, 1), 1)


@register_family
class DenseNet(Family):
    name, head_keys, incremental = "densenet", r"^classifier\.(weight|bias)$", True

    def split(self, model: nn.Module, target_layer: str) -> tuple[nn.Module, Tail]:
        return DenseNetStem(model), DenseNetTail(model)

    def checkpoint_key(self, key: str) -> str:
        m = _OLD_KEY.match(key)
        return m.group(1) + m.group(2) if m else key

    def incremental_stem(self, engine, stem, state):
        features = [engine.run(stem.pre, state, "pre")]
        *layers, last = stem.block.children()
        for layer in layers:
            features.append(engine.dense_layer(layer, engine.cat(features)))
        prev = engine.cat(features)
        return engine.dense_layer(last, prev), prev
