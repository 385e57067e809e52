"""CIFAR ResNet20/32/44/56 and VGG11/13/16/19-BN (32x32 inputs), in the module layout of
chenyaofo/pytorch-cifar-models so its weight files load from a local path."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from rashomon.core.errors import InputError
from rashomon.core.io import load_tensors


class BasicBlock(nn.Module):
    def __init__(self, inplanes: int, planes: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + identity)


class CifarResNet(nn.Module):
    def __init__(self, depth: int, num_classes: int = 100):
        super().__init__()
        n = (depth - 2) // 6
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU(inplace=True)
        inplanes = 16
        for i, planes in enumerate((16, 32, 64)):
            blocks = []
            for j in range(n):
                blocks.append(BasicBlock(inplanes, planes, 2 if (j == 0 and i > 0) else 1))
                inplanes = planes
            setattr(self, f"layer{i + 1}", nn.Sequential(*blocks))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(torch.flatten(self.avgpool(x), 1))


VGG_CFGS = {
    11: [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    13: [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    16: [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    19: [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}


class CifarVGG(nn.Module):
    def __init__(self, depth: int, num_classes: int = 100, width: float = 1.0):
        super().__init__()
        layers, c = [], 3
        for v in VGG_CFGS[depth]:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                v = max(8, int(v * width))
                layers += [nn.Conv2d(c, v, 3, padding=1), nn.BatchNorm2d(v), nn.ReLU(inplace=True)]
                c = v
        self.features = nn.Sequential(*layers)
        hidden = max(16, int(512 * width))
        self.classifier = nn.Sequential(nn.Linear(c, hidden), nn.ReLU(True), nn.Dropout(),
                                        nn.Linear(hidden, hidden), nn.ReLU(True), nn.Dropout(),
                                        nn.Linear(hidden, num_classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


MODELS = {f"resnet{d}": d for d in (20, 32, 44, 56)} | {f"vgg{d}_bn": d for d in (11, 13, 16, 19)}


def create_cifar_model(name: str, num_classes: int = 100, width: float = 1.0) -> nn.Module:
    """`resnet20|32|44|56` or `vgg11|13|16|19_bn`; `width` shrinks VGGs for CPU defaults."""
    if name not in MODELS:
        raise InputError(f"unknown CIFAR model {name!r}; available: {', '.join(MODELS)}")
    depth = MODELS[name]
    return CifarResNet(depth, num_classes) if name.startswith("resnet") else CifarVGG(depth, num_classes, width)


def gradcam_layer(model: nn.Module) -> nn.Module:
    """The layer Grad-CAM uses: ResNets' layer3 (no layer4 at CIFAR scale), VGGs' last conv
    (2x2 at 32 px: the likely cause of the reproduction's collapsed CAM scores on VGG)."""
    if isinstance(model, CifarResNet):
        return model.layer3
    return [m for m in model.features if isinstance(m, nn.Conv2d)][-1]


def load_cifar_weights(model: nn.Module, path: str | Path) -> None:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: CIFAR model weights not found (nothing is downloaded; "
                         "put the chenyaofo/pytorch-cifar-models .pt file there)")
    state = load_tensors(path, "CIFAR model weights (a state dict of tensors)")
    state = state.get("state_dict", state) if isinstance(state, dict) else state
    if not isinstance(state, dict):
        raise InputError(f"{path}: holds a {type(state).__name__}, not a state dict")
    result = model.load_state_dict(state, strict=False)
    if result.missing_keys or result.unexpected_keys:
        raise InputError(f"{path}: weights do not fit: missing {result.missing_keys[:5]}, "
                         f"unexpected {result.unexpected_keys[:5]}")


def check_model_names(names: list[str], weights: dict[str, str]) -> None:
    """Every configured model and every `idsds.weights` key must be a known CIFAR model."""
    for key, group in (("idsds.models", names), ("idsds.weights", list(weights))):
        unknown = [n for n in group if n not in MODELS]
        if unknown:
            raise InputError(f"params.yaml: {key}: unknown CIFAR model {unknown[0]!r}; available: {', '.join(MODELS)}")


def load_finetuned(folder: str | Path, name: str, num_classes: int, width: float) -> nn.Module:
    """The idsds_finetune stage's fine-tuned `name` (tensors only, weights_only), in eval mode."""
    model = create_cifar_model(name, num_classes, width)
    model.load_state_dict(load_tensors(Path(folder) / f"{name}_finetuned.pt",
                                       "a fine-tuned IDSDS model saved by rashomon"))
    return model.eval()
