"""The report's sections, each from the metrics (and figures) of one part of the pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from rashomon.report.html import fmt, image, section, table, verdict, with_ci

Metrics = Mapping[str, Any]


def reliability(m: Metrics, plots: Path) -> str:
    summary = f"quality-authenticity r = {fmt(m['quality_authenticity_pearson'])} over {m['n_images']} images."
    if "split_half" in m:
        rows = [{"dimension": d, "split-half r": v["split_half_r"], "Spearman-Brown": v["spearman_brown"],
                 "noise ceiling": v["noise_ceiling"], "raters": v["n_raters"]} for d, v in m["split_half"].items()]
        body = [table(rows), f"<p>{fmt(m['recipe'])}; {summary}</p>"]
    else:   # no per-rater table (the public AIGCIQA2023 release): the ceiling, if any, is the user's
        ceilings = ", ".join(f"{fmt(d)} {fmt(v)}" for d, v in (m.get("noise_ceiling") or {}).items()) or "none"
        body = [f"<p>Skipped: {fmt(m.get('skipped', 'split-half reliability (no per-rater table)'))}. Noise "
                f"ceiling: {ceilings}, {fmt(m.get('noise_ceiling_source', 'none'))}; {summary}</p>"]
    return section("Ratings: reliability and noise ceiling",
                   "How well one half of the raters predicts the other; the ceiling bounds any model's PLCC.",
                   *body, image(plots / "reliability/distributions.png", "ratings"))


def prediction(m: Metrics, plots: Path) -> str:
    rows = [{"architecture": a, "PLCC (mean)": v["plcc_mean"], "PLCC SD": v["plcc_sd"],
             "model reliability": v["model_reliability"]} for a, v in m["architectures"].items()]
    best = f"<p>Best: {fmt(m['best_architecture'])}, PLCC {fmt(m['best_plcc'])}"
    best += (f" = {fmt(m['best_plcc_over_noise_ceiling'])} of the ceiling ({fmt(m['noise_ceiling'])}).</p>"
             if m.get("noise_ceiling") is not None else
             "; no noise ceiling (no per-rater table and reliability.noise_ceiling: null).</p>")
    return section("Prediction per architecture against the ceiling",
                   "Test PLCC of each architecture's heads (mean and population SD over variants); dashed line in "
                   "the figure: the noise ceiling.", table(rows), best,
                   image(plots / "train/plcc_by_architecture.png", "PLCC"))


def quality(m: Metrics) -> str:
    rows = [{"architecture": a,
             "partial r(prediction, authenticity | quality)": v["partial_authenticity_given_quality"]}
            for a, v in m["architectures"].items()]
    return section("Quality diagnostic",
                   "Does a model predict authenticity beyond perceived quality? Near 0: it tracks quality only.",
                   table(rows))


def _paired(d: Metrics | None) -> str:
    """A paired difference as "0.05 [-0.02, 0.12], p 0.21, n 16"."""
    if not d:
        return "–"
    return f"{with_ci(d['difference'], d['ci_low'], d['ci_high'])}, p {fmt(d['p'])}, n {d['n']}"


def _gain(m: Metrics, kind: str) -> str:
    """ " (PLCC gain 0.02 [-0.01, 0.05], n 274)" where the ensemble's gain was measured."""
    g = m.get(f"{kind}_minus_best_single_plcc")
    return (f" (PLCC gain {with_ci(g['difference'], g['ci_low'], g['ci_high'])}, {fmt(g.get('ci_level', 0.95))} "
            f"interval, n {g['n']})") if g else ""


def _verdict(m: Metrics, key: str) -> str:
    """Metrics' verdict `key` as yes / no / undefined (reason from the metrics' `undefined`)."""
    return verdict(m.get(key), (m.get("undefined") or {}).get(key))


