"""Verdicts on claims, each true, false or undefined: a claim holds when every comparison it
names is shown (an intersection-union test: "beats every reference"), corrected for
multiplicity over the family of claims it is judged with (Holm), and never decided by the
bootstrap's own Monte-Carlo noise."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from rashomon.inference.intervals import Paired, underpowered

ALPHA = 0.05       # family-wise error rate of every family of verdicts
NOISE_SES = 2.0    # a lower bound within this many Monte-Carlo SEs of 0 is the resampling's, not the data's


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm's (1979) step-down adjusted p-values, in the input's order; NaN stays NaN and is not
    counted among the hypotheses."""
    p = np.asarray(pvalues, dtype=np.float64)
    out = np.full(p.shape, math.nan)
    tested = np.flatnonzero(np.isfinite(p))
    order = tested[np.argsort(p[tested], kind="stable")]
    m, running = len(order), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out.tolist()


def comparison_state(paired: Paired, min_n: int) -> tuple[bool | None, str]:
    """Whether one paired difference is shown positive (its 95% interval above 0): True, False,
    or None with the reason (too few images, no interval, a bound within the bootstrap's noise)."""
    if why := underpowered(paired.n, min_n):
        return None, why
    if not math.isfinite(paired.ci_low):
        return None, "no interval (every image's difference is the same)"
    if paired.ci_low_mc_se > 0 and abs(paired.ci_low) <= NOISE_SES * paired.ci_low_mc_se:   # NaN or 0: no noise
        return None, (f"bootstrap noise: the lower bound {paired.ci_low:.4f} is within {NOISE_SES:g} Monte-Carlo "
                      f"SEs ({paired.ci_low_mc_se:.4f}) of 0; raise inference.n_resamples")
    return bool(paired.ci_low > 0), ""


@dataclass(frozen=True)
class Verdict:
    """A claim's verdict, the claim's p (the largest of its comparisons') and Holm's adjustment
    of it over the family, and why it is not true ("" when it is)."""
    value: bool | None
    p: float
    adjusted_p: float
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def judge(claims: Mapping[str, Mapping[str, Paired]], min_n: int, alpha: float = ALPHA) -> dict[str, Verdict]:
    """Judge a family of claims (name -> the comparisons that must all be shown): a claim is
    false as soon as one comparison is decided not positive, undefined when one is undefined and
    none is false, and otherwise true only if its p, Holm-adjusted over every claim with a p (the
    family tested, whatever its other verdicts), is below `alpha`."""
    states = {name: {c: comparison_state(p, min_n) for c, p in comps.items()} for name, comps in claims.items()}
    claim_p = {name: max((p.p for p in comps.values()), default=math.nan) for name, comps in claims.items()}
    adjusted = dict(zip(claim_p, holm(list(claim_p.values()))))
    family = sum(math.isfinite(p) for p in claim_p.values())
    out = {}
    for name, state in states.items():
        if not state:
            out[name] = Verdict(None, math.nan, math.nan, "no comparison")
            continue
        failed = [f"{c}: interval not above 0" for c, (v, _) in state.items() if v is False]
        undefined = [f"{c}: {why}" for c, (v, why) in state.items() if v is None]
        adj = adjusted.get(name, math.nan)
        if failed:
            out[name] = Verdict(False, claim_p[name], adj, "; ".join(failed))
        elif undefined:
            out[name] = Verdict(None, claim_p[name], adj, "; ".join(undefined))
        elif not adj < alpha:
            out[name] = Verdict(False, claim_p[name], adj,
                                f"Holm-adjusted p {adj:.3g} >= {alpha:g} over {family} claims")
        else:
            out[name] = Verdict(True, claim_p[name], adj, "")
    return out


def any_true(verdicts: Sequence[bool | None]) -> bool | None:
    """True if any verdict is true; undefined if all are (or there are none); else false."""
    return True if any(v is True for v in verdicts) else None if all(v is None for v in verdicts) else False
