"""RichHF-18K ingest on a fixture in the release's format: every feature read exactly, every
bad record refused in one line, the cue-map store content-hashed, nothing half-written."""

import dataclasses
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from rashomon.core.errors import InputError
from rashomon.data.cue_maps import CueMapWriter, read_cue_maps, read_index
from rashomon.data.richhf import load_richhf18k
from rashomon.data.sources import ingest
from rashomon.data.tfrecord import parse_example, read_records
from tests.conftest import REPO, config
from tests.data.richhf_fixture import heatmap_png, make_richhf_folder, record_features, write_records

RECORDS = {"train": "train.tfrecord", "dev": "dev.tfrecord", "test": "test.tfrecord"}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("richhf") / "RichHF"
    return root, make_richhf_folder(root)


def data_config(root: Path, **overrides):
    return config("data", source="richhf18k", root=str(root), ratings_long=None, rating_range=[0.0, 1.0],
                  **overrides)


def load(root: Path, sink=lambda *_: None, heatmap: str = "artifact_map"):
    return load_richhf18k(root, RECORDS, "images", heatmap, (0.0, 1.0), 32, 50_000_000, sink)


def test_our_reader_gives_every_feature_the_tfrecord_package_reads(folder):
    from tfrecord.reader import tfrecord_loader

    root, written = folder
    ours = [parse_example(p) for p in read_records(root / "train.tfrecord")]
    theirs = list(tfrecord_loader(str(root / "train.tfrecord"), None))
    assert len(ours) == len(theirs) == len(written["train"])
    for mine, other in zip(ours, theirs):
        assert set(mine) == set(other)
        for key, value in other.items():
            if isinstance(value, bytes):
                assert mine[key] == [value]
            else:
                assert np.array_equal(np.asarray(mine[key], dtype=np.float32), value)


def test_scores_and_heatmaps_are_read_exactly_and_images_found_by_filename(folder):
    root, written = folder
    seen = {}
    manifest = load(root, sink=lambda image_id, path, heat: seen.update({image_id: (path, heat)}))
    rows = [(split, r) for split in ("train", "dev", "test") for r in written[split]]
    assert manifest["image_id"].tolist() == [Path(r["filename"]).stem for _, r in rows]
    assert manifest["dataset_split"].tolist() == [split for split, _ in rows]
    for (_, r), (_, row) in zip(rows, manifest.iterrows()):
        assert row["path"] == str(root / "images" / r["filename"])
        for key, column in (("artifact_score", "authenticity"), ("misalignment_score", "correspondence"),
                            ("aesthetics_score", "quality"), ("overall_score", "overall")):
            assert row[column] == np.float32(r["scores"][key])   # FloatList holds float32
        path, heat = seen[row["image_id"]]
        assert path == row["path"] and heat.dtype == np.uint8 and np.array_equal(heat, r["heat"])


def test_the_cue_map_store_holds_each_heatmap_at_its_image_size_and_refuses_an_edited_one(folder, tmp_path):
    root, written = folder
    writer = CueMapWriter(tmp_path / "cue_maps")
    out = ingest(data_config(root), writer)
    writer.close()
    index = read_index(tmp_path / "cue_maps")
    assert index["image_id"].tolist() == out.manifest["image_id"].tolist()
    maps = read_cue_maps(tmp_path / "cue_maps", index["image_id"].tolist())
    first = written["train"][0]
    expected = np.asarray(Image.fromarray(first["heat"]).resize((64, 64), Image.Resampling.BILINEAR))
    assert np.array_equal(maps[Path(first["filename"]).stem], expected.astype(np.float32) / 255)
    assert all(m.shape == (64, 64) for m in maps.values())
    assert out.truth.empty and set(out.images["image_id"]) == set(index["image_id"])
    edited = tmp_path / "cue_maps" / index["file"][0]
    Image.fromarray(np.zeros((64, 64), np.uint8)).save(edited)
    with pytest.raises(InputError, match="cue map changed since ingest"):
        read_cue_maps(tmp_path / "cue_maps", index["image_id"].tolist())


