"""Every image mode PIL opens decodes to the right RGB, checked against hand-made arrays;
anything else ends in one InputError line naming the file."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from PIL import Image

from rashomon.backbones.preprocess import ImageFiles, load_images, preprocess
from rashomon.backbones.registry import BackboneSpec
from rashomon.data.images import check_image_files, load_rgb, load_rgb_array
from rashomon.core.errors import InputError
from rashomon.data.manifest import MAX_IMAGE_PIXELS

H, W = 5, 7
SPEC = BackboneSpec("tiny", "resnet", lambda: None, "layer", 8, 8)


def save(path: Path, image: Image.Image) -> Path:
    image.save(path)
    return path


def quantised(unit: np.ndarray) -> np.ndarray:
    """What the callers see: [0, 1] values rounded to 8 bits, as (H, W, 3) uint8."""
    grey = np.round(np.asarray(unit, dtype=np.float64) * 255).astype(np.uint8)
    return grey if grey.ndim == 3 else np.repeat(grey[..., None], 3, axis=2)


def decoded(path: Path) -> np.ndarray:
    return np.asarray(load_rgb(path))


def one_line_naming(exc: pytest.ExceptionInfo, path: Path) -> str:
    message = str(exc.value)
    assert "\n" not in message and str(path) in message
    return message


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(7)


def test_8bit_rgb_bytes_are_exactly_what_convert_gave(tmp_path, rng):
    pixels = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
    path = save(tmp_path / "rgb.png", Image.fromarray(pixels))
    out = load_rgb(path)
    assert out.mode == "RGB" and out.tobytes() == pixels.tobytes()
    with Image.open(path) as im:
        assert out.tobytes() == im.convert("RGB").tobytes()
    np.testing.assert_array_equal(load_rgb_array(path), pixels.astype(np.float32) / 255)


@pytest.mark.parametrize("suffix", ["png", "tif"])
def test_16bit_ramp_comes_back_as_the_ramp_over_65535(tmp_path, suffix):
    ramp = np.linspace(0, 65535, H * W).round().astype(np.uint16).reshape(H, W)
    path = save(tmp_path / f"ramp.{suffix}", Image.fromarray(ramp))
    with Image.open(path) as im:
        assert im.mode == "I;16"
    np.testing.assert_array_equal(decoded(path), quantised(ramp / 65535))
    assert decoded(path)[0, 0, 0] == 0 and decoded(path)[-1, -1, 0] == 255


def test_big_endian_16bit_is_scaled_like_little_endian(tmp_path):
    ramp = np.linspace(0, 65535, H * W).round().astype(np.uint16).reshape(H, W)
    path = save(tmp_path / "ramp.tif", Image.frombytes("I;16B", (W, H), ramp.astype(">u2").tobytes()))
    with Image.open(path) as im:
        assert im.mode == "I;16B"
    np.testing.assert_array_equal(decoded(path), quantised(ramp / 65535))


def test_32bit_int_within_16bit_range_and_beyond(tmp_path):
    small = np.linspace(0, 65535, H * W).round().astype(np.int32).reshape(H, W)
    path = save(tmp_path / "small.tif", Image.fromarray(small))
    with Image.open(path) as im:
        assert im.mode == "I"
    np.testing.assert_array_equal(decoded(path), quantised(small / 65535))
    big = np.linspace(0, 2**31 - 1, H * W).round().astype(np.int32).reshape(H, W)
    path = save(tmp_path / "big.tif", Image.fromarray(big))
    np.testing.assert_array_equal(decoded(path), quantised(big / (2**31 - 1)))


def test_negative_32bit_int_is_refused_naming_the_file(tmp_path):
    values = np.full((H, W), 100, np.int32)
    values[2, 3] = -5
    path = save(tmp_path / "neg.tif", Image.fromarray(values))
    with pytest.raises(InputError) as exc:
        load_rgb(path)
    assert "negative" in one_line_naming(exc, path)


def test_float_in_unit_range_and_outside_it(tmp_path):
    values = np.linspace(0, 1, H * W, dtype=np.float32).reshape(H, W)
    path = save(tmp_path / "f.tif", Image.fromarray(values))
    with Image.open(path) as im:
        assert im.mode == "F"
    np.testing.assert_array_equal(decoded(path), quantised(values))
    for bad in (1.5, -0.25, np.nan):
        values[1, 1] = bad
        path = save(tmp_path / "bad.tif", Image.fromarray(values))
        with pytest.raises(InputError) as exc:
            load_rgb(path)
        assert "expected [0, 1]" in one_line_naming(exc, path)


def test_bilevel_grey_and_grey_alpha(tmp_path, rng):
    bits = rng.random((H, W)) < 0.5
    path = save(tmp_path / "bits.png", Image.fromarray(bits))
    with Image.open(path) as im:
        assert im.mode == "1"
    np.testing.assert_array_equal(decoded(path), quantised(bits.astype(float)))
    grey = rng.integers(0, 256, (H, W), dtype=np.uint8)
    np.testing.assert_array_equal(decoded(save(tmp_path / "l.png", Image.fromarray(grey))), quantised(grey / 255))
    alpha = np.zeros_like(grey)   # fully transparent: the grey values are kept all the same
    path = save(tmp_path / "la.png", Image.frombytes("LA", (W, H), np.stack([grey, alpha], axis=2).tobytes()))
    np.testing.assert_array_equal(decoded(path), quantised(grey / 255))


@pytest.mark.parametrize("transparency", [None, 3])
def test_palette_with_and_without_transparency(tmp_path, rng, transparency):
    palette = rng.integers(0, 256, (256, 3), dtype=np.uint8)
    index = rng.integers(0, 256, (H, W), dtype=np.uint8)
    index[0, 0] = 3
    image = Image.fromarray(index)
    image.putpalette(palette.tobytes())
    if transparency is not None:
        image.info["transparency"] = transparency
    path = save(tmp_path / "p.png", image)
    with Image.open(path) as im:
        assert im.mode == "P" and im.info.get("transparency") == transparency
    np.testing.assert_array_equal(decoded(path), palette[index])


def test_rgba_drops_alpha_without_compositing(tmp_path, rng):
    pixels = rng.integers(0, 256, (H, W, 4), dtype=np.uint8)
    pixels[..., 3] = 0
    path = save(tmp_path / "rgba.png", Image.fromarray(pixels))
    np.testing.assert_array_equal(decoded(path), pixels[..., :3])


def test_cmyk(tmp_path, rng):
    ink = rng.integers(0, 256, (H, W, 4), dtype=np.uint8)
    path = save(tmp_path / "cmyk.tif", Image.frombytes("CMYK", (W, H), ink.tobytes()))
    c = ink.astype(float)
    expected = np.round((255 - c[..., :3]) * (255 - c[..., 3:]) / 255).astype(np.uint8)
    np.testing.assert_array_equal(decoded(path), expected)


def test_preprocessing_sees_the_16bit_image_scaled_not_white(tmp_path):
    ramp = np.linspace(0, 65535, 16 * 16).round().astype(np.uint16).reshape(16, 16)
    path = save(tmp_path / "ramp.png", Image.fromarray(ramp))
    expected = preprocess(SPEC)(Image.fromarray(quantised(ramp / 65535)))
    got = load_images([str(path)], SPEC)
    assert got.shape == (1, 3, 8, 8)
    assert np.array_equal(got[0].numpy(), expected.numpy())


def test_corrupt_file_is_one_line_naming_it(tmp_path, rng):
    path = save(tmp_path / "x.png", Image.fromarray(rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)))
    path.write_bytes(path.read_bytes()[:120])
    with pytest.raises(InputError) as exc:
        load_rgb(path)
    assert "unreadable or corrupt" in one_line_naming(exc, path)
    with pytest.raises(InputError) as exc:
        ImageFiles([str(path)], SPEC)[0]
    one_line_naming(exc, path)


# ---- property: any mode, size or truncation ends in a correct array or one InputError line ----

MIN_SIDE = 8
FORMATS = {"1": ("png", "tif"), "L": ("png", "tif"), "P": ("png", "tif"), "LA": ("png", "tif"),
           "RGBA": ("png", "tif"), "RGB": ("png", "tif"), "CMYK": ("tif",), "I;16": ("png", "tif"),
           "I;16B": ("tif",), "I": ("tif",), "F": ("tif",)}


def make_image(mode: str, h: int, w: int, rng: np.random.Generator, bad_values: bool) -> tuple[Image.Image, np.ndarray]:
    """An image of `mode` and the float RGB (h, w, 3) in [0, 1] it must decode to (before 8-bit rounding)."""
    u8 = rng.integers(0, 256, (h, w, 4), dtype=np.uint8)
    if mode == "1":
        bits = u8[..., 0] < 128
        return Image.fromarray(bits), np.repeat(bits[..., None], 3, axis=2).astype(float)
    if mode in ("L", "LA"):
        return (Image.fromarray(u8[..., 0]) if mode == "L" else Image.frombytes("LA", (w, h), u8[..., :2].tobytes()),
                np.repeat(u8[..., :1], 3, axis=2) / 255)
    if mode == "P":
        palette = rng.integers(0, 256, (256, 3), dtype=np.uint8)
        image = Image.fromarray(u8[..., 0])
        image.putpalette(palette.tobytes())
        if bad_values:
            image.info["transparency"] = int(u8[0, 0, 0])
        return image, palette[u8[..., 0]] / 255
    if mode in ("RGB", "RGBA"):
        return Image.frombytes(mode, (w, h), u8[..., :len(mode)].tobytes()), u8[..., :3] / 255
    if mode == "CMYK":
        c = u8.astype(float)
        return Image.frombytes("CMYK", (w, h), u8.tobytes()), (255 - c[..., :3]) * (255 - c[..., 3:]) / 255 ** 2
    if mode in ("I;16", "I;16B"):
        v = rng.integers(0, 65536, (h, w)).astype(np.uint16)
        raw = v.astype("<u2" if mode == "I;16" else ">u2").tobytes()
        return Image.frombytes(mode, (w, h), raw), np.repeat(v[..., None], 3, axis=2) / 65535
    if mode == "I":
        top = 2**31 - 1 if rng.random() < 0.5 else 65535
        v = rng.integers(-5 if bad_values else 0, top, (h, w), endpoint=True).astype(np.int32)
        scale = 65535 if v.max() <= 65535 else 2**31 - 1
        return Image.fromarray(v), np.repeat(v[..., None], 3, axis=2) / scale
    v = rng.random((h, w)).astype(np.float32) * (1.5 if bad_values else 1.0)
    return Image.fromarray(v), np.repeat(v[..., None].astype(float), 3, axis=2)


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data", "ignore:Tag data larger than file",
                            "ignore:Truncated File Read")   # PIL's notes on truncated TIFFs
@settings(max_examples=300, derandomize=True, deadline=None)
@given(mode=st.sampled_from(sorted(FORMATS)), fmt_pick=st.integers(0, 1), h=st.integers(MIN_SIDE, 24),
       w=st.integers(MIN_SIDE, 24), small=st.integers(1, MIN_SIDE - 1), seed=st.integers(0, 2**16),
       dice=st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 2)), cut=st.floats(0.0, 0.999))
def test_any_image_decodes_correctly_or_is_one_line_naming_it(mode, fmt_pick, h, w, small, seed, dice, cut):
    """Modes x sizes (some below the minimum) x truncation through the ingest checks and the
    load path: a correct RGB array in [0, 1] of the right shape, or one line naming the file."""
    h = small if dice[0] == 3 else h           # a quarter of the images are too small
    bad_values = dice[1] == 3                  # a quarter of I and F images have out-of-range pixels
    cut = cut if dice[2] == 2 else None        # a third of the files are cut short
    image, expected = make_image(mode, h, w, np.random.default_rng(seed), bad_values)
    fmt = FORMATS[mode][fmt_pick % len(FORMATS[mode])]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"img.{fmt}"
        image.save(path)
        if cut is not None:
            path.write_bytes(path.read_bytes()[: int(cut * path.stat().st_size)])
        try:
            check_image_files([str(path)], "manifest.csv", MIN_SIDE, MAX_IMAGE_PIXELS)
            rgb = load_rgb_array(path)
            model_input = ImageFiles([str(path)], SPEC)[0]
        except InputError as exc:
            message = str(exc)
            assert "\n" not in message and str(path) in message, message
            might_fail = min(h, w) < MIN_SIDE or cut is not None or (bad_values and mode in ("I", "F"))
            assert might_fail, f"a valid image was refused: {message}"
            event("refused: " + ("too small" if min(h, w) < MIN_SIDE else "truncated" if cut is not None else "range"))
            return
    event("decoded" + (" though truncated" if cut is not None else ""))
    assert min(h, w) >= MIN_SIDE, "a too small image passed the ingest checks"
    invalid = bad_values and mode in ("I", "F") and (expected.min() < 0 or expected.max() > 1)
    assert not invalid, "out-of-range pixels passed the ingest checks"
    assert rgb.shape == (h, w, 3) and rgb.dtype == np.float32 and 0 <= rgb.min() and rgb.max() <= 1
    np.testing.assert_allclose(rgb, expected, atol=0.5 / 255 + 1e-6)
    assert model_input.shape == (3, 8, 8) and bool(model_input.isfinite().all())
