"""Shapes that several metrics files share (a skipped stage, a paired difference, an estimate
with its interval). Each metrics file's own schema lives beside the stage that writes it
(`<package>/<stage>_schema.py`); `report/schemas.py` maps every file to its schema. (No
`from __future__ import annotations` here: TypedDict must see NotRequired at class creation.)"""

from typing import TypedDict


class Skipped(TypedDict):
    """A stage that had nothing to measure on this data says why (e.g. no twins on real data)."""
    skipped: str


class PairedDifference(TypedDict):
    """a - b over the n images where both are defined: mean, 95% interval, two-sided p."""
    difference: float
    ci_low: float
    ci_high: float
    p: float
    n: int
    permutations: int | str      # "exact" (every sign flip) or how many random ones
    ci_low_mc_se: float          # the bootstrap's Monte-Carlo SE of ci_low (a bound within 2 of 0: undefined)


class ClaimVerdict(TypedDict):
    """A claim's verdict (rashomon.inference.verdicts): every comparison shown, Holm over the family."""
    value: bool | None
    p: float                     # the claim's p: the largest of its comparisons'
    adjusted_p: float            # Holm over the family the metrics file names
    reason: str                  # why it is not true ("" when it is)


class Estimate(TypedDict):
    """A mean over n images with its 95% interval."""
    value: float
    ci_low: float
    ci_high: float
    n: int
