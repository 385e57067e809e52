"""Stage report: one self-contained HTML page a reviewer can open offline or mail."""

import rashomon.pin_kernels  # noqa: F401  first: pins CPU kernels before numpy/torch load (README: Reproducibility)

from pathlib import Path

from rashomon.cli import stage
from rashomon.io import atomic_path, read_json
from rashomon.report import sections
from rashomon.report.html import image, page, section


def run(params, args):
    """Write report/rashomon.html from metrics/*.json and the figures under plots/."""
    metrics, plots = Path(args.metrics), Path(args.plots)
    m = {name: read_json(metrics / f"{name}.json") for name in
         ("reliability", "train", "consistency", "ensemble", "groundtruth", "reliance", "sanity", "idsds",
          "counterfactual", "generator")}
    synthetic = "SYNTHETIC" in str(m["train"].get("label", ""))
    figures = sorted((plots / "explain").glob("*.png"))[:3]
    parts = [
        sections.reliability(m["reliability"], plots),
        sections.prediction(m["train"], plots),
        sections.quality(m["train"]),
        sections.consistency(m["consistency"], plots),
        sections.ensemble(m["ensemble"]),
        sections.groundtruth(m["groundtruth"], m["reliance"], plots),
        sections.counterfactual(m["counterfactual"], m["generator"], plots),
        sections.sanity(m["sanity"], plots),
        sections.idsds(m["idsds"], plots),
        section("Explanations, image by image", "Each architecture's prototype map per method; red raises, blue "
                "lowers predicted authenticity (yellow outline: the artifact, synthetic data only).",
                *[image(f, f.stem) for f in figures]),
    ]
    banner = ("SYNTHETIC data: simulated raters and backbones pretrained on synthetic scenes; not human judgments"
              if synthetic else None)
    with atomic_path(args.out) as tmp:
        tmp.write_text(page("rashomon: are explanations of authenticity judgments identifiable?", banner, parts),
                       encoding="utf-8")


main = stage(run, ("--metrics", {"default": "metrics"}), ("--plots", {"default": "plots"}),
             ("--out", {"default": "report/rashomon.html"}))

if __name__ == "__main__":
    main()