def consistency(m: Metrics, plots: Path) -> str:
    parts = []
    for method, e in m["methods"].items():
        rows = [{"architecture": a, **v, "prototype reliability": (e.get("prototype_reliability") or {}).get(a)}
                for a, v in e["within"].items()]
        ceiling = ", ".join(f"{fmt(k)} {fmt(v)}" for k, v in (e.get("across_over_ceiling") or {}).items()) or "–"
        parts.append(f"<h3>{method}</h3>" + table(rows) +
                     f"<p>Across the Rashomon set's architectures (prototype maps): Pearson "
                     f"{_estimate(e['across_pearson_in_set'])} (every pair, the non-members too: "
                     f"{_estimate(e['across_pearson_all_pairs'])}), "
                     f"feature agreement {fmt(e['across'].get('feature_agreement', float('nan')))}; within minus "
                     f"across per image: {_paired(e.get('within_minus_across'))}, Holm-adjusted over the methods "
                     f"p {fmt((e.get('within_minus_across') or {}).get('adjusted_p'))}; over images and trained "
                     f"variants (the interval includes training randomness): "
                     f"{_seeds(e.get('within_minus_across_seeds_and_images'))}; within > across: "
                     f"{fmt(_verdict(e, 'within_exceeds_across'))}. Across Pearson over its ceiling "
                     f"sqrt(reliability a x b): {ceiling}.</p>")
    behaviour = [{"architecture": a, **v} for a, v in m["behaviour"].items()]
    percents = "/".join(f"{float(p):g}" for p in m.get("percents", [])) or "p"
    return section("Consistency of explanations",
                   "Within: mean pairwise agreement of an architecture's variants' maps per image (Pearson, IoU of the "
                   f"top {percents}% pixels). Across: agreement of architectures' prototype (variant-mean) maps, over "
                   "the Rashomon set (the architectures that predict about equally well; below). Same behaviour "
                   "with different maps is non-identifiability. Prototype reliability: split-half over "
                   "variants (Spearman-Brown), the map-side noise ceiling; across agreement can be at most "
                   "sqrt(reliability a x reliability b).", _rashomon_set(m["rashomon_set"]), *parts,
                   "<h3>Behaviour</h3>", table(behaviour),
                   image(plots / "consistency/across_pearson.png", "across-architecture heatmaps"))


def _seeds(d: Metrics | None) -> str:
    """A two-level (images and variants) interval, or why there is none."""
    return with_ci(d["difference"], d["ci_low"], d["ci_high"]) if d else "– (fewer than 2 members of 2 variants)"


def _rashomon_set(r: Metrics) -> str:
    """The Rashomon set: its rule, members and why every other architecture is out, each PLCC with its interval."""
    rows = [{"architecture": a, "test PLCC [95% CI over images and variants], n": _estimate(e),
             "in the set": "yes" if a in r["members"] else f"no: {r['excluded'].get(a, '')}"}
            for a, e in r["plcc"].items()]
    return (f"<h3>The Rashomon set</h3><p>{fmt(r['rule'])} (tolerance {fmt(r['tolerance'])}): "
            f"{', '.join(r['members']) or 'no architecture'}.</p>" + table(rows))


def ensemble(m: Metrics) -> str:
    rows = [{"model": "bagging (all pruned variants)", **m["bagging"]},
            {"model": "stacking (linear, out of fold)", **m["stacking"]}]
    a = m["attribution"]
    return section("Ensembles",
                   "Do ensembles beat every single architecture? Variants pruned on their validation sets; the fixed "
                   "test set.", table(rows),
                   f"<p>Best single architecture: {fmt(m['best_single']['architecture'])} (PLCC "
                   f"{fmt(m['best_single']['plcc'])}); mean single PLCC {fmt(m['mean_single_plcc'])}. Bagging beats "
                   f"the best single architecture: {fmt(_verdict(m, 'bagging_beats_best_single'))}"
                   f"{_gain(m, 'bagging')}; stacking: {fmt(_verdict(m, 'stacking_beats_best_single'))}"
                   f"{_gain(m, 'stacking')}. Ensemble maps on "
                   f"{a['n_images']} images: LIME fidelity R² {fmt(a['lime_fidelity_r2_mean'])}, LIME vs MPM Pearson "
                   f"{fmt(a['lime_vs_mpm_pearson_mean'])}.</p>")


def _estimate(e: Metrics) -> str:
    return f"{with_ci(e['value'], e['ci_low'], e['ci_high'])}, n {e['n']}"


