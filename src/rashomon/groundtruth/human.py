"""Human ground truth: is each architecture's prototype map where people marked the problem?
Scored against continuous human heatmaps (RichHF-18K's artifact maps) with the saliency
benchmark's metrics, beside trivial references and a centre prior built from the *other*
images' human maps: the human side's own bound (how predictable people's maps are from
where people look on any image)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from rashomon.attribution.method import stored_methods
from rashomon.attribution.runner import load_maps
from rashomon.backbones import input_grids
from rashomon.backbones.preprocess import denormalise, load_images
from rashomon.core.config import InferenceConfig
from rashomon.data.explanation_order import selection_halves
from rashomon.data.richhf import SOURCE_LABEL
from rashomon.data.truth import SYNTHETIC_LABEL
from rashomon.groundtruth.cues import CueMaps
from rashomon.groundtruth.evaluate import judge_references
from rashomon.groundtruth.groundtruth_params import GroundtruthParams
from rashomon.groundtruth.references import gaussian_map, sobel_map
from rashomon.groundtruth.saliency import SCORES, saliency_scores
from rashomon.inference import bootstrap_mean, paired_difference
from rashomon.inference.verdicts import comparison_state

NO_GROUND_TRUTH = "no artifact masks or human heatmaps: ground truth needs the synthetic default or RichHF-18K"
CENTRE_PRIOR = "centre_prior"     # the mean human map of the other scored images (leave one out)
REFERENCES = ("gaussian", "sobel", "random", CENTRE_PRIOR)
COMPARED = ("gaussian", "sobel", CENTRE_PRIOR, "random")   # a method must beat every one (the best of them)


@dataclass(frozen=True)
class HeatmapScoring:
    """How a map is scored against a heatmap (params.groundtruth)."""
    threshold: float       # AUROC: pixels at or above this share of the heatmap's maximum are the cue
    top_fraction: float    # AUC-Judd: the heatmap's top pixels stand for fixations


def score_table(maps: Mapping[str, np.ndarray], heats: Mapping[str, np.ndarray], how: HeatmapScoring) -> pd.DataFrame:
    """One row per image with a non-empty heatmap: every saliency score of its cue map."""
    rows = [{"image_id": i, **saliency_scores(maps[i], heats[i], how.threshold, how.top_fraction)}
            for i in maps if heats[i].max() > 0]
    return pd.DataFrame(rows, columns=["image_id", *SCORES])


def reference_cue_maps(rgb: Mapping[str, np.ndarray], heats: Mapping[str, np.ndarray], side: int, sigma: float,
                       seed: int) -> dict[str, dict[str, np.ndarray]]:
    """Per reference, a cue map per image: centred Gaussian, Sobel edges, uniform noise, and
    the centre prior (the mean heatmap of every other image with a non-empty heatmap)."""
    ids = list(heats)
    rng = np.random.default_rng(seed)
    marked = [i for i in ids if heats[i].max() > 0]
    total = sum((heats[i] / heats[i].max() for i in marked), np.zeros((side, side)))
    out: dict[str, dict[str, np.ndarray]] = {r: {} for r in REFERENCES}
    for i in ids:
        out["gaussian"][i] = gaussian_map(side, sigma)
        out["sobel"][i] = sobel_map(rgb[i])
        out["random"][i] = rng.random((side, side))
        own = heats[i] / heats[i].max() if i in marked else 0.0
        others = len(marked) - (i in marked)
        out[CENTRE_PRIOR][i] = (total - own) / others if others else np.zeros((side, side))
    return out


def summary(table: pd.DataFrame, inference: InferenceConfig) -> dict[str, Any]:
    """Each score's mean over images with its 95% interval and n."""
    out: dict[str, Any] = {}
    for score in SCORES:
        est = bootstrap_mean(table[score].to_numpy(dtype=float), inference.seed, inference.n_resamples)
        out[score] = {"value": est.value, "ci_low": est.ci_low, "ci_high": est.ci_high, "n": est.n}
    return out


