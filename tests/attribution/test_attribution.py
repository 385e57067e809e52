"""Attribution methods against cases with known answers and against captum."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch import nn

from rashomon.attribution import METHODS, attribute
from rashomon.attribution.methods.gradcam import gradcam_full_model
from rashomon.attribution.methods.lime import weighted_ridge
from rashomon.attribution.methods.mpm import mpm_per_variant, scale_mask_sizes
from rashomon.attribution.method import minmax
from rashomon.backbones import create_backbone
from rashomon.backbones.registry import Backbone, BackboneSpec
from rashomon.core.errors import InputError
from rashomon.heads.head import make_head
from rashomon.heads.fitted import FittedHead
from rashomon.variants.variant_set import VariantSet


class FakeBackbone(nn.Module):
    """stem = identity on the image; tail = a given function: models with known answers."""

    def __init__(self, tail: nn.Module, size: int):
        super().__init__()
        self.tail = tail
        self.spec = SimpleNamespace(input_size=size, name="fake")

    def stem(self, x):
        return (x,)


class Lambda(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, *args):
        return self.fn(*args)


def linear_head(weights) -> FittedHead:
    lin = nn.Linear(len(weights), 1)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([weights], dtype=torch.float32))
        lin.bias.zero_()
    return FittedHead(nn.Sequential(lin), "study", 0.0, 0.0, 1.0, 0, 0.0)


def variant_set(backbone, heads, channels):
    return VariantSet(backbone, heads, torch.ones(len(heads), channels))


def test_gradcam_matches_the_analytic_answer():
    # score = sum_c w_c * mean(A_c)  =>  alpha_c = w_c / (h w),  cam = sum_c alpha_c A_c
    w = [2.0, -1.0, 0.5]
    backbone = FakeBackbone(Lambda(lambda a: a.mean(dim=(2, 3))), 6)
    vs = variant_set(backbone, [linear_head(w)], 3)
    a = torch.randn(2, 3, 6, 6)
    cam = attribute("gradcam", None, vs, stem_outputs=(a,), size=(6, 6)).maps[:, 0]
    expected = sum(w[c] / 36 * a[:, c] for c in range(3)).numpy()
    np.testing.assert_allclose(cam, expected, rtol=1e-5, atol=1e-7)
    relu = attribute("gradcam", None, vs, stem_outputs=(a,), size=(6, 6), relu=True).maps[:, 0]
    np.testing.assert_allclose(relu, np.maximum(expected, 0), rtol=1e-5, atol=1e-7)


def real_variants(name="resnet_small", k=3, seed=0):
    torch.manual_seed(seed)
    b = create_backbone(name)
    with torch.no_grad():
        dim = b(torch.zeros(1, 3, 64, 64)).shape[1]
    heads = [FittedHead(make_head(dim, b.spec.head, 0.5).eval(), b.spec.head, 0.5, 50.0, 10.0, 0, 0.0)
             for _ in range(k)]
    return b, VariantSet(b, heads)


@pytest.mark.parametrize("name", ["resnet_small", "vgg_small", "densenet_small", "efficientnet_small"])
def test_cached_gradcam_equals_full_model_and_captum(name):
    from captum.attr import LayerAttribution, LayerGradCam

    b, vs = real_variants(name)
    vs.masks[1, :5] = 0  # a pruned variant
    x = torch.randn(3, 3, 64, 64)
    with torch.no_grad():
        outs = b.stem(x)
    ours = attribute("gradcam", None, vs, stem_outputs=outs, size=(64, 64)).maps
    for k in range(len(vs)):
        full = gradcam_full_model(vs, x, k).numpy()
        np.testing.assert_allclose(ours[:, k], full, rtol=1e-4, atol=1e-5)
    # captum on the unpruned variant 0, hooking the registered target layer
    layer = b.model.get_submodule(b.spec.target_layer)
    cap = LayerGradCam(lambda inp: vs(inp)[:, 0], layer).attribute(x)
    cap = LayerAttribution.interpolate(cap, (64, 64), interpolate_mode="bilinear")[:, 0].detach().numpy()
    np.testing.assert_allclose(ours[:, 0], cap, rtol=1e-4, atol=1e-5)


def test_mpm_peaks_where_the_model_reads():
    region = (slice(20, 26), slice(36, 42))
    backbone = FakeBackbone(Lambda(lambda x: x[:, :, region[0], region[1]].mean(dim=(2, 3))), 64)
    vs = variant_set(backbone, [linear_head([1.0, 1.0, 1.0]), linear_head([0.5, 0.5, 0.5])], 3)
    images = torch.ones(1, 3, 64, 64)
    maps = attribute("mpm", images, vs, mask_sizes=(3, 17, 65), stride=1, progress=False).maps
    for k in range(2):
        y, x = np.unravel_index(np.argmax(maps[0, k]), (64, 64))
        assert 20 <= y < 26 and 36 <= x < 42
        assert maps[0, k].max() > 0 and np.allclose(maps[0, k][:10, :10], 0)
    np.testing.assert_allclose(maps[0, 1], maps[0, 0] * 0.5, rtol=1e-5, atol=1e-7)


def test_mpm_shared_stem_equals_per_variant_and_captum_occlusion_at_one_pixel():
    from captum.attr import Occlusion

    b, vs = real_variants("efficientnet_small", k=2)
    x = torch.randn(1, 3, 64, 64)
    shared = attribute("mpm", x, vs, mask_sizes=(3,), stride=8, scale_to_input=False, progress=False).maps
    per = mpm_per_variant(x, vs, mask_sizes=(3,), stride=8, scale_to_input=False).maps
    np.testing.assert_allclose(shared, per, rtol=1e-4, atol=1e-4)
    # a 1x1 window: captum's occlusion and MPM assign the same effect to the same pixel
    ours = attribute("mpm", x[:, :, :16, :16].contiguous(), vs, mask_sizes=(1,), stride=1,
                     scale_to_input=False, progress=False).maps[0, 0]
    occ = Occlusion(lambda inp: vs(inp)[:, 0]).attribute(
        x[:, :, :16, :16], sliding_window_shapes=(3, 1, 1), strides=(3, 1, 1), baselines=0.0)
    np.testing.assert_allclose(ours, occ[0].sum(0).detach().numpy() / 3, rtol=1e-3, atol=1e-4)


def test_a_strided_mpm_map_puts_each_value_on_its_mask_centre():
    """A model that reads one pixel, masked by 1 px windows every 8 px: the map peaks exactly on
    that pixel (a mask centre), holds the full-resolution value there, and falls off linearly to
    the neighbouring centres (the old interpolation put it 3.5 px off)."""
    y0, x0 = 24, 40
    backbone = FakeBackbone(Lambda(lambda x: x[:, :, y0, x0].mean(dim=1, keepdim=True)), 64)
    vs = variant_set(backbone, [linear_head([1.0])], 1)
    images = torch.ones(1, 3, 64, 64)
    strided = attribute("mpm", images, vs, mask_sizes=(1,), stride=8, scale_to_input=False, progress=False).maps[0, 0]
    full = attribute("mpm", images, vs, mask_sizes=(1,), stride=1, scale_to_input=False, progress=False).maps[0, 0]
    assert np.unravel_index(np.argmax(strided), strided.shape) == (y0, x0)
    assert strided[y0, x0] == pytest.approx(full[y0, x0]) and full[y0, x0] > 0
    assert strided[y0, x0 + 4] == pytest.approx(full[y0, x0] / 2) and strided[y0, x0 + 8] == pytest.approx(0)
    assert strided.shape == (64, 64) and strided[63, 63] == strided[56, 56]   # beyond the last centre: its value


def test_mask_sizes_scale_with_input():
    assert scale_mask_sizes([3, 17, 65], 224) == [3, 17, 65]
    assert scale_mask_sizes([3, 17, 65], 64) == [1, 5, 19]


def test_lime_recovers_a_model_linear_in_superpixels():
    torch.manual_seed(0)
    weight = torch.randn(3, 32, 32)
    backbone = FakeBackbone(Lambda(lambda x: (x * weight).sum(dim=(1, 2, 3))[:, None]), 32)
    vs = variant_set(backbone, [linear_head([1.0])], 1)
    image = torch.randn(1, 3, 32, 32)
    seg = (np.arange(32)[:, None] // 8) * 4 + (np.arange(32)[None, :] // 8)  # 16 square superpixels
    res = attribute("lime", image, vs, segments=[seg], n_samples=400, alpha=1e-6, progress=False)
    baseline = image[0].mean(dim=(1, 2), keepdim=True)
    contrib = ((image[0] - baseline) * weight).sum(0).numpy()
    expected = np.array([contrib[seg == s].sum() for s in range(16)])
    np.testing.assert_allclose(res.maps[0, 0][seg == 5].mean(), expected[5], rtol=1e-4)
    np.testing.assert_allclose([res.maps[0, 0][seg == s][0] for s in range(16)], expected, rtol=1e-4, atol=1e-4)
    assert res.info["fidelity"][0, 0] > 0.9999


def test_weighted_ridge_matches_sklearn():
    from sklearn.linear_model import Ridge

    rng = np.random.default_rng(0)
    z = (rng.random((200, 6)) < 0.5).astype(float)
    y = z @ rng.normal(size=6) + rng.normal(0, 0.1, 200)
    w = rng.random(200)
    beta, r2 = weighted_ridge(z, y[:, None], w, alpha=1.0)
    sk = Ridge(alpha=1.0).fit(z, y, sample_weight=w)
    np.testing.assert_allclose(beta[:, 0], sk.coef_, rtol=1e-6)
    assert r2[0] == pytest.approx(sk.score(z, y, sample_weight=w), abs=1e-9)


def test_lime_on_a_real_model_with_slic_segments():
    b, vs = real_variants("densenet_small", k=2)
    blocks = torch.randn(1, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    x = torch.nn.functional.interpolate(blocks, size=(64, 64), mode="nearest")   # regions SLIC can segment
    res = attribute("lime", x, vs, n_samples=64, progress=False)
    assert res.maps.shape == (1, 2, 64, 64) and 2 <= res.info["segments"].max() + 1 <= 150


def test_bad_requests_are_clear_errors():
    b, vs = real_variants("efficientnet_small", k=1)
    x = torch.zeros(1, 3, 64, 64)
    with pytest.raises(InputError, match="stride 100"):
        attribute("mpm", x, vs, stride=100)
    with pytest.raises(InputError, match="mask size\\(s\\) \\[99\\] larger"):
        attribute("mpm", x, vs, mask_sizes=(99,), scale_to_input=False)
    with pytest.raises(InputError, match="1 superpixel"):
        attribute("lime", x, vs, segments=[np.zeros((64, 64), int)], progress=False)
    with pytest.raises(InputError, match="unknown attribution method 'shap'"):
        attribute("shap", x, vs)
    spec = BackboneSpec("bad", "resnet", lambda: None, "layer9.conv1", 64, 64)
    with pytest.raises(InputError, match="'layer9.conv1' does not exist.*layer4.0.conv2"):
        Backbone(spec, create_backbone("resnet_small").model)


def test_minmax_view():
    m = np.array([[[-2.0, 0.0], [1.0, 2.0]]])
    np.testing.assert_allclose(minmax(m), [[[0, 0.5], [0.75, 1]]])


def test_explaining_an_image_outside_the_manifest_is_an_error():
    import pandas as pd

    from rashomon.attribution.runner import explain_architecture

    b, vs = real_variants("efficientnet_small", k=1)
    manifest = pd.DataFrame({"path": ["x.png"]}, index=pd.Index(["0"], name="image_id"))
    with pytest.raises(InputError, match="\\['99'\\] are not in the manifest"):
        explain_architecture(METHODS.get("gradcam")(), b, vs, None, manifest, ["99"])


@pytest.mark.parametrize("name", ["resnet_small", "vgg_small", "densenet_small", "efficientnet_small"])
@pytest.mark.parametrize("target_layer", ["after_bn", "block_output"])
def test_gradcam_at_later_targets_equals_captum(name, target_layer):
    from captum.attr import LayerAttribution, LayerGradCam

    b, vs = real_variants(name, k=2)
    b.train(False)
    x = torch.randn(3, 3, 64, 64)
    with torch.no_grad():
        target, *side = b.stem(x)
    ours = attribute("gradcam", None, vs, stem_outputs=(target, *side), size=(64, 64), target_layer=target_layer).maps
    layer = b.tail.cam_layers()[target_layer]
    for k in range(2):   # captum hooks the same tail module, the tail alone runs (no stem reuse of modules)
        cap = LayerGradCam(lambda t, k=k: vs.variant_from_stem((t, *side), k), layer).attribute(target.clone())
        cap = LayerAttribution.interpolate(cap, (64, 64), interpolate_mode="bilinear")[:, 0].detach().numpy()
        np.testing.assert_allclose(ours[:, k], cap, rtol=1e-4, atol=1e-5)


def test_gradcam_constant_share():
    from rashomon.attribution.methods.gradcam import constant_share, single_signed

    const = np.full((1, 4, 4), 2.0)
    zero_mean = np.array([[[1.0, -1.0], [-1.0, 1.0]]])
    half = np.array([[[1.0, 3.0], [1.0, 3.0]]])  # mean 2, mean square 5
    np.testing.assert_allclose(constant_share(np.concatenate([const[:, :2, :2], zero_mean, half])), [1, 0, 0.8])
    assert np.isnan(constant_share(np.zeros((1, 3, 3)))[0])
    assert single_signed(np.concatenate([half, zero_mean])).tolist() == [True, False]


def test_a_per_image_error_names_the_image_id_not_its_position():
    """LIME needs two superpixels; an image with one is named by its id (was 'image 0')."""
    from rashomon.attribution.method import Inputs

    lime = METHODS.get("lime").from_kwargs(n_samples=8)
    images = torch.zeros(2, 3, 16, 16)
    segments = [np.arange(256).reshape(16, 16) % 2, np.zeros((16, 16), dtype=int)]
    with pytest.raises(InputError, match=r"^lime: image 'gen2_p7_r1' has 1 superpixel; at least 2 are needed$"):
        lime.attribute(Inputs(images, segments=segments, ids=["gen0_p1_r0", "gen2_p7_r1"]), model=None)
    with pytest.raises(InputError, match=r"^lime: image 1 of the batch has 1 superpixel"):
        lime.attribute(Inputs(images, segments=segments), model=None)