def _heatmap_parts(m: Metrics) -> list[str]:
    """The continuous path's tables: scores per method x architecture, references, the centre
    prior's bound and the best architecture against the Gaussian and the centre prior."""
    def scores(v: Metrics) -> dict:
        return {"CC [95% CI], n": _estimate(v["cc"]), "NSS": v["nss"]["value"], "AUROC [95% CI]":
                with_ci(v["auroc"]["value"], v["auroc"]["ci_low"], v["auroc"]["ci_high"]),
                "AUC-Judd": v["auc_judd"]["value"], "SIM": v["sim"]["value"], "KL": v["kl"]["value"]}
    rows = [{"method": meth, "architecture": a, **scores(v)}
            for meth, e in m["methods"].items() for a, v in e["architectures"].items()]
    refs = [{"reference": r, **scores(v)} for r, v in m["references"].items()]
    verdicts = [{"method": meth, "best architecture (picked on the other half)": e["best"]["architecture"],
                 "its CC there": e["best"]["value"],
                 **{f"minus {ref} CC [95% CI], p, n": _paired(e.get(f"vs_{ref}"))
                    for ref in ("gaussian", "sobel", "centre_prior")},
                 "beats every reference": _claim(e.get("beats_references"))}
                for meth, e in m["methods"].items()]
    prior = m.get("centre_prior_vs_gaussian")
    bound = (f"<p>The centre prior (the mean heatmap of the other images) minus the centred Gaussian, CC: "
             f"{_paired(prior['difference'])}; beats the Gaussian: {verdict(prior['beats'], prior['undefined'])}. "
             "A model map that does not beat the centre prior says no more than where the problem lies on any "
             "image.</p>") if prior else ""
    return [table(rows), "<h3>Reference maps</h3>", table(refs), bound,
            "<h3>Does the best architecture beat the references?</h3>", table(verdicts)]


HEATMAP_MEANING = ("Each architecture's prototype map (cue score -map) against the heatmap of each explained image "
                   "on {n} images ({empty} without any mark, left out): CC and NSS (0 = chance), AUROC against the "
                   "heatmap's hot pixels and AUC-Judd against its top pixels (0.5 = chance), SIM (1 = same) and KL "
                   "(0 = same); means over images with 95% intervals (bootstrap over images).")


def human_groundtruth(m: Metrics, plots: Path) -> str:
    """Maps against human heatmaps (RichHF-18K): the saliency benchmark's scores with CIs."""
    return section("Human ground truth: do explanations point where people saw the problem?",
                   f"{m['label']}. " + HEATMAP_MEANING.format(n=m["n_images"], empty=m["n_empty_heatmaps"]),
                   *_heatmap_parts(m),
                   image(plots / "groundtruth/human.png", "image, human heatmap and each architecture's map"))


def groundtruth(m: Metrics, reliance: Metrics | None, plots: Path) -> str:
    if "skipped" in m:
        return section("Ground truth", f"Skipped: {m['skipped']}.")
    if "heatmaps" in m:
        return human_groundtruth(m, plots)
    reliance = reliance or {"skipped": "metrics/reliance.json is absent (the reliance stage has not run)"}
    rel = [{"architecture": a, "partial r (artifact | degradation)": v["partial_r_artifact_given_degradation"],
            "p": v["partial_p"], "artifact effect [95% CI]": with_ci(v["artifact_effect_mean"],
                                                                     v.get("artifact_effect_ci_low"),
                                                                     v.get("artifact_effect_ci_high")),
            "degradation effect": v["degradation_effect_mean"],
            "relies on artifact": verdict(v["relies_on_artifact"], "too few images for the tests")}
           for a, v in reliance.get("architectures", {}).items()]
    reliance_table = table(rel) if "skipped" not in reliance else f"<p>Skipped: {fmt(reliance['skipped'])}.</p>"
    rows = [{"method": meth, "architecture": a, "images": v["n_images"],
             "AUROC [95% CI]": with_ci(v["auroc"], v.get("auroc_ci_low"), v.get("auroc_ci_high")),
             "AUROC |map|": v["auroc_abs"],
             "mass": v["mass"], "pointing": v["pointing"], "rank": v["rank"],
             "twin rho": v["twin_agreement"]["rho"], "deletion gain": (v["deletion"] or {}).get("gain")}
            for meth, e in m["methods"].items() for a, v in e["architectures"].items()]
    refs = [{"reference": r, "AUROC [95% CI]": with_ci(v["auroc"], v.get("auroc_ci_low"), v.get("auroc_ci_high")),
             "AUROC |map|": v["auroc_abs"], "mass": v["mass"],
             "pointing": v["pointing"], "rank": v["rank"]} for r, v in m["references"].items()]
    verdicts = [{"method": meth, "best architecture (picked on the other half)":
                 (e.get("best_auroc") or {}).get("architecture"),
                 "its AUROC there": (e.get("best_auroc") or {}).get("auroc"),
                 **{f"minus {ref} [95% CI], p, n": _paired(e.get(f"vs_{ref}"))
                    for ref in ("gaussian", "sobel", "random")},
                 "beats every reference": _claim(e.get("beats_references"))}
                for meth, e in m["methods"].items() if "beats_gaussian" in e]
    return section("Ground truth: do explanations find the cue?",
                   "Reliance: what each model uses, measured by removing the artifact (twins). Localisation: does "
                   "-map rank the artifact's pixels first (AUROC 0.5 = chance)? A method is right only if it beats "
                   "every trivial reference map (centred Gaussian, Sobel edges, noise) on the same images: the best "
                   "architecture is picked on alternate images of the explanation set and tested on the others (no "
                   "winner's curse); the paired difference of per-image AUROCs, its 95% interval (bootstrap over "
                   "images) and p; Holm over the "
                   "methods; a verdict on fewer images than inference.min_n, or with a bound within two Monte-Carlo "
                   "SEs of 0, is undefined.", "<h3>What the models rely on</h3>", reliance_table,
                   "<h3>Localisation and faithfulness</h3>", table(rows), "<h3>Reference maps</h3>", table(refs),
                   "<h3>Does the best architecture beat the references?</h3>", table(verdicts),
                   image(plots / "groundtruth/auroc.png", "AUROC"),
                   image(plots / "groundtruth/deletion.png", "deletion"),
                   *_continuous(m.get("heatmap")))


