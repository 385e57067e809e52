"""Stage reliability: split-half reliability, noise ceiling, distributions and plots."""

import rashomon.core.pin_kernels  # noqa: F401  first: pins CPU kernels before numpy/torch load (docs/reproducibility.md)

from rashomon.core import plotting
from rashomon.core.cli import stage
from rashomon.core.config import DIMENSIONS
from rashomon.core.io import atomic_path, write_csv
from rashomon.core.metrics import write_metrics
from rashomon.data.manifest import read_manifest
from rashomon.data.ratings import read_ratings_long
from rashomon.data.truth import SYNTHETIC_LABEL, read_truth
from rashomon.psychometrics.reliability_params import ReliabilityParams
from rashomon.psychometrics.reliability_schema import ReliabilityMetrics
from rashomon.psychometrics.report import compare_with_truth, reliability_report


def run(params, args):
    """Write metrics/reliability.json and plots/reliability/."""
    manifest = read_manifest(args.manifest, rating_range=params.data.rating_range)
    report = reliability_report(manifest, read_ratings_long(args.ratings), params.reliability, args.ratings)
    truth = read_truth(args.truth)
    if truth is not None:
        report["label"] = SYNTHETIC_LABEL
        report["synthetic_truth"] = compare_with_truth(report, manifest, truth)

    with atomic_path(args.plots, is_dir=True) as out:
        write_csv(out / "quality_vs_authenticity.csv", manifest[["image_id", "quality", "authenticity"]])
        plotting.histograms({d: manifest[d].to_numpy() for d in DIMENSIONS}, "MOS distributions",
                            out / "distributions.png")
        plotting.scatter(manifest["quality"], manifest["authenticity"], "quality MOS", "authenticity MOS",
                         f"r = {report['quality_authenticity_pearson']:.3f}", out / "quality_vs_authenticity.png")
        if "authenticity_sd" in manifest:
            write_csv(out / "mean_vs_sd.csv", manifest[["image_id", "authenticity", "authenticity_sd"]])
            plotting.scatter(manifest["authenticity"], manifest["authenticity_sd"], "authenticity MOS",
                             "rater SD", "mean vs SD", out / "mean_vs_sd.png")
    write_metrics(args.metrics, report, ReliabilityMetrics)


main = stage(run, "--manifest", "--ratings", "--truth", "--metrics", "--plots", params=ReliabilityParams)

if __name__ == "__main__":
    main()
