"""DVC's promise end to end on a tiny config: pixels are a dependency (and nothing else
reruns), two runs give identical bytes, and bad input or a stop leaves no output."""

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest
import yaml
from PIL import Image

from tests.pipeline.dvc_project import (AVX2_MACHINE, TINY_TWO_ARCHITECTURES, copy_project, env, make_copy,
                                        out_hashes, run, set_param, shared_pipeline, stage_command, stages_run)

PIXEL_STAGES = {"ingest", "features", "train", "reliance", "prune", "explain@gradcam", "explain@lime", "explain@mpm",
                "explain_figures", "groundtruth", "controls", "sanity", "ensemble", "consistency", "report",
                "generator", "counterfactual"}


@pytest.mark.slow
def test_pixels_rerun_exactly_their_dependents(tmp_path, tmp_path_factory):
    """A changed pixel reaches the image hashes and not the manifest; DVC then sees exactly the
    stages that read pixels as changed, and its graph carries that to PIXEL_STAGES and no other
    stage (rerunning them all, as the shared run already did once, costs minutes)."""
    shared, out = shared_pipeline(tmp_path_factory)
    assert "idsds_score" in stages_run(out) and "explain_figures" in stages_run(out)
    report = json.loads((shared / "metrics/idsds.json").read_text())
    assert "SYNTHETIC" in report["label"]
    assert {"best_method", "best_dummy", "reliability_warning"} <= set(report["models"]["resnet20"])
    proj = copy_project(shared, tmp_path / "proj")
    assert stages_run(run(["dvc", "repro"], proj)) == []
    assert up_to_date(proj)
    first = out_hashes(proj)
    # one kept image's pixels change; its manifest row (id, path, ratings) does not
    kept = (proj / "data/manifest_kept.csv").read_text().splitlines()[1].split(",")[0]
    path = proj / "dataset/Image/allimg" / f"{kept}.png"
    img = Image.open(path).convert("RGB")
    img.putpixel((0, 0), tuple(255 - c for c in img.getpixel((0, 0))))
    img.save(path)
    assert stages_run(run(["dvc", "repro", "ingest"], proj)) == ["ingest"]
    assert out_hashes(proj)["data/manifest.csv"] == first["data/manifest.csv"]
    assert out_hashes(proj)["data/images.csv"] != first["data/images.csv"]
    lock = yaml.safe_load((proj / "dvc.lock").read_text())["stages"]
    pixels = {"dataset"} | {path for path, md5 in out_hashes(proj).items() if first[path] != md5}
    assert pixels == {"dataset", "data/images.csv"}
    readers = {name for name, stage in lock.items() if name != "ingest" and touches(stage["deps"], pixels)}
    assert changed_stages(run(["dvc", "status"], proj)) == readers   # DVC's first hop
    assert rerun_closure(lock, pixels, {"ingest"}) == PIXEL_STAGES


@pytest.mark.slow
def test_an_edit_reruns_only_the_stages_that_run_it(tmp_path, tmp_path_factory):
    """Editing one stage's module, its metrics schema or its params section puts exactly that
    stage (and the stages that can execute or read what changed) out of date, nothing else."""
    proj = copy_project(shared_pipeline(tmp_path_factory)[0], tmp_path / "proj")
    assert up_to_date(proj)
    lock = yaml.safe_load((proj / "dvc.lock").read_text())["stages"]
    controls_outs = {o["path"] for o in lock["controls"]["outs"]} | {"metrics/controls.json", "plots/controls"}
    edits = [("src/rashomon/groundtruth/controls.py", {"controls"}),          # the controls' logic
             ("src/rashomon/groundtruth/controls_schema.py", {"controls", "report"}),   # the report reads it
             ("src/rashomon/groundtruth/sanity_checks.py", {"sanity"})]
    for path, expected in edits:
        with open(proj / path, "a") as f:
            f.write("# an edit\n")
        assert changed_stages(run(["dvc", "status"], proj)) == expected, path
        run(["git", "checkout", "--", path], proj)
    # if the controls' outputs then changed, only the report would follow
    assert rerun_closure(lock, controls_outs, {"controls"}) == {"controls", "report"}
    set_param(proj, "consistency", "topk_fraction", 0.2)
    assert changed_stages(run(["dvc", "status"], proj)) == {"consistency"}


