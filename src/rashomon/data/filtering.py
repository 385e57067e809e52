"""The exclusion rule (data in params.yaml, not code) and its effect on ratings."""

from __future__ import annotations

import pandas as pd
from scipy import stats

from rashomon.core.errors import InputError
from rashomon.data.filter_params import FilterConfig


def apply_exclusion(manifest: pd.DataFrame, rule: FilterConfig) -> pd.Series:
    """Boolean 'kept' mask for `manifest` under `rule`.

    Rule keys (all optional): keep_prompts (0-based prompt indices to keep; all others
    removed), exclude_prompts, exclude_challenges, exclude_categories,
    keep_categories_prompts (prompt indices kept despite an excluded category).
    Names and indices that match nothing in the data are errors, so a typo cannot
    silently keep everything.
    """
    known_prompts = set(manifest["prompt_index"].unique().tolist())
    kept = pd.Series(True, index=manifest.index)

    def check_prompts(key: str) -> list[int]:
        values = [int(v) for v in (getattr(rule, key) or [])]
        unknown = sorted(set(values) - known_prompts)
        if unknown:
            raise InputError(
                f"filter.{key}: prompt indices {unknown[:10]} do not exist "
                f"(data has prompts {min(known_prompts)}..{max(known_prompts)})")
        return values

    def check_names(key: str, column: str) -> list[str]:
        values = [str(v) for v in (getattr(rule, key) or [])]
        known = set(manifest[column].astype(str))
        unknown = sorted(set(values) - known)
        if unknown:
            raise InputError(f"filter.{key}: {unknown} not found in column {column!r}; known: {sorted(known)}")
        return values

    keep_prompts = check_prompts("keep_prompts")
    if rule.keep_prompts is not None:
        kept &= manifest["prompt_index"].isin(keep_prompts)
    kept &= ~manifest["prompt_index"].isin(check_prompts("exclude_prompts"))
    kept &= ~manifest["challenge"].astype(str).isin(check_names("exclude_challenges", "challenge"))
    cat_removed = manifest["category"].astype(str).isin(check_names("exclude_categories", "category"))
    cat_removed &= ~manifest["prompt_index"].isin(check_prompts("keep_categories_prompts"))
    kept &= ~cat_removed
    if not kept.any():
        raise InputError("filter: the exclusion rule removes every image")
    return kept


def removed_vs_kept_per_rater(long: pd.DataFrame, kept_ids: set[str]) -> dict[str, dict[str, float]]:
    """Per dimension: each rater's mean rating on removed vs kept images, paired t-test
    over raters and Cohen's d_z (mean difference / SD of differences)."""
    out: dict[str, dict[str, float]] = {}
    frame = long.assign(kept=long["image"].astype(str).isin(kept_ids))
    for dim, sub in frame.groupby("dimension"):
        means = sub.groupby(["rater", "kept"])["rating"].mean().unstack()
        if True not in means or False not in means:
            continue
        diff = (means[False] - means[True]).dropna()
        t, p = stats.ttest_rel(means[False].loc[diff.index], means[True].loc[diff.index])
        out[str(dim)] = {
            "mean_removed": float(means[False].mean()),
            "mean_kept": float(means[True].mean()),
            "t": float(t), "p": float(p), "df": int(len(diff) - 1),
            "cohens_dz": float(diff.mean() / diff.std(ddof=1)) if len(diff) > 1 else float("nan"),
        }
    return out
