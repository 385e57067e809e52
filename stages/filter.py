"""Stage filter: apply the exclusion rule from params, report what it removed."""

import rashomon.core.pin_kernels  # noqa: F401  first: pins CPU kernels before numpy/torch load (docs/reproducibility.md)

import logging

from rashomon.core.cli import stage
from rashomon.core.io import write_csv
from rashomon.core.metrics import write_metrics
from rashomon.data.filter_params import FilterParams
from rashomon.data.filter_schema import FilterMetrics
from rashomon.data.filtering import apply_exclusion, removed_vs_kept_per_rater
from rashomon.data.manifest import read_manifest
from rashomon.data.ratings import read_ratings_long

log = logging.getLogger("rashomon.filter")


def run(params, args):
    """Write the kept manifest and metrics/filter.json."""
    manifest = read_manifest(args.manifest, rating_range=params.data.rating_range)
    kept = apply_exclusion(manifest, params.filter)
    metrics = {
        "n_images": int(len(manifest)), "kept": int(kept.sum()), "removed": int((~kept).sum()),
        "kept_prompts": int(manifest.loc[kept, "prompt_index"].nunique()),
        "removed_by_challenge": manifest.loc[~kept, "challenge"].value_counts().sort_index().to_dict(),
    }
    long = read_ratings_long(args.ratings)
    if long is None:
        metrics["per_rater"] = "skipped: no per-rater table (data.ratings_long is null)"
        log.info("no per-rater table: removed-vs-kept t-tests skipped")
    else:
        tests = removed_vs_kept_per_rater(long, set(manifest.loc[kept, "image_id"]))
        metrics["removed_vs_kept_per_rater"] = {d: {k: t[k] for k in ("t", "p", "cohens_dz")} for d, t in tests.items()}
    write_csv(args.out, manifest[kept])
    write_metrics(args.metrics, metrics, FilterMetrics)
    log.info("kept %d of %d images", metrics["kept"], metrics["n_images"])


main = stage(run, "--manifest", "--ratings", "--out", "--metrics", params=FilterParams)

if __name__ == "__main__":
    main()