@pytest.mark.slow
def test_the_worker_count_changes_no_byte(tmp_path, tmp_path_factory):
    """The controls fan their units out over `compute.workers` processes, each unit with
    the same fixed thread count: rerun with the other count than the shared run used (1 on a
    machine with more cores, else 2), the bytes are the shared run's (and DVC does not track the
    count, so changing it reruns nothing)."""
    shared, first_run = shared_pipeline(tmp_path_factory)
    # 2 architectures' heads, 2 families' detectors
    used = int(re.search(r"4 units on (\d+) worker", first_run).group(1))
    proj = copy_project(shared, tmp_path / "proj")
    first = out_hashes(proj)
    workers = 1 if used > 1 else 2
    set_param(proj, "compute", "workers", workers)
    assert up_to_date(proj)
    out = run(["dvc", "repro", "-f", "-s", "controls"], proj)
    assert stages_run(out) == ["controls"] and f"4 units on {workers} worker" in out
    assert out_hashes(proj) == first, (used, workers)


def touches(deps: list[dict], paths: set[str]) -> bool:
    """Whether any dep is one of `paths`, inside one, or holds one."""
    return any(d["path"] == p or d["path"].startswith(p + "/") or p.startswith(d["path"] + "/")
               for d in deps for p in paths)


def rerun_closure(lock: dict, changed: set[str], ran: set[str]) -> set[str]:
    """Stages a `dvc repro` reruns once `changed` paths changed (`ran` already ran), every
    further rerun changing its outputs."""
    changed, ran = set(changed), set(ran)
    while grown := {n for n, st in lock.items() if n not in ran and touches(st.get("deps", []), changed)}:
        ran |= grown
        changed |= {o["path"] for n in grown for o in lock[n].get("outs", [])}
    return ran


def changed_stages(status: str) -> set[str]:
    """Stage names `dvc status` lists as changed."""
    return {line[:-1] for line in status.splitlines() if line.endswith(":") and not line.startswith(("\t", " "))}


@pytest.mark.slow
def test_reruns_on_another_vector_unit_are_bit_for_bit_and_a_kill_leaves_no_trace(tmp_path, tmp_path_factory):
    """Stages doing every kind of floating-point work run again (forced, so no run cache) on
    another machine as the kernel libraries see it (AVX2 only; determinism portable) and
    write the shared run's bytes; no metric moves. (All 24 stage runs: the fresh-clone
    check in the README.)"""
    proj = copy_project(shared_pipeline(tmp_path_factory)[0], tmp_path / "proj")
    first = out_hashes(proj)
    killed_stage_leaves_no_trace(proj, first, tmp_path / "systmp")
    # every kind of floating-point work: stem convolutions, Lightning training, perturbation
    # scoring through the predict loop, gradients and latent optimisation (SBS, Grad-CAM, LIME
    # and the generator run the same kernels through the same code as one of these)
    floating = sorted(["features", "train", "explain@mpm", "counterfactual"])
    second = run(["dvc", "repro", "-f", "-s", *floating], proj, extra_env=AVX2_MACHINE)
    assert sorted(stages_run(second)) == floating
    assert out_hashes(proj) == first
    assert run(["dvc", "metrics", "diff", "--json"], proj).strip() in ("{}", "")


def up_to_date(proj) -> bool:
    status = run(["dvc", "status"], proj)
    return "up to date" in status.lower() or status.strip() == ""


