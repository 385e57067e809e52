import numpy as np
import pandas as pd
import pytest

from rashomon.data.aigciqa import load_aigciqa2023
from rashomon.data.filtering import apply_exclusion
from rashomon.data.ratings import validate_ratings_long
from rashomon.data.synthetic import generate, mos_from_ratings, tiled
from rashomon.core.errors import InputError
from rashomon.core.io import atomic_path, write_json
from rashomon.psychometrics.reliability import ratings_matrix
from rashomon.psychometrics.report import compare_with_truth, reliability_report
from tests.conftest import config


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    root = tmp_path_factory.mktemp("syn") / "synthetic"
    summary = generate(root, config("synthetic", n_prompts=20, seed=3))
    return root, summary


def test_synthetic_is_read_by_the_real_loader(synthetic):
    root, summary = synthetic
    m = load_aigciqa2023(root)
    assert len(m) == summary["n_images"] == 20 * 4 * 6
    assert (root / "masks" / "0.png").is_file() and (root / "ratings_long.csv").is_file()
    # quality and authenticity correlate strongly but not perfectly (unique variance)
    r = np.corrcoef(m["quality"], m["authenticity"])[0, 1]
    assert 0.6 < r < 0.9
    # the exclusion rule's challenges exist in the synthetic metadata
    kept = apply_exclusion(m, config("filter",
                                     exclude_challenges=["Imagination", "Style & Format", "Writing & Symbols"]))
    assert 0 < (~kept).sum() < len(m)


def test_artifact_masks_mark_the_changed_pixels(synthetic):
    root, _ = synthetic
    truth = pd.read_csv(root / "truth.csv")
    row = truth[truth.artifact != "none"].iloc[0]
    from rashomon.data.images import load_mask
    mask = load_mask(row["mask_path"])
    assert 0 < mask.mean() < 0.5
    assert load_mask(truth[truth.artifact == "none"].iloc[0]["mask_path"]).max() == 0


def test_a_tile_is_repeated_with_its_contrast_and_seams_as_computed_by_hand():
    region = np.zeros((10, 10, 3))
    region[:4, :4, 0] = [[0.2, 0.4, 0.2, 0.4]] * 4      # red alternates 0.2/0.4 (mean 0.3); green, blue 0
    out = tiled(region, 10, 4, gain=3.0, seam=0.5)
    assert out.shape == (10, 10, 3) and np.all(out[..., 1:] == 0)
    row = [0.0, 0.6, 0.0, 0.3]            # 0.3 + 3 (x - 0.3); the last column halved
    last = [0.0, 0.3, 0.0, 0.3]           # the last row halved (the corner once, from its own value)
    expected = np.array([row, row, row, last])
    assert np.allclose(out[:4, :4, 0], expected) and np.allclose(out[4:8, 4:8, 0], expected)
    assert np.allclose(out[8:, 8:, 0], expected[:2, :2])      # cut at the side, not stretched
    assert np.allclose(tiled(region, 10, 4, gain=1.0, seam=None), np.tile(region[:4, :4], (3, 3, 1))[:10, :10])


def test_reliability_recovers_simulated_noise_ceiling(synthetic):
    root, _ = synthetic
    m = load_aigciqa2023(root)
    long = pd.read_csv(root / "ratings_long.csv", dtype={"image": str})
    report = reliability_report(m, long, config("reliability"), "ratings_long.csv")
    truth = compare_with_truth(report, m,
                               pd.read_csv(root / "truth.csv", dtype={"image_id": str}).set_index("image_id"))
    for dim, res in truth.items():
        assert res["abs_error"] < 0.05, (dim, res)
    assert 0.7 < report["noise_ceiling"]["authenticity"] < 0.95


def test_reliability_without_per_rater_data_says_so(synthetic):
    root, _ = synthetic
    m = load_aigciqa2023(root)
    report = reliability_report(m, None, config("reliability", noise_ceiling=0.82), "none")
    assert report["per_rater_data"] is False and "split-half reliability" in report["skipped"]
    assert report["noise_ceiling"] == {"authenticity": 0.82}
    assert "quality_authenticity_pearson" in report


def test_mos_are_rescaled_per_rater_z_scores():
    ratings = np.array([[1, 2, 3], [2, 4, 6]])
    mos, sd = mos_from_ratings(ratings)
    # both raters have identical z-scores (-1, 0, 1) -> MOS 100*(z+3)/6, SD 0
    np.testing.assert_allclose(mos, [100 * 2 / 6, 50, 100 * 4 / 6])
    np.testing.assert_allclose(sd, 0, atol=1e-9)


def test_long_table_errors_name_the_row():
    long = pd.DataFrame({"image": ["0", "1", "0"], "rater": [0, 0, 1], "dimension": "quality",
                         "rating": [3, np.nan, 4]})
    check = lambda frame: validate_ratings_long(frame, "r.csv", (0, 5), ["0", "1"])  # noqa: E731
    with pytest.raises(InputError, match="r.csv: rating is NaN.*row 1"):
        check(long)
    long.loc[1, "rating"] = 9
    with pytest.raises(InputError, match=r"r.csv: rating 9 at row 1 is outside \[0, 5\]"):
        check(long)
    long.loc[1, "rating"] = 2
    long.loc[2, "rater"] = None
    with pytest.raises(InputError, match="r.csv: rater is missing at row 2"):
        check(long)
    long.loc[2, "rater"] = 1
    long.loc[2, "image"] = "7"
    with pytest.raises(InputError, match="r.csv: image '7' at row 2 is not in the manifest"):
        check(long)
    long.loc[2, "image"] = "0"
    long.loc[2, "rater"] = 0
    with pytest.raises(InputError, match=r"r.csv: duplicated \(image, rater, dimension\) at row 2"):
        check(long)
    with pytest.raises(InputError, match=r"image\(s\) \['7'\]"):
        ratings_matrix(long.iloc[:2].assign(rating=[3.0, 2.0]), "quality", ["0", "7"], "r.csv")


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.json"
    write_json(target, {"a": 1})
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("crash")
    assert target.read_text().strip().startswith("{")  # old output intact
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]  # no temp debris
    write_json(target, {"x": float("nan")})
    assert '"x": null' in target.read_text()


def test_ingest_puts_the_simulator_masks_in_the_cue_map_store(synthetic, tmp_path):
    """The default's masks take the human heatmaps' path: one 0/255 PNG per image, equal to the mask."""
    from rashomon.data.cue_maps import CueMapWriter, read_cue_maps
    from rashomon.data.images import load_mask
    from rashomon.data.sources import ingest

    root, _ = synthetic
    writer = CueMapWriter(tmp_path / "cue_maps")
    out = ingest(config("data", root=str(root)), writer)
    writer.close()
    ids = out.manifest["image_id"].tolist()
    maps = read_cue_maps(tmp_path / "cue_maps", ids)
    assert list(maps) == ids
    truth = out.truth.set_index("image_id")
    for image_id in ids[:20]:
        assert np.array_equal(maps[image_id], load_mask(truth.loc[image_id, "mask_path"]))
    assert any(m.max() == 1 for m in maps.values()) and any(m.max() == 0 for m in maps.values())