def _continuous(m: Metrics | None) -> list[str]:
    """The synthetic masks through the human-heatmap path (what RichHF-18K's heatmaps get)."""
    if not m:
        return []
    return ["<h3>The same maps through the human-heatmap path (masks as 0/1 heatmaps)</h3>",
            "<p>" + HEATMAP_MEANING.format(n=m["n_images"], empty=m["n_empty_heatmaps"]) + "</p>",
            *_heatmap_parts(m)]


def _claim(v: Metrics | None) -> str:
    """A claim's verdict: "yes (Holm p 0.004)", "no: sobel: interval not above 0", "undefined: ..."."""
    if not v:
        return "–"
    if v["value"]:
        return f"yes (Holm p {fmt(v['adjusted_p'])})"
    return ("no" if v["value"] is False else "undefined") + (f": {v['reason']}" if v["reason"] else "")


def _on(e: Metrics, key: str) -> str:
    """ "on resnet_small, densenet_small" / "on no architecture" / "undefined on every architecture"."""
    if e.get(key) is None:
        return "undefined on every architecture"
    return f"on {', '.join(e[f'{key}_on'])}" if e[f"{key}_on"] else "on no architecture"


def _method_sentence(method: str, e: Metrics) -> str:
    """What the controls say about one method, verdict by verdict."""
    said = [f"<b>{fmt(method)}</b>: credited {_on(e, 'credited')} (its maps of the cue-only heads point at the "
            f"artifact with the twins' sign and beat the cue-blind heads' and every reference map); sign-blind "
            f"{_on(e, 'credited_sign_blind')}; the positive control alone beats every reference "
            f"{_on(e, 'finds_positive_cue')}."]
    if "finds_detector_cue" in e:
        said.append(f"Its map of the end-to-end detector beats every reference {_on(e, 'finds_detector_cue')}"
                    + (" (it fails its strongest positive control)." if e["finds_detector_cue"] is False else "."))
        kinds = e.get("finds_detector_cue_by_kind") or {}
        if kinds:
            said.append("By kind of artifact: " + "; ".join(
                f"{k.replace('_', ' ')} {verdict(v, 'too few images or no valid control')}" for k, v in kinds.items())
                + ".")
    return "<p>" + " ".join(said) + "</p>"


def _share(e: Metrics) -> float:
    """A cue-only model's or detector's twin effect on one kind as a share of that kind's visibility
    (its target is -visibility: 1 = it tracks the whole cue, 0 = none of it)."""
    return e["value"] / e["mean_visibility"] if e["mean_visibility"] else float("nan")


def _detector_uses(m: Metrics) -> str:
    """ " ... share of the artifact's visibility: checkerboard 57-73%, ...": what the detectors use, per kind."""
    per = [e["detector"]["artifact_effect_by_kind"] for e in m.get("reliance", {}).values()
           if "artifact_effect_by_kind" in e.get("detector", {})]
    if not per:
        return ""
    kinds = sorted({k for p in per for k in p})
    spans = []
    for k in kinds:
        shares = [_share(p[k]) for p in per if k in p]
        spans.append(f"{k.replace('_', ' ')} {100 * min(shares):.0f}-{100 * max(shares):.0f}%")
    return (" Read it against what the detectors use: removing the artifact (the twins) changes their prediction by "
            "this share of the artifact's visibility: " + ", ".join(spans) + " (a detector that tracked the whole cue "
            "would reach 100%). A method cannot be faulted for missing a kind the model hardly uses.")


