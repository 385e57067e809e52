"""ResNet (torchvision layout): the target is the last conv of layer4's last block; the
stem also returns that block's identity branch."""

from __future__ import annotations

import torch
from torch import nn

from rashomon.backbones.family import Family, Tail, register_family


class ResNetStem(nn.Module):
    """Up to the last conv of layer4's last block; also returns the block's identity."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.pre = nn.Sequential(model.conv1, model.bn1, model.relu, model.maxpool,
                                 model.layer1, model.layer2, model.layer3, *list(model.layer4)[:-1])
        self.block = model.layer4[-1]
        self.bottleneck = hasattr(self.block, "conv3")

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.pre(x)
        b = self.block
        identity = b.downsample(x) if b.downsample is not None else x
        out = b.relu(b.bn1(b.conv1(x)))
        if self.bottleneck:
            out = b.relu(b.bn2(b.conv2(out)))
            return b.conv3(out), identity
        return b.conv2(out), identity


class ResNetTail(Tail):
    def __init__(self, model: nn.Module):
        super().__init__()
        block = model.layer4[-1]
        self.bn = block.bn3 if hasattr(block, "conv3") else block.bn2
        self.relu = block.relu
        self.avgpool = model.avgpool
        self.target_offset, self.mix_weight, self.mix_bias, self.rest = 0, None, None, nn.Identity()

    def cam_layers(self) -> dict[str, nn.Module]:
        return {"after_bn": self.bn, "block_output": self.relu}

    def channelwise(self, target: torch.Tensor, identity: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.avgpool(self.relu(self.bn(target) + identity)), 2)

    def forward(self, target: torch.Tensor, identity: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.avgpool(self.relu(self.bn(target) + identity)), 1)


@register_family
class ResNet(Family):
    name, classifier, head_keys, incremental = "resnet", "fc", r"^fc\.(weight|bias)$", True

    def split(self, model: nn.Module, target_layer: str) -> tuple[nn.Module, Tail]:
        return ResNetStem(model), ResNetTail(model)

    def incremental_stem(self, engine, stem, state):
        x = engine.run(stem.pre, state, "pre")
        return engine.to_last_conv(stem.block, x), engine.identity(stem.block, x, "block")
