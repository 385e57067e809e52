"""The one cue-map path: masks and heatmaps from the store, placed on a grid as the
preprocessing places the image, each file read once."""

import numpy as np
import pytest
from PIL import Image

from rashomon.backbones.geometry import Grid, heat_on_grid, mask_on_grid
from rashomon.core.errors import InputError
from rashomon.data.cue_maps import CueMapWriter
from rashomon.groundtruth.cues import CueMaps


def store(tmp_path, heats: dict[str, np.ndarray]):
    writer = CueMapWriter(tmp_path / "cue_maps")
    for image_id, heat in heats.items():
        Image.new("RGB", heat.shape[::-1]).save(tmp_path / f"{image_id}.png")
        writer.add(image_id, str(tmp_path / f"{image_id}.png"), heat)
    writer.close()
    return tmp_path / "cue_maps"


def test_masks_and_heats_on_a_grid_are_the_stored_maps_placed_like_the_image(tmp_path):
    rng = np.random.default_rng(0)
    mask = np.zeros((40, 56), np.uint8)
    mask[5:20, 30:50] = 255                                      # a binary artifact mask, off centre
    heat = rng.integers(0, 256, (40, 56)).astype(np.uint8)       # a continuous human heatmap
    cues = CueMaps(store(tmp_path, {"m": mask, "h": heat}))
    grid = Grid(input_size=24, resize_size=32)
    np.testing.assert_array_equal(cues.masks(["m"], grid)[0], mask_on_grid(mask / 255.0, grid))
    placed = cues.heats(["h", "absent"], grid)
    assert list(placed) == ["h"]                                 # an image without a cue map is left out
    np.testing.assert_array_equal(placed["h"], heat_on_grid(heat.astype(np.float32) / 255, grid))
    assert cues.present(["absent", "h", "m"]) == ["h", "m"] and len(cues) == 2


def test_each_file_is_read_once_and_shared_arrays_cannot_be_written(tmp_path):
    folder = store(tmp_path, {"a": np.full((16, 16), 255, np.uint8)})
    cues = CueMaps(folder)
    grid = Grid(16, 16)
    first = cues.heats(["a"], grid)["a"]
    (folder / "a.png").unlink()                                  # a second read would fail: none happens
    assert cues.heats(["a"], grid)["a"] is first and cues.masks(["a"], grid).all()
    with pytest.raises(ValueError, match="read-only"):
        first[0, 0] = 0


def test_a_missing_or_edited_cue_map_is_refused_in_one_line(tmp_path):
    folder = store(tmp_path, {"a": np.zeros((8, 8), np.uint8)})
    with pytest.raises(InputError, match=r"index.csv: no cue map for image_id 'b'"):
        CueMaps(folder).masks(["b"], Grid(8, 8))
    Image.fromarray(np.full((8, 8), 9, np.uint8)).save(folder / "a.png")
    with pytest.raises(InputError, match="changed since ingest"):
        CueMaps(folder).masks(["a"], Grid(8, 8))
