"""Stage reliance: what each architecture's heads rely on, measured with the simulator's twins."""

import rashomon.core.pin_kernels  # noqa: F401  first: pins CPU kernels before numpy/torch load (docs/reproducibility.md)

import logging
from pathlib import Path

import pandas as pd

from rashomon.attribution.runner import explanation_ids
from rashomon.backbones import create_backbone
from rashomon.backbones.preprocess import load_images
from rashomon.backbones.weights import check_backbone_names, weights_for
from rashomon.core.cli import stage
from rashomon.data.manifest import read_manifest
from rashomon.data.synthetic import TWINS, twin_path
from rashomon.data.truth import SYNTHETIC_LABEL, read_truth
from rashomon.core.device import resolve_device
from rashomon.core.io import write_csv, write_json
from rashomon.variants.reliance import effects_table, predict_images, reliance
from rashomon.variants.variant_set import load_variants

log = logging.getLogger("rashomon.reliance")


def run(params, args):
    """Write metrics/reliance.json and plots/reliance/effects.csv (the shared test set)."""
    check_backbone_names(params.backbones)
    truth = read_truth(args.truth)
    if truth is None:
        reason = "no twins: reliance needs the synthetic default's ground truth"
        log.info("skipped: %s", reason)
        write_json(args.metrics, {"skipped": reason})
        write_csv(Path(args.plots) / "effects.csv", pd.DataFrame({"architecture": [], "image_id": []}))
        return
    manifest = read_manifest(args.manifest, rating_range=params.data.rating_range).set_index("image_id")
    ids = explanation_ids(pd.read_csv(args.splits, dtype={"image_id": str}), params.train.scheme, None)
    report = {"label": SYNTHETIC_LABEL, "relying_on_artifact": [],
              "sign": "effects = prediction on the twin minus on the image; partial r < 0 = tracks the artifact",
              "architectures": {}}
    frames = []
    device = resolve_device(params.compute)
    for name in params.backbones.names:
        backbone = create_backbone(name, weights_for(name, params.backbones, Path(args.pretrained)))
        variants = load_variants(backbone, Path(args.heads), params.train.seeds)
        pred = predict_images(variants, load_images(manifest.loc[ids, "path"].tolist(), backbone.spec), device=device)
        twins = {t: predict_images(variants, load_images([str(twin_path(args.dataset, t, i)) for i in ids],
                                                         backbone.spec), device=device) for t in TWINS}
        strength = truth.loc[ids, "artifact_strength"].to_numpy()
        badness = truth.loc[ids, "global_badness"].to_numpy()
        entry = reliance(pred, twins["no_artifact"], twins["no_degradation"], strength, badness)
        report["architectures"][name] = entry
        if entry["relies_on_artifact"]:
            report["relying_on_artifact"].append(name)
        frames.append(effects_table(name, ids, pred, twins["no_artifact"], twins["no_degradation"], truth))
        log.info("%s: partial r(artifact | degradation) = %.3f, artifact effect %.2f", name,
                 entry["partial_r_artifact_given_degradation"], entry["artifact_effect_mean"])
    report["n_relying_on_artifact"] = len(report["relying_on_artifact"])
    write_csv(Path(args.plots) / "effects.csv", pd.concat(frames, ignore_index=True))
    write_json(args.metrics, report)


main = stage(run, "--manifest", "--splits", "--truth", "--dataset", "--pretrained", "--heads", "--metrics",
             "--plots")

if __name__ == "__main__":
    main()
