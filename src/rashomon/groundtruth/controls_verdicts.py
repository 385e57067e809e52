"""The controls' verdicts from their per-image scores (plots/controls/localisation.csv) and the
twins' manipulation checks: a method is credited on an architecture where its maps of the
cue-only heads point at the artifact with the sign the twins give it and beat the cue-blind
heads' maps and every reference map (the Sobel edge map too), each paired over images; only
where the twins show the cue-only heads use the artifact and the cue-blind heads do not (an
equivalence margin); Holm-corrected over architectures."""

from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np
import pandas as pd

from rashomon.core.config import InferenceConfig
from rashomon.groundtruth.references import REFERENCES
from rashomon.inference import Paired, bootstrap_mean, paired_difference
from rashomon.inference.verdicts import Verdict, any_true, judge

CUE_ONLY, CUE_BLIND, STUDY, DETECTOR = "cue_only", "cue_blind", "study_target", "detector"
KIND = "artifact"     # truth.csv's column naming each image's kind of artifact ("none" without one)
CHANCE = 0.5          # AUROC of a map that ignores the mask


def control_valid(reliance: Mapping[str, Any] | None) -> tuple[bool | None, str]:
    """A positive control (cue-only heads, detector) counts only where the twins show it uses the artifact."""
    if reliance is None:
        return None, "no twin check"
    if reliance.get("relies_on_artifact") is True:
        return True, ""
    return reliance.get("relies_on_artifact"), "the twins do not show it uses the artifact (positive control failed)"


def control_blind(reliance: Mapping[str, Mapping[str, Any]], target_sd: Mapping[str, float],
                  margin: float) -> tuple[bool | None, str]:
    """Whether the cue-blind heads are blind to the artifact, by equivalence (not a failure to
    reject): their twin effect's 95% interval, in SDs of their own target, lies within +-`margin`
    times the cue-only heads' effect in SDs of theirs (the targets differ in scale)."""
    blind, only = reliance.get(CUE_BLIND), reliance.get(CUE_ONLY)
    if not blind or not only or not (target_sd.get(CUE_BLIND, 0) > 0 and target_sd.get(CUE_ONLY, 0) > 0):
        return None, "no twin check"
    bound = margin * abs(only["artifact_effect_mean"]) / target_sd[CUE_ONLY]
    low, high = (blind[f"artifact_effect_ci_{k}"] / target_sd[CUE_BLIND] for k in ("low", "high"))
    if not (math.isfinite(low) and math.isfinite(high) and bound > 0):
        return None, "no interval for the twin effect"
    if -bound < low and high < bound:
        return True, ""
    return False, (f"negative control not blind: the cue-blind heads' artifact twin effect is [{low:.3f}, {high:.3f}] "
                   f"SD of their target, not within +-{bound:.3f} ({margin:g} of the cue-only heads' "
                   f"{bound / margin:.3f} SD)")


def _auroc(g: pd.DataFrame, control: str, column: str = "auroc") -> pd.Series:
    return g[g.control == control].set_index("image_id")[column]


def _versus(ours: pd.Series, refs: Mapping[str, pd.Series], inference: InferenceConfig,
            sign: float = 1.0) -> dict[str, Paired]:
    """`ours` against chance in the direction `sign` (the twins' sign of the artifact's effect:
    -1 flips the AUROC) and against each reference map on the same images (paired)."""
    x = ours.to_numpy()
    right = x if sign >= 0 else 1 - x
    out = {"right_sign": paired_difference(right, np.full_like(x, CHANCE), inference.seed, inference.n_resamples)}
    for ref, theirs in refs.items():
        out[ref] = paired_difference(x, theirs.reindex(ours.index).to_numpy(), inference.seed, inference.n_resamples)
    return out


def _effect_sign(reliance: Mapping[str, Any] | None) -> float:
    """The sign the twins give the artifact's effect (removing it raises the prediction: +1)."""
    effect = (reliance or {}).get("artifact_effect_mean", math.nan)
    return -1.0 if math.isfinite(effect) and effect < 0 else 1.0


def _estimate(values: pd.Series, inference: InferenceConfig) -> dict[str, Any]:
    return bootstrap_mean(values.to_numpy(), inference.seed, inference.n_resamples).as_dict()


class Claims:
    """The claims of one method over architectures (name -> comparisons), and the architectures
    where a claim cannot be judged (name -> why): each family is Holm-corrected on its own."""

    def __init__(self) -> None:
        self.claims: dict[str, dict[str, dict[str, Paired]]] = {}
        self.invalid: dict[str, dict[str, str]] = {}

    def add(self, family: str, name: str, comparisons: dict[str, Paired], valid: bool | None, why: str) -> None:
        if valid:
            self.claims.setdefault(family, {})[name] = comparisons
        else:
            self.invalid.setdefault(family, {})[name] = why

    def judged(self, family: str, inference: InferenceConfig) -> dict[str, dict]:
        """Holm over the architectures whose control is valid; the others undefined, with the reason."""
        out = {name: v.as_dict() for name, v in judge(self.claims.get(family, {}), inference.min_n).items()}
        out.update({name: Verdict(None, math.nan, math.nan, why).as_dict()
                    for name, why in self.invalid.get(family, {}).items()})
        return out

    def families(self) -> list[str]:
        return sorted(set(self.claims) | set(self.invalid))


