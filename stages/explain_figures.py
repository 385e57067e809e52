"""Stage explain_figures: per image, the image and each architecture's prototype map per method."""

from pathlib import Path

import numpy as np
import pandas as pd

from rashomon.attribution import denormalise
from rashomon.backbones import get_spec
from rashomon.cli import stage
from rashomon.data.images import load_mask
from rashomon.explain import figure
from rashomon.features import load_images
from rashomon.io import atomic_path


def run(params, args):
    """Write plots/explain/{image_id}.png for the first `explain.n_figures` explained images."""
    methods = params["explain"]["methods"]
    names = params["backbones"]["names"]
    loaded = {m: {a: np.load(Path(args.explanations) / m / f"{a}.npz") for a in names} for m in methods}
    shared = set.intersection(*[set(loaded[m][names[0]]["image_ids"]) for m in methods])
    ids = sorted(shared, key=lambda s: (len(s), s))[: int(params["explain"]["n_figures"])]
    manifest = pd.read_csv(args.manifest, dtype={"image_id": str}).set_index("image_id")
    truth = Path(params["data"]["root"]) / "truth.csv"
    masks = pd.read_csv(truth, dtype={"image_id": str}).set_index("image_id")["mask_path"] if truth.is_file() else None
    with atomic_path(args.out, is_dir=True) as tmp:
        for image_id in ids:
            protos = {}
            for m in methods:
                protos[m] = {}
                for a in names:
                    data = loaded[m][a]
                    row = list(data["image_ids"]).index(image_id)
                    protos[m][a] = data["maps"][row].astype(np.float32).mean(0)
            rgb = denormalise(load_images([manifest.loc[image_id, "path"]], get_spec(names[0])))[0]
            mask = load_mask(masks.loc[image_id]) if masks is not None else None
            title = f"image {image_id}: authenticity {manifest.loc[image_id, 'authenticity']:.1f} (yellow: artifact)"
            figure(rgb, protos, title, tmp / f"{image_id}.png", mask)


main = stage(run, ("--manifest", {"default": "data/manifest_kept.csv"}),
             ("--explanations", {"default": "data/explanations"}),
             ("--out", {"default": "plots/explain"}))

if __name__ == "__main__":
    main()
