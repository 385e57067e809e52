"""`dvc repro` of the foundation stages on a tiny synthetic default."""

import json
import shutil

import pandas as pd
import pytest

from tests.pipeline.dvc_project import make_copy, run, set_param, stages_run

FOUNDATION = ["synthesize", "ingest", "filter", "reliability", "split"]


@pytest.mark.slow
def test_repro_runs_once_and_reruns_only_dependents(tmp_path):
    proj = make_copy(tmp_path / "proj")
    first = stages_run(run(["dvc", "repro", "split", "reliability"], proj))
    assert sorted(first) == sorted(FOUNDATION)
    metrics = json.loads((proj / "metrics/reliability.json").read_text())
    assert metrics["per_rater_data"] and metrics["label"].startswith("SYNTHETIC")
    splits = pd.read_csv(proj / "data/splits.csv")
    assert set(splits.scheme) == {"exp1", "exp3", "stacking"}

    assert stages_run(run(["dvc", "repro", "split", "reliability"], proj)) == []

    set_param(proj, "split", "seed", 7)
    assert stages_run(run(["dvc", "repro", "split", "reliability"], proj)) == ["split"]

    set_param(proj, "reliability", "n_splits", 5)
    assert stages_run(run(["dvc", "repro", "split", "reliability"], proj)) == ["reliability"]

    set_param(proj, "filter", "exclude_challenges", ["Imagination"])
    assert sorted(stages_run(run(["dvc", "repro", "split", "reliability"], proj))) == ["filter", "reliability", "split"]
    assert json.loads((proj / "metrics/filter.json").read_text())["removed_by_challenge"] == {"Imagination": 24}

    # the per-rater table is a dependency: editing one rating reruns what reads it, nothing else
    shutil.copytree(proj / "data/synthetic", proj / "dataset")
    set_param(proj, "data", "root", "dataset")
    run(["dvc", "repro", "split", "reliability"], proj)
    table = proj / "dataset/ratings_long.csv"
    lines = table.read_text().splitlines()
    *head, rating = lines[1].split(",")
    lines[1] = ",".join(head + [str(1 if rating != "1" else 2)])
    table.write_text("\n".join(lines) + "\n")
    assert sorted(stages_run(run(["dvc", "repro", "split", "reliability"], proj))) == [
        "filter", "ingest", "reliability"]


@pytest.mark.slow
def test_bad_input_fails_with_a_clear_message_and_no_output(tmp_path):
    proj = make_copy(tmp_path / "proj", {"split": {"exp1_fractions": [0.7, 0.2, 0.2]}})
    with pytest.raises(AssertionError, match="exp1_fractions.*sum to 1"):
        run(["dvc", "repro", "split"], proj)
    assert not (proj / "data/splits.csv").exists()
    assert not list((proj / "data").glob(".splits.csv*"))
