"""Ingest refuses, in one line naming the file and row, what could escape data.root or
break later stages: ids that look like paths, images outside the dataset folder (symlinks
followed), images below data.min_image_side, score files of the wrong length."""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.io
from PIL import Image

from rashomon.data.aigciqa import load_aigciqa2023
from rashomon.data.manifest import safe_filename
from rashomon.data.sources import ingest
from rashomon.data.twins import twin_path
from rashomon.core.errors import InputError
from tests.conftest import REPO, config

HOSTILE_IDS = ["../../outside/x", "a/b", "a\\b", "..\\..\\x", ".hidden", "..", ".", "tab\there", "line\nbreak",
               "bell\x07", "x" * 201]


def manifest_folder(root: Path) -> Path:
    """The AIGCIQA fixture as a manifest dataset: manifest.csv, paths relative to the folder."""
    m = load_aigciqa2023(root)
    m["path"] = [str(Path(p).relative_to(root)) for p in m["path"]]
    m.to_csv(root / "manifest.csv", index=False)
    return root


def edit_manifest(root: Path, row: int, **values: str) -> None:
    m = pd.read_csv(root / "manifest.csv", dtype={"image_id": str})
    for column, value in values.items():
        m.loc[row, column] = value
    m.to_csv(root / "manifest.csv", index=False)


def manifest_data(root: Path | str, **overrides):
    return config("data", source="manifest", root=str(root), ratings_long=None, **overrides)


def release_data(root: Path, **overrides):
    return config("data", source="aigciqa2023", root=str(root), ratings_long=None, generators=None, reps=4,
                  **overrides)


def refusal(data) -> str:
    """The one-line InputError that ingest raises for `data`."""
    with pytest.raises(InputError) as exc:
        ingest(data)
    message = str(exc.value)
    assert "\n" not in message, message
    return message


# ---- 1. image ids are data, never paths ----

@pytest.mark.parametrize("bad", HOSTILE_IDS)
def test_an_id_that_looks_like_a_path_is_refused_naming_the_row(aigciqa_folder, bad):
    root = manifest_folder(aigciqa_folder)
    edit_manifest(root, 3, image_id=bad)
    message = refusal(manifest_data(root))
    assert message.startswith(f"{root / 'manifest.csv'}: image_id ") and "at row 3" in message


def test_the_escaping_id_of_the_issue_is_named_as_it_is(aigciqa_folder):
    root = manifest_folder(aigciqa_folder)
    edit_manifest(root, 3, image_id="../../outside/x")
    assert "image_id '../../outside/x' at row 3 contains a path separator" in refusal(manifest_data(root))


def test_unusual_but_harmless_ids_are_kept(aigciqa_folder):
    root = manifest_folder(aigciqa_folder)
    harmless = ["a..b", "img 7", "é-1", "x" * 200, "x.png"]
    for row, image_id in enumerate(harmless):
        edit_manifest(root, row, image_id=image_id)
    assert ingest(manifest_data(root)).manifest["image_id"].tolist()[: len(harmless)] == harmless


def test_safe_filename_keeps_every_id_inside_its_folder(tmp_path):
    folder = tmp_path / "plots"
    folder.mkdir()
    ids = [*HOSTILE_IDS, "/", "a/../../b", "\udc80/x", "\x00", "é" * 150]
    names = [safe_filename(image_id) for image_id in ids]
    for name in names:
        assert "/" not in name and "\\" not in name and not name.startswith(".") and name
        for file in (folder / f"{name}.png", folder / f"image_{name}.png"):
            assert file.resolve().parent == folder.resolve()
            file.write_bytes(b"written")
    assert len(set(names)) == len(ids)                       # distinct ids, distinct files
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plots"]
    assert [safe_filename(i) for i in ("17", "a..b", "img_7.v2")] == ["17", "a..b", "img_7.v2"]   # names unchanged


@pytest.mark.parametrize("image_id", ['x20"><img src=x onerror=alert(20)>', "img 7", "Img7", "café", "a:b", "a*b?",
                                      "CON", "nul.txt", "trailing.", "it's"])
def test_ids_outside_the_plain_set_get_a_stable_escaped_name(image_id):
    """Quotes, markup, spaces, upper case (folded by case-insensitive systems), non-ASCII,
    Windows-reserved characters and device names: a plain stem plus a hash of the whole id."""
    name = safe_filename(image_id)
    assert re.fullmatch(r"[A-Za-z0-9_-]*-[0-9a-f]{16}", name), name
    assert name == safe_filename(image_id) and name.lower() != safe_filename(image_id.swapcase()).lower()


