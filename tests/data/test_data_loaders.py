import numpy as np
import pandas as pd
import pytest
import scipy.io

from rashomon.data.aigciqa import load_aigciqa2023
from rashomon.data.manifest import manifest_hash, read_manifest, validate_manifest
from rashomon.core.errors import InputError
from tests.conftest import make_aigciqa_folder


def test_loader_reads_release_layout(aigciqa_folder):
    m = load_aigciqa2023(aigciqa_folder)
    assert len(m) == 24
    # index = (n_prompts*reps)*model + reps*prompt + rep with 3 prompts, 4 reps
    row = m.set_index("image_id").loc["17"]
    assert row["generator"] == "DALLE" and row["prompt_index"] == (17 % 12) // 4 and row["rep"] == 1
    mos = scipy.io.loadmat(aigciqa_folder / "DATA/MOS/mosz2.mat")["MOSz"].ravel()
    np.testing.assert_allclose(m["authenticity"], mos)
    assert m.loc[4, "challenge"] == "Imagination" and m.loc[4, "prompt"] == "prompt number 1"
    assert "quality_sd" in m


def test_real_index_formula_for_full_size():
    # 100 prompts x 4 reps: idx = 400*model + 4*prompt + rep
    idx = 400 * 3 + 4 * 57 + 2
    per_model = 100 * 4
    assert (idx // per_model, (idx % per_model) // 4, idx % 4) == (3, 57, 2)


def test_loader_reads_txt_scores_and_data_allimg(tmp_path):
    root = make_aigciqa_folder(tmp_path / "copy", score_format="txt", image_dir="DATA/allimg")
    m = load_aigciqa2023(root)
    np.testing.assert_allclose(m["quality"], np.loadtxt(root / "DATA/MOS/moz1.txt"))
    assert m["path"].str.contains("DATA/allimg").all()


def test_missing_image_is_named(aigciqa_folder):
    (aigciqa_folder / "Image/allimg/5.png").unlink()
    with pytest.raises(InputError, match=r"allimg: image file\(s\) 5.png missing \(1 of the 24"):
        load_aigciqa2023(aigciqa_folder)


def test_corrupt_png_is_named(aigciqa_folder):
    (aigciqa_folder / "Image/allimg/3.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really a png")
    with pytest.raises(InputError, match="3.png is unreadable or corrupt"):
        load_aigciqa2023(aigciqa_folder)


def test_mos_length_mismatch(aigciqa_folder):
    scipy.io.savemat(aigciqa_folder / "DATA/MOS/mosz2.mat", {"MOSz": np.ones((23, 1)) * 50})
    with pytest.raises(InputError, match=r"DATA/MOS/mosz2.mat: 23 values, but .*DATA/MOS/mosz1.mat has 24"):
        load_aigciqa2023(aigciqa_folder)


def test_nan_and_out_of_range_ratings(aigciqa_folder):
    mos = np.full((24, 1), 50.0)
    mos[7] = np.nan
    scipy.io.savemat(aigciqa_folder / "DATA/MOS/mosz2.mat", {"MOSz": mos})
    with pytest.raises(InputError, match="authenticity rating is NaN.*'7'"):
        load_aigciqa2023(aigciqa_folder)
    mos[7] = 140.0
    scipy.io.savemat(aigciqa_folder / "DATA/MOS/mosz2.mat", {"MOSz": mos})
    with pytest.raises(InputError, match=r"rating 140.0 is outside \[0.0, 100.0\] for image_id '7'"):
        load_aigciqa2023(aigciqa_folder)


def test_wrong_mat_variable(aigciqa_folder):
    scipy.io.savemat(aigciqa_folder / "DATA/MOS/mosz1.mat", {"scores": np.ones((24, 1))})
    with pytest.raises(InputError, match="variable 'MOSz' not found"):
        load_aigciqa2023(aigciqa_folder)


def test_generic_manifest_and_duplicates(aigciqa_folder, tmp_path):
    m = load_aigciqa2023(aigciqa_folder)
    m.to_csv(tmp_path / "m.csv", index=False)
    again = read_manifest(tmp_path / "m.csv")
    assert manifest_hash(again) == manifest_hash(m)
    m.to_parquet(tmp_path / "m.parquet")
    assert len(read_manifest(tmp_path / "m.parquet")) == 24
    dup = pd.concat([m, m.iloc[[2]]])
    with pytest.raises(InputError, match="duplicated image_id \\['2'\\]"):
        validate_manifest(dup, "dup.csv")
    with pytest.raises(InputError, match="missing column"):
        validate_manifest(m.drop(columns="authenticity"), "x.csv")


def test_manifest_hash_changes_with_image_set(aigciqa_folder):
    m = load_aigciqa2023(aigciqa_folder)
    assert manifest_hash(m) != manifest_hash(m.iloc[:-1])


def test_manifest_without_rows_or_with_blank_prompt_is_named(aigciqa_folder, tmp_path):
    m = load_aigciqa2023(aigciqa_folder)
    with pytest.raises(InputError, match="e.csv: the manifest has no rows"):
        validate_manifest(m.iloc[:0], "e.csv")
    blank = m.astype({"prompt_index": object})
    blank.loc[3, "prompt_index"] = None
    with pytest.raises(InputError, match="b.csv: prompt_index is blank or not an integer for image_id '3' \\(row 3\\)"):
        validate_manifest(blank, "b.csv")


def test_content_hashes_follow_pixels_and_changed_images_are_refused(aigciqa_folder, tmp_path):
    from PIL import Image

    from rashomon.data.manifest import check_image_hashes, image_hashes

    m = load_aigciqa2023(aigciqa_folder)
    before = image_hashes(m)
    assert before["sha256"].str.len().eq(64).all() and before["sha256"].nunique() == len(before)
    before.to_csv(tmp_path / "images.csv", index=False)
    check_image_hashes(m, tmp_path / "images.csv")
    path = aigciqa_folder / "Image/allimg/4.png"
    pixels = np.asarray(Image.open(path)).copy()
    pixels[0, 0] = 255 - pixels[0, 0]
    Image.fromarray(pixels).save(path)
    after = image_hashes(load_aigciqa2023(aigciqa_folder))
    assert before.index[before["sha256"] != after["sha256"]].tolist() == [4]
    with pytest.raises(InputError, match="4.png: image changed since ingest"):
        check_image_hashes(m, tmp_path / "images.csv")


def test_manifest_folder_source_and_ratings_inside_root(aigciqa_folder, tmp_path):
    from rashomon.data.sources import ingest
    from tests.conftest import config

    m = load_aigciqa2023(aigciqa_folder)
    m["path"] = [str(p).replace(str(aigciqa_folder) + "/", "") for p in m["path"]]
    m.to_csv(aigciqa_folder / "manifest.csv", index=False)
    long = pd.DataFrame({"image": np.repeat(m["image_id"].to_numpy(), 2), "rater": np.tile(["a", "b"], len(m)),
                         "dimension": "quality", "rating": 3})
    long.to_csv(aigciqa_folder / "ratings.csv", index=False)
    data = config("data", source="manifest", root=str(aigciqa_folder), ratings_long="ratings.csv")
    out = ingest(data)
    assert len(out.manifest) == 24 and (out.manifest["path"].str.startswith(str(aigciqa_folder))).all()
    assert len(out.ratings_long) == 48 and out.truth.empty
    outside = tmp_path / "elsewhere.csv"
    long.to_csv(outside, index=False)
    with pytest.raises(InputError, match="data.ratings_long: .*elsewhere.csv is outside data.root"):
        ingest(config("data", source="manifest", root=str(aigciqa_folder), ratings_long=str(outside)))
    long.loc[5, "rating"] = 9
    long.to_csv(aigciqa_folder / "ratings.csv", index=False)
    with pytest.raises(InputError, match=r"ratings.csv: rating 9 at row 5 is outside \[0, 5\]"):
        ingest(data)