def killed_stage_leaves_no_trace(proj, clean_hashes, systmp):
    """SIGKILL explain@mpm mid-write: its temp debris changes no dep hash (DVC restores the
    stage from its run cache and sees everything up to date), nothing lands in $TMPDIR, and
    the next stage that runs beside the debris removes it."""
    systmp.mkdir()
    for _ in range(3):
        proc = subprocess.Popen(["dvc", "repro", "-f", "-s", "explain@mpm"], cwd=proj,
                                env={**env(), "TMPDIR": str(systmp)},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        while proc.poll() is None and not list((proj / "data/explanations").glob(".mpm.*.tmp")):
            time.sleep(0.05)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            break
    assert list((proj / "data/explanations").glob(".mpm.*.tmp")), "the kill came too late to leave debris"
    assert not list(systmp.glob("rashomon-*")), "scoring temp folders belong in the stage's scratch"
    run(["dvc", "repro"], proj)          # explain@mpm comes back from the run cache; nothing else runs
    assert up_to_date(proj)
    assert out_hashes(proj) == clean_hashes
    run(["dvc", "repro", "-f", "-s", "explain_figures"], proj)
    assert not [p for p in proj.rglob(".*.tmp") if ".dvc" not in p.parts], "killed run's temp debris left"
    assert out_hashes(proj) == clean_hashes and up_to_date(proj)


def stage_cmd(proj, name, *args):
    return subprocess.run([*stage_command(proj, name), *args], cwd=proj, env={**env(), "PYTHONPATH": str(proj / "src")},
                          capture_output=True, text=True)


def assert_clean_failure(proc, message, proj, *absent):
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and message in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr
    for rel in absent:
        assert not (proj / rel).exists(), rel
    assert not list(proj.rglob(".*.tmp")), "temp debris left behind"


@pytest.fixture(scope="module")
def small_project(tmp_path_factory):
    proj = make_copy(tmp_path_factory.mktemp("bad") / "proj", TINY_TWO_ARCHITECTURES)
    run(["dvc", "repro", "synthesize"], proj)
    return proj


def fresh(small_project, tmp_path):
    proj = tmp_path / "p"
    shutil.copytree(small_project, proj, ignore=shutil.ignore_patterns(".dvc", ".git"))
    return proj


def test_bad_per_rater_tables_stop_ingest(small_project, tmp_path):
    proj = fresh(small_project, tmp_path)
    table = proj / "data/synthetic/ratings_long.csv"
    lines = table.read_text().splitlines()
    lines[5] = ",".join(lines[5].split(",")[:3] + ["9"])
    table.write_text("\n".join(lines) + "\n")
    assert_clean_failure(stage_cmd(proj, "ingest"), "ratings_long.csv: rating 9 at row 4 is outside [0, 5]", proj,
                         "data/manifest.csv", "data/ratings_long.csv")
    lines = table.read_text().splitlines()
    lines[5] = lines[6].split(",")[0] + ",,quality,3"
    table.write_text("\n".join(lines) + "\n")
    assert_clean_failure(stage_cmd(proj, "ingest"), "ratings_long.csv: rater is missing at row 4", proj,
                         "data/manifest.csv")


def test_missing_image_and_broken_manifests_stop_ingest(small_project, tmp_path):
    proj = fresh(small_project, tmp_path)
    (proj / "data/synthetic/Image/allimg/17.png").unlink()
    assert_clean_failure(stage_cmd(proj, "ingest"), "image file(s) 17.png missing", proj, "data/manifest.csv")
    folder = proj / "mine"
    folder.mkdir()
    set_param(proj, "data", "source", "manifest")
    set_param(proj, "data", "root", "mine")
    set_param(proj, "data", "ratings_long", None)
    (folder / "manifest.csv").write_bytes(b"")
    assert_clean_failure(stage_cmd(proj, "ingest"), "manifest.csv: manifest is an empty file (0 bytes)", proj,
                         "data/manifest.csv")
    header = "image_id,path,generator,prompt_index,challenge,category,quality,authenticity,correspondence\n"
    (folder / "manifest.csv").write_text(header)
    assert_clean_failure(stage_cmd(proj, "ingest"), "the manifest has no rows", proj, "data/manifest.csv")
    shutil.copy(proj / "data/synthetic/Image/allimg/0.png", folder / "a.png")
    (folder / "manifest.csv").write_text(header + "a,a.png,g,,Basic,x,50,50,50\n")
    assert_clean_failure(stage_cmd(proj, "ingest"), "prompt_index is blank or not an integer for image_id 'a'",
                         proj, "data/manifest.csv")


def test_unknown_params_key_and_misspelled_weights_stop_a_stage(small_project, tmp_path):
    proj = fresh(small_project, tmp_path)
    text = (proj / "params.yaml").read_text().replace("  patience: 3\n", "  patience: 3\n  patiense: 3\n")
    (proj / "params.yaml").write_text(text)
    # the first stage of a full run (synthesize checks every section) stops on it with its output untouched,
    # and so does the whole-file check a sweep runs first
    before = digest(proj / "data/synthetic")
    assert_clean_failure(stage_cmd(proj, "synthesize"), "unknown key train.patiense", proj)
    assert digest(proj / "data/synthetic") == before
    checked = subprocess.run([sys.executable, "-m", "rashomon.params", str(proj / "params.yaml")], capture_output=True,
                             text=True, env={**os.environ, "PYTHONPATH": str(proj / "src")})
    assert checked.returncode == 2 and "unknown key train.patiense" in checked.stderr
    proj = fresh(small_project, tmp_path / "again")
    set_param(proj, "backbones", "weights", {"resnet_smal": "w.pt"})
    assert_clean_failure(stage_cmd(proj, "pretrain"), "backbones.weights: unknown architecture 'resnet_smal'", proj,
                         "models/pretrained")


@pytest.mark.slow
def test_splits_that_do_not_match_the_feature_cache_stop_train(tmp_path, tmp_path_factory):
    proj = copy_project(shared_pipeline(tmp_path_factory)[0], tmp_path / "p")
    published = {rel: digest(proj / rel) for rel in ("models/heads", "data/predictions.csv", "dvclive/train")}
    splits = proj / "data/splits.csv"
    splits.write_text(splits.read_text() + "exp3,0,999999,train\n")
    assert_clean_failure(stage_cmd(proj, "train"), "splits name image(s) ['999999'] that the resnet_small feature",
                         proj)
    assert {rel: digest(proj / rel) for rel in published} == published   # nothing republished


def digest(path) -> str:
    """A hash of a file or of a folder's files (names and bytes)."""
    h = hashlib.sha256()
    for f in sorted(p for p in ([path] if path.is_file() else path.rglob("*")) if p.is_file()):
        h.update(str(f.relative_to(path.parent)).encode() + f.read_bytes())
    return h.hexdigest()


def test_sigterm_fails_the_stage_and_leaves_nothing(small_project, tmp_path):
    proj = fresh(small_project, tmp_path)
    set_param(proj, "pretrain", "epochs", 500)
    proc = subprocess.Popen(stage_command(proj, "pretrain"), cwd=proj, env={**env(), "PYTHONPATH": str(proj / "src")},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not list((proj / "models").glob(".pretrained.*.tmp")) and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(3)  # inside Lightning's training loop by now
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM, err[-2000:]
    assert "stopped by signal 15; no output was written" in err
    assert not (proj / "models/pretrained").exists() and not (proj / "metrics/pretrain.json").exists()
    assert not list(proj.rglob(".*.tmp"))


@pytest.mark.slow
def test_a_hostile_data_root_never_reaches_a_shell(tmp_path, tmp_path_factory):
    """data.root with `;`, a space, quotes and a command substitution (a folder of that name
    holds the dataset): the stages that read the dataset folder run on it as on `dataset`, and
    no command in the value runs."""
    proj = copy_project(shared_pipeline(tmp_path_factory)[0], tmp_path / "p")
    before = json.loads((proj / "metrics/reliance.json").read_text())
    hostile = "ds;touch MARKER_semi;x y'q\"$(touch MARKER_sub)"
    shutil.copytree(proj / "dataset", proj / hostile)   # the manifest's image paths still name `dataset`,
    shutil.rmtree(proj / "dataset/twins")                # the twins are read from data.root alone
    set_param(proj, "data", "root", hostile)
    out = run(["dvc", "repro", "--single-item", "reliance"], proj)
    assert stages_run(out) == ["reliance"]
    assert not list(proj.rglob("MARKER*")) and not list(tmp_path.rglob("MARKER*"))
    assert json.loads((proj / "metrics/reliance.json").read_text()) == before