def architecture_controls(g: pd.DataFrame, refs: Mapping[str, pd.Series], reliance: Mapping[str, Any],
                          name: str, claims: Claims, blind: tuple[bool | None, str],
                          inference: InferenceConfig) -> dict[str, Any]:
    """One method on one architecture: each control's AUROC, the cue-only heads' maps against the
    cue-blind heads' and every reference (signed, sign checked by the twins, and sign-blind), the
    detector's against every reference; its claims go to `claims`."""
    entry: dict[str, Any] = {c: _estimate(_auroc(g, c), inference) for c in (CUE_ONLY, CUE_BLIND, STUDY)}
    valid, why = control_valid(reliance.get(CUE_ONLY))
    both = valid and blind[0]
    for key, column in (("credited", "auroc"), ("credited_sign_blind", "auroc_abs")):
        ours = _auroc(g, CUE_ONLY, column)
        vs = _versus(ours, {r: t[column] for r, t in refs.items()}, inference, _effect_sign(reliance.get(CUE_ONLY)))
        vs[CUE_BLIND] = paired_difference(ours.to_numpy(), _auroc(g, CUE_BLIND, column).reindex(ours.index).to_numpy(),
                                          inference.seed, inference.n_resamples)
        entry["positive_versus" if column == "auroc" else "positive_versus_sign_blind"] = {
            k: p.as_dict() for k, p in vs.items()}
        claims.add(key, name, vs, both, why if not valid else blind[1])
        if column == "auroc":   # the positive control alone: can the method find the cue at all?
            claims.add("finds_positive_cue", name, {k: p for k, p in vs.items() if k != CUE_BLIND}, valid, why)
    entry["negative_control_blind"] = {"value": blind[0], "reason": blind[1]}
    detector = g[g.control == DETECTOR].set_index("image_id")
    if len(detector):
        entry[DETECTOR] = _estimate(detector["auroc"], inference)
        sign = _effect_sign(reliance.get(DETECTOR))
        dvs = _versus(detector["auroc"], {r: t["auroc"] for r, t in refs.items()}, inference, sign)
        entry["detector_versus"] = {k: p.as_dict() for k, p in dvs.items()}
        claims.add("finds_detector_cue", name, dvs, *control_valid(reliance.get(DETECTOR)))
    entry["by_kind"] = {}
    kind_of = g[g.control == CUE_ONLY].set_index("image_id")[KIND] if KIND in g else pd.Series(dtype=str)
    for kind in sorted(kind_of.unique()):
        on = kind_of.index[kind_of == kind]
        part = entry["by_kind"][kind] = {c: _estimate(_auroc(g, c).reindex(on), inference) for c in (CUE_ONLY, STUDY)}
        if len(detector):
            kvs = _versus(detector["auroc"].reindex(on), {r: t["auroc"] for r, t in refs.items()}, inference, sign)
            part[DETECTOR] = _estimate(detector["auroc"].reindex(on), inference)
            part["detector_versus"] = {k: p.as_dict() for k, p in kvs.items()}
            uses = reliance.get(DETECTOR, {}).get("artifact_effect_by_kind", {}).get(kind, {}).get("uses_it")
            claims.add(f"finds_detector_cue/{kind}", name, kvs, uses, f"the twins do not show the detector uses {kind}")
    return entry


def method_controls(table: pd.DataFrame, method: str, reliance: Mapping[str, Mapping[str, Any]],
                    target_sd: Mapping[str, float], blind_margin: float, inference: InferenceConfig) -> dict:
    """One method's controls per architecture (`architecture_controls`) and its verdicts, each family
    Holm-corrected over architectures: `credited` (and `credited_sign_blind` beside it; defined only
    where the cue-only heads use the artifact and the cue-blind heads are blind), `finds_positive_cue`
    and `finds_detector_cue`, overall and per kind of artifact."""
    out: dict[str, Any] = {"architectures": {}}
    claims = Claims()
    for name, g in table[table.method == method].groupby("architecture", sort=False):
        ref_rows = table[(table.method == "reference") & (table.architecture == name)]
        refs = {r: ref_rows[ref_rows.control == r].set_index("image_id") for r in REFERENCES}
        rel = reliance.get(name, {})
        blind = control_blind(rel, target_sd, blind_margin)
        out["architectures"][name] = architecture_controls(g, refs, rel, name, claims, blind, inference)
    for family in claims.families():
        judged = claims.judged(family, inference)
        verdict_key, _, kind = family.partition("/")
        for name, v in judged.items():
            (out["architectures"][name]["by_kind"][kind] if kind else out["architectures"][name])[verdict_key] = v
        if kind:
            out.setdefault(f"{verdict_key}_by_kind", {})[kind] = any_true([v["value"] for v in judged.values()])
        else:
            out[f"{verdict_key}_on"] = [name for name, v in judged.items() if v["value"]]
            out[verdict_key] = any_true([v["value"] for v in judged.values()])
    return out