def _ci(e: Metrics | None) -> str:
    return with_ci(e["value"], e["ci_low"], e["ci_high"]) if e else ""


def _kind_rows(m: Metrics) -> list[dict]:
    """Per method, architecture and kind of artifact: the cue-only, study-target and detector AUROC."""
    return [{"method": method, "architecture": a, "kind of artifact": k.replace("_", " "),
             "n": v["detector"]["n"], "cue only AUROC [95% CI]": _ci(v["cue_only"]),
             "study target AUROC [95% CI]": _ci(v["study_target"]), "detector AUROC [95% CI]": _ci(v["detector"]),
             "detector minus Sobel": _paired(v["detector_versus"]["sobel"]),
             "detector beats every reference": _claim(v.get("finds_detector_cue"))}
            for method, e in m["methods"].items() for a, entry in e["architectures"].items()
            for k, v in entry.get("by_kind", {}).items() if "detector" in v]


def _control_rows(m: Metrics) -> list[dict]:
    """Per method and architecture: each control's AUROC, the comparisons that decide credit, the verdicts."""
    rows = []
    for method, e in m["methods"].items():
        for a, v in e["architectures"].items():
            vs = v["positive_versus"]
            rows.append({"method": method, "architecture": a,
                         **{f"{c.replace('_', ' ')} AUROC [95% CI]": _ci(v[c])
                            for c in ("cue_only", "cue_blind", "study_target")},
                         "cue-only minus cue-blind": _paired(vs["cue_blind"]),
                         "cue-only minus Gaussian": _paired(vs["gaussian"]),
                         "cue-only minus Sobel": _paired(vs["sobel"]),
                         "credited": _claim(v["credited"]), "credited (sign-blind)": _claim(v["credited_sign_blind"]),
                         "detector AUROC [95% CI]": _ci(v.get("detector")),
                         "detector minus Sobel": _paired(v["detector_versus"]["sobel"]) if "detector" in v else "",
                         "detector beats every reference": _claim(v.get("finds_detector_cue"))})
    return rows


def controls(m: Metrics) -> str:
    if "skipped" in m:
        return section("Controls", f"Skipped: {fmt(m['skipped'])}.")
    fits = [{"architecture": a, **{k.replace("_test_r", " (test r)").replace("_", " "): v for k, v in r.items()}}
            for a, r in m["architectures"].items()]
    uses = [{"architecture": a, "control": c.replace("_", " "),
             "partial r (artifact | degradation)": e["partial_r_artifact_given_degradation"],
             "twin effect of the artifact [95% CI]": with_ci(e["artifact_effect_mean"], e["artifact_effect_ci_low"],
                                                             e["artifact_effect_ci_high"]),
             "relies on it": verdict(e["relies_on_artifact"], "undefined"),
             "by kind: twin effect [95% CI], interval above 0": "; ".join(
                 f"{k.replace('_', ' ')} {with_ci(v['value'], v['ci_low'], v['ci_high'])} {verdict(v['uses_it'])}"
                 + (f" ({100 * _share(v):.0f}% of its visibility)" if c in ("cue_only", "detector") else "")
                 for k, v in e.get("artifact_effect_by_kind", {}).items())}
            for a, per in m.get("reliance", {}).items() for c, e in per.items()]
    checks = next(iter(m["methods"].values()), {"architectures": {}})["architectures"]   # the same for every method
    blind = [{"architecture": a, "cue-blind heads blind to the artifact": (
                 {True: "yes", False: "no", None: "undefined"}[v["negative_control_blind"]["value"]]
                 + (f": {v['negative_control_blind']['reason']}" if v["negative_control_blind"]["reason"] else ""))}
             for a, v in checks.items()]
    kinds = _kind_rows(m)
    by_kind = ["<h3>The detector's maps by kind of artifact</h3>", "<p>The same images split by the kind of artifact "
               "the simulator drew: a method can find one kind and miss another, which the overall AUROC averages "
               "away." + _detector_uses(m) + "</p>", table(kinds)] if kinds else []
    return section("Controls: can a method find the cue at all?",
                   "Heads fitted on the same frozen backbone to the artifact alone (cue-only, the positive control), "
                   "to the global degradation alone (cue-blind, the negative control) and to the study's target, and "
                   "one backbone per family fine-tuned end to end on the cue (the detector, the strongest positive "
                   f"control), explained and scored against the artifact masks on {m['n_images']} artifact images "
                   "(AUROC of -map). A method is credited on an architecture only where its maps of the cue-only heads "
                   "point at the artifact with the sign the twins give it and beat both the cue-blind heads' maps and "
                   "every reference map (centred Gaussian, Sobel edges, noise), each paired over images, and only "
                   "where the twins show the cue-only heads use the artifact and the cue-blind heads do not (within "
                   f"{fmt(m.get('blind_margin'))} of the cue-only heads' effect, in SDs of each target). "
                   f"Multiplicity: {fmt(m.get('verdict_family', ''))}; a bound within two Monte-Carlo SEs of 0 is "
                   "undefined.", *(_method_sentence(method, e) for method, e in m["methods"].items()),
                   table(_control_rows(m)), *by_kind,
                   "<h3>How well each control's heads learn their target</h3>", table(fits),
                   "<h3>Whether each control's models use the artifact (the twins, as in Reliance)</h3>", table(uses),
                   "<h3>Is the negative control blind? (equivalence on the twins)</h3>", table(blind))


