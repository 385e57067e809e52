"""Data is never code: every loader of a user-supplied file refuses a pickle payload."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest
import torch

from rashomon.core.errors import InputError
from rashomon.heads.fitted import load_head, save_head
from rashomon.heads.training import fit_head
from rashomon.idsds.cifar import load_label_names, load_split, write_meta, write_split


class Payload:
    """Unpickling this runs a shell command that creates `marker`."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def one_line(exc: pytest.ExceptionInfo) -> str:
    text = str(exc.value)
    assert "\n" not in text, text
    return text


@pytest.fixture
def head_file(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 8)).astype(np.float32)
    fitted = fit_head(x[:50], x[:50, 0], x[50:], x[50:, 0], kind="study", seed=0, lr=1e-3, batch_size=16,
                      max_epochs=1, patience=1, dropout=0.5)
    save_head(fitted, tmp_path / "arch" / "v0.pt", {"architecture": "arch", "variant": 0})
    return tmp_path / "arch" / "v0.pt"


def test_a_head_is_tensors_plus_json(head_file):
    assert set(torch.load(head_file, weights_only=True)) == {k for k in load_head(head_file).head.state_dict()}
    assert head_file.with_suffix(".json").read_text().startswith("{")


@pytest.mark.parametrize("where", ["whole file", "inside the state dict"])
def test_a_crafted_head_file_is_refused_without_running_code(head_file, tmp_path, where):
    marker = tmp_path / "pwned"
    state = torch.load(head_file, weights_only=True)
    torch.save(Payload(marker) if where == "whole file" else {**state, "extra": Payload(marker)}, head_file)
    assert not marker.exists()
    with pytest.raises(InputError) as exc:
        load_head(head_file)
    message = one_line(exc)
    assert message == (f"{head_file}: cannot read it as a head saved by rashomon (it holds Python objects other "
                       "than tensors, and rashomon loads tensors only)")
    assert "weights_only" not in message and not marker.exists()   # never the advice that would run the payload


@pytest.mark.parametrize("loader", ["backbone weights", "generator", "cifar weights", "fine-tuned idsds"])
def test_every_weights_loader_refuses_a_payload_without_pytorchs_advice(tmp_path, loader):
    from rashomon.backbones.registry import get_spec
    from rashomon.backbones.weights import load_weights
    from rashomon.generative.store import load_generator
    from rashomon.idsds.models import load_cifar_weights, load_finetuned

    marker, path = tmp_path / "pwned", tmp_path / "resnet20_finetuned.pt"
    torch.save({"conv.weight": torch.zeros(1), "x": Payload(marker)}, path)
    calls = {"backbone weights": lambda: load_weights(torch.nn.Linear(1, 1), get_spec("resnet_small"), path),
             "generator": lambda: load_generator(path, None, 32),
             "cifar weights": lambda: load_cifar_weights(torch.nn.Linear(1, 1), path),
             "fine-tuned idsds": lambda: load_finetuned(tmp_path, "resnet20", 100, 1.0)}
    with pytest.raises(InputError) as exc:
        calls[loader]()
    message = one_line(exc)
    assert message.startswith(str(path)) and "rashomon loads tensors only" in message
    assert "weights_only" not in message and not marker.exists()


def test_a_head_without_its_metadata_is_one_line(head_file):
    head_file.with_suffix(".json").unlink()
    with pytest.raises(InputError, match="head file missing") as exc:
        load_head(head_file)
    one_line(exc)


@pytest.fixture
def cifar_folder(tmp_path):
    rng = np.random.default_rng(0)
    root = tmp_path / "cifar-100-python"
    write_split(root, "train", rng.integers(0, 255, (4, 32, 32, 3), dtype=np.uint8), rng.integers(0, 100, 4))
    write_split(root, "test", rng.integers(0, 255, (4, 32, 32, 3), dtype=np.uint8), rng.integers(0, 100, 4))
    write_meta(root, [f"class{i}" for i in range(100)])
    return tmp_path


@pytest.mark.parametrize("split", ["train", "meta"])
def test_a_crafted_cifar_file_is_refused_without_running_code(cifar_folder, tmp_path, split):
    marker = tmp_path / "pwned"
    path = cifar_folder / "cifar-100-python" / split
    with open(path, "wb") as fh:
        pickle.dump({b"data": Payload(marker), b"fine_labels": [1], b"fine_label_names": [b"a"]}, fh)
    with pytest.raises(InputError, match="refused to load posix.system") as exc:
        load_split(cifar_folder, "train") if split == "train" else load_label_names(cifar_folder)
    assert str(path) in one_line(exc)
    assert not marker.exists()


def test_the_restricted_reader_still_reads_the_real_format(cifar_folder):
    """Arrays pickled as numpy writes them (and as the release's numpy 1 did) load."""
    x, y = load_split(cifar_folder, "test")
    assert x.shape == (4, 32, 32, 3) and y.dtype == np.int64
    legacy = pickle.dumps({b"data": np.arange(3072, dtype=np.uint8)[None], b"fine_labels": [3]}, protocol=2)
    legacy = legacy.replace(b"numpy._core.multiarray", b"numpy.core.multiarray")  # the release's module path
    (cifar_folder / "cifar-100-python/test").write_bytes(legacy)
    x, y = load_split(cifar_folder, "test")
    assert x[0, 0, 1, 0] == 1 and list(y) == [3]


def test_no_loader_in_the_package_unpickles_freely():
    """Every torch.load passes weights_only=True; pickle.load only via the restricted reader."""
    from pathlib import Path

    src = Path(__file__).resolve().parents[1] / "src"
    for path in src.rglob("*.py"):
        text = path.read_text()
        assert "weights_only=False" not in text, path
        assert "pickle.load(" not in text and "pickle.loads(" not in text, path
        for line in text.splitlines():
            if "torch.load(" in line:
                assert "weights_only=True" in line, f"{path}: {line.strip()}"