def corrupt(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("where, message", [("length", "record 1: length CRC mismatch"),
                                            ("payload", "record 1: payload CRC mismatch"),
                                            ("truncate", "record 1: truncated payload")])
def test_a_corrupt_or_truncated_record_file_is_refused_naming_the_record(folder, tmp_path, where, message):
    root, _ = folder
    path = tmp_path / "dev.tfrecord"
    data = (root / "dev.tfrecord").read_bytes()
    second = 12 + struct.unpack("<Q", data[:8])[0] + 4
    path.write_bytes(data)
    if where == "length":
        corrupt(path, second + 2)
    elif where == "payload":
        corrupt(path, second + 12 + 40)
    else:
        path.write_bytes(data[:second + 30])
    with pytest.raises(InputError) as err:
        list(read_records(path))
    assert str(err.value) == f"{path}: {message}" + str(err.value).split(message, 1)[1]
    assert "\n" not in str(err.value)


def good(i: int) -> dict:
    heat = np.zeros((512, 512))
    heat[10:40, 10:40] = 200
    return record_features(f"img{i}.png", {"aesthetics_score": .5, "artifact_score": .5, "misalignment_score": .5,
                                           "overall_score": .5}, heatmap_png(heat), heatmap_png(np.zeros((512, 512))))


BAD_RECORDS = {
    "missing feature": (lambda f: f.pop("artifact_score"), "feature 'artifact_score' is missing"),
    "non-finite score": (lambda f: f.update(overall_score=(float("nan"), "float")), "overall_score is nan"),
    "undecodable heatmap": (lambda f: f.update(artifact_map=(b"not a png", "byte")), "heatmap cannot be decoded"),
    "wrong-size heatmap": (lambda f: f.update(artifact_map=(heatmap_png(np.zeros((256, 512))), "byte")),
                           "heatmap is 512 x 256, not 512 x 512"),
    "image not found": (lambda f: f.update(filename=(b"missing.png", "byte")), "image 'missing.png' not found"),
    "duplicated filename": (lambda f: f.update(filename=(b"img0.png", "byte")), "duplicates train.tfrecord:0"),
    "folder in filename": (lambda f: f.update(filename=(b"../img0.png", "byte")), "filename '../img0.png'"),
}


@pytest.mark.parametrize("case", sorted(BAD_RECORDS))
def test_each_bad_record_is_refused_in_one_line_naming_the_file_and_index(tmp_path, case):
    root = tmp_path / "RichHF"
    (root / "images").mkdir(parents=True)
    for i in range(4):
        Image.fromarray(np.full((40, 40, 3), 120, np.uint8)).save(root / "images" / f"img{i}.png")
    write_records(root / "train.tfrecord", [good(0), good(1)])
    bad = good(2)
    change, message = BAD_RECORDS[case]
    change(bad)
    write_records(root / "dev.tfrecord", [good(3), bad])
    write_records(root / "test.tfrecord", [])
    with pytest.raises(InputError) as err:
        load(root)
    text = str(err.value)
    assert text.startswith(f"{root / 'dev.tfrecord'}: record 1") and message in text and "\n" not in text


def test_a_failed_ingest_writes_nothing(folder, tmp_path):
    """The stage on a folder whose last record names a missing image: exit 2, one line, no outputs."""
    root, written = folder
    proj = tmp_path / "proj"
    (proj / "data").mkdir(parents=True)
    bad_root = proj / "RichHF"
    import shutil

    shutil.copytree(root, bad_root)
    (bad_root / "images" / written["test"][-1]["filename"]).unlink()
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params["data"].update(source="richhf18k", root=str(bad_root), ratings_long=None, rating_range=[0, 1])
    (proj / "params.yaml").write_text(yaml.safe_dump(params))
    outs = ["--out", "data/manifest.csv", "--images", "data/images.csv", "--ratings", "data/ratings_long.csv",
            "--truth", "data/truth.csv", "--cue-maps", "data/cue_maps"]
    proc = subprocess.run([sys.executable, str(REPO / "stages/ingest.py"), *outs], cwd=proj, capture_output=True,
                          text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")] == [
        f"error: {bad_root / 'test.tfrecord'}: record 2: image '{written['test'][-1]['filename']}' not found in "
        f"{bad_root / 'images'}"]
    assert sorted(p.name for p in (proj / "data").iterdir()) == []


def test_the_release_file_names_are_params(folder, tmp_path):
    root, _ = folder
    renamed = tmp_path / "R"
    import shutil

    shutil.copytree(root, renamed)
    (renamed / "train.tfrecord").rename(renamed / "richhf_train.tfrecord")
    cfg = data_config(renamed)
    with pytest.raises(InputError, match="record file for the train split not found"):
        ingest(cfg)
    richhf = dataclasses.replace(cfg.richhf18k, records={**RECORDS, "train": "richhf_train.tfrecord"})
    assert len(ingest(dataclasses.replace(cfg, richhf18k=richhf)).manifest) == 11


def test_an_image_over_the_pixel_budget_is_refused_before_its_cue_map_is_made(tmp_path):
    """The heatmap is resized to its image's size when stored: a huge image must be refused first."""
    from tests.data.test_ingest_hardening import png_header_only

    root = tmp_path / "RichHF"
    written = make_richhf_folder(root)
    png_header_only(root / "images" / written["dev"][1]["filename"], 12000, 12000)
    stored = []
    with pytest.raises(InputError) as exc:
        load(root, sink=lambda image_id, path, heat: stored.append(image_id))
    message = str(exc.value)
    assert message.startswith(f"{root / 'dev.tfrecord'}: record 1: image file ") and "12000x12000 px" in message
    assert "\n" not in message and len(stored) == len(written["train"]) + 1   # nothing stored for the huge image