def counterfactual(m: Metrics, generator: Metrics | None, plots: Path) -> str:
    twins = any("raise_edit_vs_twin_cosine" in e for e in m["architectures"].values())
    rows = []
    for a, e in m["architectures"].items():
        mm = e["mean_model"]
        row = {"model": a if a == "ensemble" else f"{a} (variants' mean)",
               "raise reached": mm["raise"]["success_rate"], "lower reached": mm["lower"]["success_rate"],
               "raise change": mm["raise"]["achieved_change_mean"],
               "lower change": mm["lower"]["achieved_change_mean"],
               "edit size": (mm["raise"]["edit_size_mean"] + mm["lower"]["edit_size_mean"]) / 2}
        if twins:
            row["raise edit vs twin (cos)"] = e.get("raise_edit_vs_twin_cosine", {}).get("mean_model")
        rows.append({**row, **{f"r vs {k}": v for k, v in e.get("agreement_with", {}).items()}})
    if generator is not None:
        q = generator["held_out"]
        by = (f"a generator ({generator['family']}, held-out PSNR {fmt(q['psnr_db_mean'])} dB, "
              f"SSIM {fmt(q['ssim_mean'])})")
    else:
        by = "a generator (metrics/generator.json absent: its quality is not shown)"
    twin_note = ("A raising edit that removes the artifact has cosine 1 with the artifact-free twin." if twins else
                 "Twin comparison skipped: " + (m.get("skipped") or {}).get(
                     "raise_edit_vs_twin_cosine", "no artifact-free twins (synthetic default only)") + ".")
    figures = sorted((plots / "counterfactual").glob("image_*.png"))[:2]
    return section("Counterfactuals: what change would alter the judgment?",
                   f"Latent edits of {by} that raise or lower predicted authenticity by "
                   f"{fmt(m['target_change'])} rating units, on {m['n_images']} images. Failed edits are counted, "
                   f"not hidden: {m['overall']['n_failed']} of {m['overall']['n_edits']}. {twin_note}", table(rows),
                   *[image(f, f.stem) for f in figures])


def sanity(m: Metrics, plots: Path) -> str:
    rows = [{"method": k, **{c: x for c, x in v.items() if c != "undefined"}, "passes": _verdict(v, "passes")}
            for k, v in m["methods"].items()]
    return section("Sanity checks (Adebayo et al. 2018)",
                   f"Maps should change when the model is randomised; {m['rule']}. The Sobel edge map ignores the "
                   "model and must fail.", table(rows), image(plots / "sanity/cascade.png", "cascade"))


def idsds(m: Metrics, plots: Path) -> str:
    rows = []
    for model, outputs in m["models"].items():
        for out in outputs if isinstance(outputs, list) else [outputs]:
            rows.append({"model": model, **{k: v for k, v in out.items() if not isinstance(v, (list, dict))}})
    images = image(plots / "idsds/ranking.png", "IDSDS ranking")
    unranked = "".join(f"<p>{fmt(model)}: not ranked, {fmt(out['undefined']['ranking'])}.</p>"
                       for model, out in m["models"].items() if isinstance(out, dict) and "ranking" in
                       (out.get("undefined") or {}))
    return section("IDSDS benchmark", "In-domain single-deletion scores: principled attribution methods against dummy "
                   "baselines; a dummy that outranks a principled method is a warning. A model whose clean accuracy "
                   "interval reaches chance is not ranked.", table(rows), unranked, images)
