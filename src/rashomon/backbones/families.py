"""Stem/tail splits per architecture family (torchvision module layouts).

The tail must reproduce the full model exactly from the target activation, so where
the network has a skip connection around the target layer (ResNet's identity, DenseNet's
concatenated features) the stem also returns that side input.

Every tail is `rest(mix(channelwise(target, *side)))`: a channel-wise part (output
channel c depends on target channel c only; shape (N, C_total, k)), a linear mixing
(identity, or VGG's fc1) and the nonlinear rest. Pruning uses this to evaluate the
zeroing of every channel as a low-rank update instead of a full tail pass.
"""

from __future__ import annotations

import torch
from torch import nn


def _resolve(model: nn.Module, dotted: str) -> nn.Module:
    return model.get_submodule(dotted)


class VGGStem(nn.Module):
    def __init__(self, model: nn.Module, target_index: int):
        super().__init__()
        self.features = model.features[: target_index + 1]

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor]:
        return (self.features(x),)


class VGGTail(nn.Module):
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
        """Modules whose *output* is a later Grad-CAM target (see CAM_TARGETS)."""
        bn = next(m for m in self.features if isinstance(m, nn.BatchNorm2d))
        return {"after_bn": bn, "block_output": self.features[-1]}

    def channelwise(self, target: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.avgpool(self.features(target)), 2)

    def forward(self, target: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.avgpool(self.features(target)), 1))


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


class ResNetTail(nn.Module):
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


class DenseNetTail(nn.Module):
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


class EfficientNetStem(nn.Module):
    """Up to the final 1x1 conv (features[-1][0])."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.features = nn.Sequential(*list(model.features)[:-1], model.features[-1][0])

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor]:
        return (self.features(x),)


class EfficientNetTail(nn.Module):
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


def check_target_layer(model: nn.Module, target_layer: str) -> None:
    """The target layer must be a conv layer of `model`; otherwise list the valid ones."""
    from rashomon.core.errors import InputError

    convs = [n for n, m in model.named_modules() if isinstance(m, nn.Conv2d)]
    if target_layer not in convs:
        raise InputError(f"target layer {target_layer!r} does not exist or is not a conv layer; "
                         f"conv layers: {', '.join(convs[-8:])} (last 8 of {len(convs)})")


def split_model(model: nn.Module, family: str, target_layer: str) -> tuple[nn.Module, nn.Module]:
    """(stem, tail) of `model` for its family; checks the target layer is the one the
    split is built around."""
    check_target_layer(model, target_layer)
    if family == "vgg":
        index = int(target_layer.split(".")[1])
        return VGGStem(model, index), VGGTail(model, index)
    if family == "resnet":
        return ResNetStem(model), ResNetTail(model)
    if family == "densenet":
        return DenseNetStem(model), DenseNetTail(model)
    if family == "efficientnet":
        return EfficientNetStem(model), EfficientNetTail(model)
    raise ValueError(f"unknown family {family!r}")


def reference_embedding(model: nn.Module, family: str, x: torch.Tensor) -> torch.Tensor:
    """The embedding computed by the unsplit model's own forward (classifier removed):
    the independent check that stem+tail is exact."""
    if family == "vgg":
        saved = model.classifier
        model.classifier = saved[:5]
        try:
            return model(x)
        finally:
            model.classifier = saved
    attr = "fc" if family == "resnet" else "classifier"
    saved = getattr(model, attr)
    setattr(model, attr, nn.Identity())
    try:
        return model(x)
    finally:
        setattr(model, attr, saved)