def test_twin_paths_stay_in_their_folder(tmp_path):
    folder = (tmp_path / "twins" / "no_artifact").resolve()
    assert twin_path(tmp_path, "no_artifact", "../../../x").resolve().parent == folder
    assert twin_path(tmp_path, "no_artifact", "12") == tmp_path / "twins" / "no_artifact" / "12.png"


def raw_id_file_names(script: Path) -> list[int]:
    """Lines of f-strings that put `image_id` itself into a .png name."""
    lines = []
    for node in ast.walk(ast.parse(script.read_text())):
        if isinstance(node, ast.JoinedStr):
            png = any(isinstance(v, ast.Constant) and ".png" in str(v.value) for v in node.values)
            raw = any(isinstance(v, ast.FormattedValue) and isinstance(v.value, ast.Name) and v.value.id == "image_id"
                      for v in node.values)
            if png and raw:
                lines.append(node.lineno)
    return lines


@pytest.mark.parametrize("script", ["explain_figures.py", "counterfactual.py"])
def test_stages_name_files_through_safe_filename(script):
    path = REPO / "stages" / script
    assert raw_id_file_names(path) == [] and "safe_filename(image_id)" in path.read_text()


# ---- 2. every image resolves inside data.root ----

def test_a_relative_path_out_of_the_folder_is_refused_naming_the_row(aigciqa_folder, tmp_path):
    root = manifest_folder(aigciqa_folder)
    (tmp_path / "outside_img").mkdir()
    shutil.copy(root / "Image/allimg/1.png", tmp_path / "outside_img/1.png")
    edit_manifest(root, 5, path="../outside_img/1.png")
    message = refusal(manifest_data(root))
    assert "image path '" in message and "outside_img/1.png' of image_id '5' (row 5) resolves outside" in message
    edit_manifest(root, 5, path=str(tmp_path / "outside_img/1.png"))     # absolute: the same
    assert "(row 5) resolves outside" in refusal(manifest_data(root))


def test_a_symlink_out_of_the_folder_is_refused_naming_the_row(aigciqa_folder, tmp_path):
    (tmp_path / "elsewhere").mkdir()
    image = aigciqa_folder / "Image/allimg/7.png"
    shutil.move(image, tmp_path / "elsewhere/7.png")
    image.symlink_to(tmp_path / "elsewhere/7.png")
    assert "7.png' of image_id '7' (row 7) resolves outside" in refusal(release_data(aigciqa_folder))


def test_a_symlink_out_of_a_manifest_folder_is_refused_naming_the_row(aigciqa_folder, tmp_path):
    root = manifest_folder(aigciqa_folder)
    (tmp_path / "elsewhere").mkdir()
    shutil.copy(root / "Image/allimg/2.png", tmp_path / "elsewhere/2.png")
    (root / "link.png").symlink_to(tmp_path / "elsewhere/2.png")
    edit_manifest(root, 2, path="link.png")
    assert "link.png' of image_id '2' (row 2) resolves outside" in refusal(manifest_data(root))


def test_a_symlink_within_the_folder_is_fine(aigciqa_folder):
    root = manifest_folder(aigciqa_folder)
    (root / "link.png").symlink_to(root / "Image/allimg/2.png")
    edit_manifest(root, 2, path="link.png")
    assert ingest(manifest_data(root)).manifest["path"][2] == str(root / "link.png")


def test_a_manifest_file_as_data_root_is_refused(aigciqa_folder):
    """data.root is a folder: DVC tracks all of it (a file root would leave the images untracked)."""
    root = manifest_folder(aigciqa_folder)
    message = refusal(manifest_data(root / "manifest.csv"))
    assert message.startswith(str(root / "manifest.csv")) and "must be an existing dataset folder" in message


# ---- 4. a minimum image side ----

def test_an_image_below_the_minimum_side_is_refused_naming_it(aigciqa_folder):
    image = aigciqa_folder / "Image/allimg/5.png"
    Image.fromarray(np.zeros((40, 31, 3), np.uint8)).save(image)
    message = refusal(release_data(aigciqa_folder))
    assert f"image file {image} is 31x40 px" in message and "data.min_image_side (32 px)" in message
    Image.new("RGB", (1, 1)).save(image)
    assert f"{image} is 1x1 px" in refusal(release_data(aigciqa_folder))
    assert len(ingest(release_data(aigciqa_folder, min_image_side=1)).manifest) == 24


