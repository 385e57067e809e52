"""Byte-reproducible writers and orphan cleanup."""

import os
import time
import zipfile

import numpy as np
import pandas as pd
import pytest
import scipy.io

from rashomon.core.errors import InputError
from rashomon.core.io import atomic_path, read_table, write_mat, write_npz, write_xlsx


def test_npz_bytes_do_not_depend_on_the_clock(tmp_path):
    arrays = {"a": np.arange(6.0).reshape(2, 3), "ids": np.array(["x", "y"])}
    write_npz(tmp_path / "one.npz", **arrays)
    time.sleep(2.1)  # zip timestamps have 2 s resolution
    write_npz(tmp_path / "two.npz", **arrays)
    assert (tmp_path / "one.npz").read_bytes() == (tmp_path / "two.npz").read_bytes()
    with np.load(tmp_path / "one.npz") as data:
        np.testing.assert_array_equal(data["a"], arrays["a"])
        assert list(data["ids"]) == ["x", "y"]


def test_xlsx_and_mat_bytes_do_not_depend_on_the_clock(tmp_path):
    frame = pd.DataFrame({"c": ["Basic", "Complex"], "k": ["A", "B"], "p": ["one", "two"]})
    write_xlsx(tmp_path / "one.xlsx", frame)
    write_mat(tmp_path / "one.mat", {"MOSz": np.arange(3.0)[:, None]})
    time.sleep(2.1)
    write_xlsx(tmp_path / "two.xlsx", frame)
    write_mat(tmp_path / "two.mat", {"MOSz": np.arange(3.0)[:, None]})
    assert (tmp_path / "one.xlsx").read_bytes() == (tmp_path / "two.xlsx").read_bytes()
    assert (tmp_path / "one.mat").read_bytes() == (tmp_path / "two.mat").read_bytes()
    assert pd.read_excel(tmp_path / "one.xlsx", header=None).iloc[1, 2] == "two"
    np.testing.assert_array_equal(scipy.io.loadmat(tmp_path / "one.mat")["MOSz"].ravel(), [0, 1, 2])
    assert zipfile.ZipFile(tmp_path / "one.xlsx").testzip() is None


def test_orphaned_temp_paths_are_removed_by_the_next_write(tmp_path):
    orphan = tmp_path / ".features.abc123.tmp"
    orphan.mkdir()
    (orphan / "half.npy").write_bytes(b"x")
    with atomic_path(tmp_path / "features", is_dir=True) as tmp:
        (tmp / "ok").write_text("1")
    assert sorted(os.listdir(tmp_path)) == ["features"]


def test_empty_and_unparsable_tables_are_named(tmp_path):
    (tmp_path / "zero.csv").write_bytes(b"")
    with pytest.raises(InputError, match="zero.csv: manifest is an empty file"):
        read_table(tmp_path / "zero.csv", "manifest")
    with pytest.raises(InputError, match="nope.csv: manifest does not exist"):
        read_table(tmp_path / "nope.csv", "manifest")
    (tmp_path / "bad.parquet").write_bytes(b"not parquet")
    with pytest.raises(InputError, match="bad.parquet: cannot read manifest"):
        read_table(tmp_path / "bad.parquet", "manifest")


def test_only_the_publishing_rank_writes(tmp_path, monkeypatch):
    """In a multi-process Lightning run, ranks other than 0 write to a private temp path
    that is removed: the target never appears, and nothing is left beside it."""
    from lightning.fabric.utilities.rank_zero import rank_zero_only

    from rashomon.core.io import is_publishing_rank, write_json
    monkeypatch.setattr(rank_zero_only, "rank", 1)
    assert not is_publishing_rank()
    write_json(tmp_path / "m.json", {"a": 1})
    with atomic_path(tmp_path / "d", is_dir=True) as d:
        (d / "x.txt").write_text("x")
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setattr(rank_zero_only, "rank", 0)
    write_json(tmp_path / "m.json", {"a": 1})
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]


def test_a_launched_rank_does_not_publish_before_lightning_loads(tmp_path):
    """Lightning's launcher starts rank 1 as the same stage command with LOCAL_RANK=1; the
    stage enters its atomic paths before it imports Lightning, so the environment decides
    (in CI both ranks once published, and the later, empty one replaced rank 0's maps)."""
    import subprocess
    import sys

    code = ("import sys\nfrom rashomon.core.io import is_publishing_rank\n"
            "assert 'lightning' not in sys.modules\nprint(is_publishing_rank())")
    def publishes(**env):
        clean = {k: v for k, v in os.environ.items() if k not in ("RANK", "LOCAL_RANK", "SLURM_PROCID")}
        out = subprocess.run([sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        return out.stdout.strip() == "True"
    assert publishes() and publishes(LOCAL_RANK="0") and publishes(RANK="0", LOCAL_RANK="0")
    assert not publishes(LOCAL_RANK="1") and not publishes(RANK="3") and not publishes(SLURM_PROCID="2")