def versus(ours: pd.DataFrame, theirs: pd.DataFrame, score: str, inference: InferenceConfig) -> tuple[dict, Any, str]:
    """Paired difference of one score over the images both define, its verdict, and why undefined."""
    a, b = ours.set_index("image_id")[score], theirs.set_index("image_id")[score]
    shared = a.dropna().index.intersection(b.dropna().index)
    diff = paired_difference(a.loc[shared].to_numpy(), b.loc[shared].to_numpy(), inference.seed, inference.n_resamples)
    decided, why = comparison_state(diff, inference.min_n)
    return diff.as_dict(), decided, why


def method_report(prototypes: Mapping[str, pd.DataFrame], references: Mapping[str, pd.DataFrame],
                  inference: InferenceConfig, score: str = "cc",
                  compared: Sequence[str] = COMPARED) -> dict[str, Any]:
    """Per architecture each score with its CI; the best architecture (by mean `score` on one half
    of the images, tested on the other: `selection_halves`) against every reference (Gaussian,
    Sobel edges, centre prior, noise): paired differences and
    per-reference verdicts (`beats_references`, over all of them, is judged across methods)."""
    out: dict[str, Any] = {"architectures": {a: summary(t, inference) for a, t in prototypes.items()}}
    order = list(dict.fromkeys(i for t in prototypes.values() for i in t["image_id"]))
    pick, test = selection_halves(order)   # picked on one half, tested on the other: no winner's curse
    means = {a: t.set_index("image_id")[score].reindex(pick).mean() for a, t in prototypes.items()}
    best = max(means, key=lambda a: np.nan_to_num(means[a], nan=-np.inf))
    out["best"] = {"architecture": best, "score": score, "value": float(means[best]), "picked_on": len(pick)}
    ours = prototypes[best][prototypes[best].image_id.isin(set(test))]
    undefined = {}
    for ref in compared:
        theirs = references.get(ref, pd.DataFrame(columns=["image_id", score]))   # missing: no image, undefined
        out[f"vs_{ref}"], out[f"beats_{ref}"], why = versus(ours, theirs, score, inference)
        if why:
            undefined[f"beats_{ref}"] = why
    out["undefined"] = undefined
    return out


VERDICT_FAMILY = "beats_references: Holm over the methods (each: the best architecture beats every reference)"
N_EXAMPLES = 3   # images in the figure: the first explained ones with a marked heatmap


@dataclass(frozen=True)
class CueSource:
    """Whose cue maps these are: the report's label and wording, and the figure's."""
    label: str          # report["label"]
    heatmaps: str       # report["heatmaps"]
    panel: str          # the figure's cue-map column
    title: str


HUMAN = CueSource(SOURCE_LABEL, "human (continuous)", "human heatmap",
                  "Where people saw the problem, and where each model's explanation points (-map)")
SIMULATOR = CueSource(SYNTHETIC_LABEL, "the simulator's masks as 0/1 heatmaps (the path human heatmaps take)",
                      "artifact mask (simulator)",
                      "Where the simulator put the artifact, and where each model's explanation points (-map)")


@dataclass
class HumanGroundTruth:
    """metrics/groundtruth.json on a dataset with human heatmaps, its tables and the figure's panels."""
    report: dict
    scores: pd.DataFrame        # method, architecture, image_id, every score of the prototype map
    references: pd.DataFrame    # reference, image_id, every score
    method: str                 # the method the figure shows (the first stored one)
    examples: list[tuple[str, np.ndarray, np.ndarray, dict[str, np.ndarray]]]   # id, RGB, heatmap, arch -> cue map
    source: CueSource


