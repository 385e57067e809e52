import shutil

import numpy as np
import pandas as pd
import pytest
import scipy.io

from rashomon.data.aigciqa import load_aigciqa2023
from rashomon.data.manifest import manifest_hash, read_manifest, validate_manifest
from rashomon.errors import InputError
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
    with pytest.raises(InputError, match="missing e.g. \\[5\\]|24 entries"):
        load_aigciqa2023(aigciqa_folder)


def test_corrupt_png_is_named(aigciqa_folder):
    (aigciqa_folder / "Image/allimg/3.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really a png")
    with pytest.raises(InputError, match="3.png is unreadable or corrupt"):
        load_aigciqa2023(aigciqa_folder)


def test_mos_length_mismatch(aigciqa_folder):
    scipy.io.savemat(aigciqa_folder / "DATA/MOS/mosz2.mat", {"MOSz": np.ones((23, 1)) * 50})
    with pytest.raises(InputError, match="authenticity has 23 scores but quality has 24"):
        load_aigciqa2023(aigciqa_folder)


def test_nan_and_out_of_range_ratings(aigciqa_folder):
    mos = np.full((24, 1), 50.0)
    mos[7] = np.nan
    scipy.io.savemat(aigciqa_folder / "DATA/MOS/mosz2.mat", {"MOSz": mos})
    with pytest.raises(InputError, match="authenticity rating is NaN.*'7'"):
        load_aigciqa2023(aigciqa_folder)
    mos[7] = 140.0
    scipy.io.savemat(aigciqa_folder / "DATA/MOS/mosz2.mat", {"MOSz": mos})
    with pytest.raises(InputError, match="140.0 for image_id '7'.*outside"):
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
