"""Stage split: Monte-Carlo stratified splits for every experiment scheme."""

import rashomon.core.pin_kernels  # noqa: F401  first: pins CPU kernels before numpy/torch load (docs/reproducibility.md)

from rashomon.core.cli import stage
from rashomon.core.io import write_csv
from rashomon.core.metrics import write_metrics
from rashomon.data.explanation_order import strata_of, with_explain_rank
from rashomon.data.manifest import read_manifest
from rashomon.data.split_params import SplitParams
from rashomon.data.split_schema import SplitMetrics
from rashomon.data.splits import make_splits
from rashomon.data.truth import read_truth


def run(params, args):
    """Write data/splits.csv (scheme, variant, image_id, subset, explain_rank) and split sizes."""
    manifest = read_manifest(args.manifest, rating_range=params.data.rating_range)
    strata = strata_of(manifest, read_truth(args.truth))
    splits = with_explain_rank(make_splits(manifest, params.split), strata, params.split.seed)
    sizes = splits.groupby(["scheme", "subset"])["image_id"].count() / splits.groupby("scheme")["variant"].nunique()
    write_csv(args.out, splits)
    write_metrics(args.metrics, {f"{s}/{sub}": float(n) for (s, sub), n in sizes.items()}, SplitMetrics)


main = stage(run, "--manifest", "--truth", "--out", "--metrics", params=SplitParams)

if __name__ == "__main__":
    main()
