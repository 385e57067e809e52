"""VGG (torchvision layout: features / avgpool / classifier): the tail mixes with fc1."""

from __future__ import annotations

import torch
from torch import nn

from rashomon.backbones.family import Family, Tail, register_family, replaced


class VGGStem(nn.Module):
    def __init__(self, model: nn.Module, target_index: int):
        super().__init__()
        self.features = model.features[: target_index + 1]

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor]:
        return (self.features(x),)


class VGGTail(Tail):
    """Rest of `features`, pooling, and the classifier up to fc2's ReLU (the embedding)."""

    def __init__(self, model: nn.Module, target_index: int):
        super().__init__()
        self.features = model.features[target_index + 1:]
        self.avgpool = model.avgpool
        self.fc = model.classifier[:5]

        self.target_offset = 0
        self.mix_weight, self.mix_bias = self.fc[0].weight, self.fc[0].bias
        self.rest = self.fc[1:]

    def cam_layers(self) -> dict[str, nn.Module]:
        bn = next(m for m in self.features if isinstance(m, nn.BatchNorm2d))
        return {"after_bn": bn, "block_output": self.features[-1]}

    def channelwise(self, target: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.avgpool(self.features(target)), 2)

    def forward(self, target: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.avgpool(self.features(target)), 1))


@register_family
class VGG(Family):
    name, head_keys, incremental = "vgg", r"^classifier\.6\.(weight|bias)$", True

    def split(self, model: nn.Module, target_layer: str) -> tuple[nn.Module, Tail]:
        index = int(target_layer.split(".")[1])
        return VGGStem(model, index), VGGTail(model, index)

    def reference_embedding(self, model: nn.Module, x: torch.Tensor) -> torch.Tensor:
        with replaced(model, "classifier", model.classifier[:5]):
            return model(x)

    def incremental_stem(self, engine, stem, state):
        return (engine.run(stem.features, state, "features"),)
