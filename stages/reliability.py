"""Stage reliability: split-half reliability, noise ceiling, distributions and plots."""

from pathlib import Path

from rashomon import plotting
from rashomon.cli import stage
from rashomon.data.manifest import DIMENSIONS, read_manifest
from rashomon.io import write_csv, write_json
from rashomon.ratings import read_ratings_long
from rashomon.reliability import compare_with_truth, reliability_report


def run(params, args):
    """Write metrics/reliability.json and plots/reliability/."""
    data = params["data"]
    manifest = read_manifest(args.manifest, rating_range=data["rating_range"], check_images=False)
    long = read_ratings_long(data)
    report = reliability_report(manifest, long, params["reliability"],
                                tuple(data.get("likert_range", (0, 5))), str(data.get("ratings_long")))
    truth = Path(data["root"]) / "truth.csv"
    if truth.is_file():
        report["label"] = "SYNTHETIC data (simulated raters)"
        report["synthetic_truth"] = compare_with_truth(report, manifest, truth)
    write_json(args.metrics, report)

    out = Path(args.plots)
    write_csv(out / "quality_vs_authenticity.csv", manifest[["image_id", "quality", "authenticity"]])
    plotting.histograms({d: manifest[d].to_numpy() for d in DIMENSIONS}, "MOS distributions",
                        out / "distributions.png")
    plotting.scatter(manifest["quality"], manifest["authenticity"], "quality MOS", "authenticity MOS",
                     f"r = {report['quality_authenticity_pearson']:.3f}", out / "quality_vs_authenticity.png")
    if "authenticity_sd" in manifest:
        write_csv(out / "mean_vs_sd.csv", manifest[["image_id", "authenticity", "authenticity_sd"]])
        plotting.scatter(manifest["authenticity"], manifest["authenticity_sd"], "authenticity MOS",
                         "rater SD", "mean vs SD", out / "mean_vs_sd.png")


main = stage(run, ("--manifest", {"default": "data/manifest_kept.csv"}),
             ("--metrics", {"default": "metrics/reliability.json"}),
             ("--plots", {"default": "plots/reliability"}))

if __name__ == "__main__":
    main()
