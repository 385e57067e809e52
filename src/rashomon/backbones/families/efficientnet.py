"""EfficientNet (torchvision layout): the target is the final 1x1 conv (features[-1][0])."""

from __future__ import annotations

import torch
from torch import nn

from rashomon.backbones.family import Family, Tail, register_family


class EfficientNetStem(nn.Module):
    """Up to the final 1x1 conv (features[-1][0])."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.features = nn.Sequential(*list(model.features)[:-1], model.features[-1][0])

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor]:
        return (self.features(x),)


class EfficientNetTail(Tail):
    def __init__(self, model: nn.Module):
        super().__init__()
        self.post = nn.Sequential(*list(model.features[-1])[1:])
        self.avgpool = model.avgpool
        self.target_offset, self.mix_weight, self.mix_bias, self.rest = 0, None, None, nn.Identity()

    def cam_layers(self) -> dict[str, nn.Module]:
        return {"after_bn": self.post[0], "block_output": self.post[-1]}

    def channelwise(self, target: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.avgpool(self.post(target)), 2)

    def forward(self, target: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.avgpool(self.post(target)), 1)


@register_family
class EfficientNet(Family):
    name, head_keys, incremental = "efficientnet", r"^classifier\.1\.(weight|bias)$", True

    def split(self, model: nn.Module, target_layer: str) -> tuple[nn.Module, Tail]:
        return EfficientNetStem(model), EfficientNetTail(model)

    def incremental_stem(self, engine, stem, state):
        return (engine.run(stem.features, state, "features"),)
