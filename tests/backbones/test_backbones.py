import pytest
import torch

from rashomon.backbones import create_backbone, get_spec, list_backbones

from rashomon.backbones.weights import load_weights, resolve_weights
from rashomon.core.errors import InputError

STUDY = ["vgg16", "vgg19", "resnet152", "densenet161", "efficientnet_b3", "barlowtwins_resnet50"]


def test_registry_has_the_study_and_default_architectures():
    names = list_backbones()
    assert set(STUDY) <= set(names)
    assert {"vgg_small", "resnet_small", "densenet_small", "efficientnet_small", "barlow_resnet_small"} <= set(names)
    assert get_spec("densenet161").target_layer == "features.denseblock4.denselayer24.conv2"
    assert get_spec("vgg16").target_layer == "features.28" and get_spec("vgg19").target_layer == "features.34"


@pytest.mark.parametrize("name", list_backbones())
def test_stem_plus_tail_equals_the_full_model(name):
    torch.manual_seed(0)
    backbone = create_backbone(name)
    size = backbone.spec.input_size
    x = torch.randn(2, 3, size, size)
    with torch.no_grad():
        outs = backbone.stem(x)
        split = backbone.tail(*outs)
        full = backbone.family.reference_embedding(backbone.model, x)
        # the target activation is what the named target layer outputs in the full model
        seen = {}
        layer = backbone.model.get_submodule(backbone.spec.target_layer)
        handle = layer.register_forward_hook(lambda m, i, o: seen.setdefault("a", o))
        backbone.model(x)
        handle.remove()
    torch.testing.assert_close(split, full, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(outs[0], seen["a"])


def test_unknown_architecture_lists_the_known_ones():
    with pytest.raises(InputError, match="unknown architecture 'resnet9000'.*vgg16"):
        create_backbone("resnet9000")


def test_weights_round_trip_through_a_local_file(tmp_path):
    torch.manual_seed(1)
    a = create_backbone("resnet_small")
    path = tmp_path / "w.pt"
    torch.save(a.model.state_dict(), path)
    b = create_backbone("resnet_small", path)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(a(x), b(x))
    # wrapped checkpoints ({'state_dict': ...} with 'module.' prefixes) load too
    torch.save({"state_dict": {f"module.{k}": v for k, v in a.model.state_dict().items()}}, path)
    c = create_backbone("resnet_small", path)
    with torch.no_grad():
        torch.testing.assert_close(a(x), c(x))


def test_self_supervised_checkpoint_without_classifier_loads(tmp_path):
    a = create_backbone("barlow_resnet_small")
    state = {k: v for k, v in a.model.state_dict().items() if not k.startswith("fc.")}
    torch.save(state, tmp_path / "bt.pt")
    create_backbone("barlow_resnet_small", tmp_path / "bt.pt")


def test_weights_for_another_architecture_are_refused_with_the_keys(tmp_path):
    torch.save(create_backbone("vgg_small").model.state_dict(), tmp_path / "vgg.pt")
    with pytest.raises(InputError, match="does not fit this architecture: missing \\[.conv1.weight"
                                         ".*unexpected \\[.features.0.weight"):
        create_backbone("resnet_small", tmp_path / "vgg.pt")
    other = create_backbone("resnet_small").model.state_dict()
    other["layer4.0.conv2.weight"] = torch.zeros(64, 128, 3, 3)
    torch.save(other, tmp_path / "bad_shape.pt")
    with pytest.raises(InputError, match="shape mismatch.*layer4.0.conv2.weight"):
        create_backbone("resnet_small", tmp_path / "bad_shape.pt")


def test_missing_or_corrupt_weights_say_where_to_put_them(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    with pytest.raises(InputError, match="vgg16-397923af.pth.*hub/checkpoints.*backbones.weights.vgg16"):
        resolve_weights(get_spec("vgg16"), None)
    (tmp_path / "hub/checkpoints").mkdir(parents=True)
    (tmp_path / "hub/checkpoints/vgg16-397923af.pth").write_bytes(b"x")
    assert resolve_weights(get_spec("vgg16"), None).name == "vgg16-397923af.pth"
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(InputError, match=r"junk.pt: cannot read it as resnet_small weights \(a state dict of tensors\) "
                                         r"\(its bytes are not a file of tensors torch.save wrote\)$"):
        load_weights(create_backbone("resnet_small").model, get_spec("resnet_small"), tmp_path / "junk.pt")


def test_backbone_is_frozen_even_in_train_mode():
    b = create_backbone("densenet_small")
    b.train()
    assert not b.training and not b.model.training
    assert not any(p.requires_grad for p in b.parameters())