def test_the_minimum_side_is_the_param(aigciqa_folder):
    assert len(ingest(release_data(aigciqa_folder)).manifest) == 24     # the fixture's 32 px: allowed
    assert "is 32x32 px" in refusal(release_data(aigciqa_folder, min_image_side=33))


def png_header_only(path: Path, width: int, height: int) -> None:
    """A PNG whose header says width x height and whose pixel data is missing: only a check
    made before decoding can name its size (decoding it would report a corrupt file)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)))


def test_an_image_over_the_pixel_budget_is_refused_before_decoding(aigciqa_folder):
    """A 12000 x 12000 image (144 Mpx, 432 MB as RGB; under PIL's own 179 Mpx bomb limit) is
    refused from its header, naming it, before a pixel is decoded."""
    image = aigciqa_folder / "Image/allimg/7.png"
    png_header_only(image, 12000, 12000)
    message = refusal(release_data(aigciqa_folder))
    assert f"image file {image} is 12000x12000 px (144.0 Mpx)" in message
    assert "more than data.max_image_pixels (50 Mpx)" in message
    assert "corrupt" in refusal(release_data(aigciqa_folder, max_image_pixels=200_000_000))   # then it is decoded


def test_the_pixel_budget_is_the_param(aigciqa_folder):
    assert "is 32x32 px (0.0 Mpx): more than data.max_image_pixels (0.001 Mpx)" in \
        refusal(release_data(aigciqa_folder, max_image_pixels=1000))
    assert len(ingest(release_data(aigciqa_folder, max_image_pixels=1024)).manifest) == 24


# ---- 5. score files and images of different lengths ----

@pytest.mark.parametrize("file, variable, n", [("DATA/STD/SD2.mat", "SD", 23), ("DATA/MOS/mosz3.mat", "MOSz", 23),
                                              ("DATA/STD/SD1.mat", "SD", 25)])
def test_a_score_file_of_the_wrong_length_is_one_line_naming_it(aigciqa_folder, file, variable, n):
    scipy.io.savemat(aigciqa_folder / file, {variable: np.full((n, 1), 50.0)})
    message = refusal(release_data(aigciqa_folder))
    assert message.startswith(f"{aigciqa_folder / file}: {n} values, but ")
    assert "DATA/MOS/mosz1.mat has 24" in message


def test_a_txt_score_file_one_value_short(tmp_path):
    from tests.conftest import make_aigciqa_folder

    root = make_aigciqa_folder(tmp_path / "txt", score_format="txt")
    np.savetxt(root / "DATA/MOS/moz2.txt", np.full(23, 50.0))
    assert refusal(release_data(root)).startswith(f"{root / 'DATA/MOS/moz2.txt'}: 23 values, but ")


def test_more_or_fewer_images_than_scores_names_both_counts(aigciqa_folder):
    folder = aigciqa_folder / "Image/allimg"
    shutil.copy(folder / "0.png", folder / "24.png")
    message = refusal(release_data(aigciqa_folder))
    assert "24.png have no score" in message and "mosz1.mat has 24 scores" in message
    assert "25 numbered images" in message
    (folder / "24.png").unlink()
    (folder / "9.png").unlink()
    message = refusal(release_data(aigciqa_folder))
    assert "9.png missing" in message and "23 numbered images" in message


def test_an_image_over_pils_own_limit_is_named_as_too_large(aigciqa_folder):
    image = aigciqa_folder / "Image/allimg/3.png"
    png_header_only(image, 20000, 20000)   # 400 Mpx: PIL refuses to open it at all
    message = refusal(release_data(aigciqa_folder))
    assert f"image file {image} has more pixels than PIL opens" in message and "data.max_image_pixels" in message


def test_an_id_shaped_like_an_escaped_name_is_escaped_too():
    """'a b' becomes 'a_b-<hash>'; an id that literally is that name must not get the same file."""
    escaped = safe_filename("a b")
    assert safe_filename(escaped) != escaped and re.fullmatch(r"a_b-[0-9a-f]{16}", escaped)
    assert safe_filename("IMG 7").startswith("img_7-") and safe_filename("IMG 7") != safe_filename("img 7")
