"""Small members of each family for the embedded default (64 px, output stride 8),
pretrained in-pipeline on synthetic images because ImageNet weights cannot be fetched.
Their module layouts follow torchvision's so the same stem/tail splits apply."""

from __future__ import annotations

from torch import nn
from torchvision.models.densenet import DenseNet
from torchvision.models.efficientnet import EfficientNet, MBConvConfig
from torchvision.models.resnet import BasicBlock

from rashomon.backbones.registry import BackboneSpec, register

N_PRETRAIN_OUTPUTS = 23  # multi-task pretraining logits: 8 objects + 5 materials + 6 colours + 4 degradation levels


class SmallVGG(nn.Module):
    """VGG-BN layout (features / avgpool / classifier with fc1, fc2) at a fraction of the
    width; batch norm because plain VGG does not train from scratch in the default's budget."""

    def __init__(self, num_classes: int = N_PRETRAIN_OUTPUTS, cfg=(16, "M", 32, "M", 64, 64, "M", 128, 128)):
        super().__init__()
        layers: list[nn.Module] = []
        c = 3
        for v in cfg:
            if v == "M":
                layers.append(nn.MaxPool2d(2))
            else:
                layers += [nn.Conv2d(c, v, 3, padding=1), nn.BatchNorm2d(v), nn.ReLU(inplace=True)]
                c = v
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(2)
        self.classifier = nn.Sequential(
            nn.Linear(c * 4, 256), nn.ReLU(True), nn.Dropout(0.5),
            nn.Linear(256, 256), nn.ReLU(True), nn.Dropout(0.5), nn.Linear(256, num_classes))

    def forward(self, x):
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


class SmallResNet(nn.Module):
    """torchvision ResNet layout with BasicBlocks, widths 16-128, no stem max-pool."""

    def __init__(self, num_classes: int = N_PRETRAIN_OUTPUTS, widths=(16, 32, 64, 128)):
        super().__init__()
        self.conv1 = nn.Conv2d(3, widths[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.Identity()
        c = widths[0]
        for i, w in enumerate(widths):
            stride = 1 if i == 0 else 2
            down = None if stride == 1 and c == w else nn.Sequential(
                nn.Conv2d(c, w, 1, stride, bias=False), nn.BatchNorm2d(w))
            setattr(self, f"layer{i + 1}", nn.Sequential(BasicBlock(c, w, stride, down)))
            c = w
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c, num_classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avgpool(x).flatten(1))


def small_densenet(num_classes: int = N_PRETRAIN_OUTPUTS) -> DenseNet:
    model = DenseNet(growth_rate=12, block_config=(2, 2, 2), num_init_features=24, bn_size=4,
                     num_classes=num_classes)
    model.features.conv0 = nn.Conv2d(3, 24, 3, 2, 1, bias=False)
    model.features.pool0 = nn.Identity()
    return model


def small_efficientnet(num_classes: int = N_PRETRAIN_OUTPUTS) -> EfficientNet:
    setting = [MBConvConfig(1, 3, 1, 16, 16, 1), MBConvConfig(4, 3, 2, 16, 24, 1),
               MBConvConfig(4, 5, 2, 24, 40, 1), MBConvConfig(4, 3, 1, 40, 64, 1)]
    return EfficientNet(setting, dropout=0.2, stochastic_depth_prob=0.0, num_classes=num_classes)


_COMMON = dict(input_size=64, resize_size=64)
register(BackboneSpec("vgg_small", "vgg", SmallVGG, "features.18", head="vgg", pretrain="supervised",
                      description="small VGG, pretrained on synthetic scenes", **_COMMON))
register(BackboneSpec("resnet_small", "resnet", SmallResNet, "layer4.0.conv2", pretrain="supervised",
                      description="small ResNet, pretrained on synthetic scenes", **_COMMON))
register(BackboneSpec("densenet_small", "densenet", small_densenet, "features.denseblock3.denselayer2.conv2",
                      pretrain="supervised", description="small DenseNet, pretrained on synthetic scenes", **_COMMON))
register(BackboneSpec("efficientnet_small", "efficientnet", small_efficientnet, "features.5.0",
                      pretrain="supervised", description="small EfficientNet, pretrained on synthetic scenes",
                      **_COMMON))
register(BackboneSpec("barlow_resnet_small", "resnet", SmallResNet, "layer4.0.conv2", pretrain="barlow_twins",
                      description="small ResNet, Barlow Twins self-supervised on synthetic scenes", **_COMMON))
