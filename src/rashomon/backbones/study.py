"""The study's six architectures (torchvision definitions; ImageNet weights from a
local file or the torch hub cache, never downloaded)."""

from __future__ import annotations

from functools import partial

import torchvision.models as tvm

from rashomon.backbones.registry import BackboneSpec, register

register(BackboneSpec(
    "vgg16", "vgg", partial(tvm.vgg16, weights=None), "features.28", 224, 256, head="vgg",
    weights_file="vgg16-397923af.pth", description="VGG16, torchvision ImageNet (timm vgg16.tv_in1k)"))
register(BackboneSpec(
    "vgg19", "vgg", partial(tvm.vgg19, weights=None), "features.34", 224, 256, head="vgg",
    weights_file="vgg19-dcbb9e9d.pth", description="VGG19, torchvision ImageNet (timm vgg19.tv_in1k)"))
register(BackboneSpec(
    "resnet152", "resnet", partial(tvm.resnet152, weights=None), "layer4.2.conv3", 224, 256,
    weights_file="resnet152-394f9c45.pth", description="ResNet152, torchvision ImageNet"))
register(BackboneSpec(
    "densenet161", "densenet", partial(tvm.densenet161, weights=None),
    "features.denseblock4.denselayer24.conv2", 300, 320,
    weights_file="densenet161-8d451a50.pth", description="DenseNet161, torchvision ImageNet"))
register(BackboneSpec(
    "efficientnet_b3", "efficientnet", partial(tvm.efficientnet_b3, weights=None), "features.8.0", 224, 256,
    weights_file="efficientnet_b3_rwightman-b3899882.pth", description="EfficientNetB3, torchvision ImageNet"))
register(BackboneSpec(
    "barlowtwins_resnet50", "resnet", partial(tvm.resnet50, weights=None), "layer4.2.conv3", 224, 256,
    weights_file="resnet50.pth",
    description="ResNet-50 trained with Barlow Twins (facebookresearch/barlowtwins hub file resnet50.pth)"))