def assess_human_ground_truth(params: GroundtruthParams, manifest: pd.DataFrame, cues: CueMaps, explanations: Path,
                              source: CueSource = HUMAN) -> HumanGroundTruth:
    """Every stored method x architecture's prototype map (cue score = -map: the problem
    lowers the judgment) against the human heatmaps of the explained images, each on the
    architecture's grid; references on the first architecture's grid. `manifest` by image id."""
    names, grids, cfg = params.backbones.names, input_grids(params.backbones.names), params.groundtruth
    how = HeatmapScoring(cfg.heat_threshold, cfg.top_fraction)
    report: dict[str, Any] = {"label": source.label, "cue_score": "-map (the problem lowers the judgment)",
                              "heatmaps": source.heatmaps, "methods": {}, "references": {}}
    frames, explained, shown = [], set(), {}
    methods = stored_methods(params.explain)
    for method in methods:
        prototypes = {}
        for name in names:
            stored = load_maps(explanations / method / f"{name}.npz")
            ids = [str(i) for i in stored["image_ids"]]
            heats = cues.heats(ids, grids[name])
            maps = {i: -stored["maps"][k].astype(np.float64).mean(0) for k, i in enumerate(ids) if i in heats}
            prototypes[name] = score_table(maps, heats, how)
            if method == methods[0]:
                shown[name] = {i: maps[i] for i in list(prototypes[name].image_id)[:N_EXAMPLES]}
            frames.append(prototypes[name].assign(method=method, architecture=name))
            explained |= set(heats)
        scored = sorted(set().union(*(set(t.image_id) for t in prototypes.values())))
        refs = reference_tables(params, manifest, cues, scored, how)
        report["methods"][method] = method_report(prototypes, refs, params.inference)
    judge_references(report["methods"], COMPARED, params.inference.min_n)
    report["verdict_family"] = VERDICT_FAMILY
    heats = {i: cues.image_space(i) for i in sorted(explained)}
    report["n_images"] = len(heats)
    report["n_empty_heatmaps"] = int(sum(h.max() == 0 for h in heats.values()))
    everyone = sorted(i for i, h in heats.items() if h.max() > 0)
    all_refs = reference_tables(params, manifest, cues, everyone, how) if everyone else {}
    report["references"] = {r: summary(t, params.inference) for r, t in all_refs.items()}
    if all_refs:
        diff, decided, why = versus(all_refs[CENTRE_PRIOR], all_refs["gaussian"], "cc", params.inference)
        report["centre_prior_vs_gaussian"] = {"difference": diff, "beats": decided, "undefined": why}
    scores = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["image_id", *SCORES])
    references = pd.concat([t.assign(reference=r) for r, t in all_refs.items()], ignore_index=True) \
        if all_refs else pd.DataFrame(columns=["image_id", *SCORES, "reference"])
    return HumanGroundTruth(report, scores, references, methods[0], examples(params, manifest, cues, shown), source)


def examples(params: GroundtruthParams, manifest: pd.DataFrame, cues: CueMaps,
             shown: Mapping[str, Mapping[str, np.ndarray]]) -> list[tuple[str, np.ndarray, np.ndarray, dict]]:
    """The figure's panels: each example image (first architecture's grid), its heatmap and every architecture's map."""
    first = params.backbones.names[0]
    ids = list(shown.get(first, {}))
    if not ids:
        return []
    grid = input_grids([first])[first]
    rgb = denormalise(load_images(manifest.loc[ids, "path"].tolist(), grid))
    heats = cues.heats(ids, grid)
    return [(i, rgb[k], heats[i], {a: m[i] for a, m in shown.items() if i in m})
            for k, i in enumerate(ids)]


def reference_tables(params: GroundtruthParams, manifest: pd.DataFrame, cues: CueMaps, ids: list[str],
                     how: HeatmapScoring) -> dict[str, pd.DataFrame]:
    """Each reference's score table on `ids` (the first architecture's grid)."""
    if not ids:
        return {r: pd.DataFrame(columns=["image_id", *SCORES]) for r in REFERENCES}
    grid = input_grids(params.backbones.names[:1])[params.backbones.names[0]]
    heats = cues.heats(ids, grid)
    rgb = denormalise(load_images(manifest.loc[ids, "path"].tolist(), grid))
    maps = reference_cue_maps(dict(zip(ids, rgb)), heats, grid.input_size, params.groundtruth.gaussian_sigma,
                              params.groundtruth.seed)
    return {r: score_table(m, heats, how) for r, m in maps.items()}


def write_outputs(result: HumanGroundTruth, folder: Path, stem: str) -> None:
    """`<stem>.csv` (every score per image) and `<stem>.png` (the figure) in `folder`; the
    figure says whose maps these are (people's, or the simulator's masks)."""
    from rashomon.core.io import write_csv
    from rashomon.groundtruth.figures import human_figure

    write_csv(folder / f"{stem}.csv", result.scores)
    human_figure(result.examples, result.method, folder / f"{stem}.png", result.source.panel, result.source.title)
