"""Stage explain_figures: per image, the image and each architecture's prototype map per method."""

import rashomon.core.pin_kernels  # noqa: F401  first: pins CPU kernels before numpy/torch load (docs/reproducibility.md)

from pathlib import Path

import numpy as np

from rashomon.attribution.explain_params import ExplainFiguresParams
from rashomon.attribution.figures import figure, prototype
from rashomon.attribution.runner import load_maps
from rashomon.backbones import input_grids
from rashomon.backbones.geometry import common_of, mask_on_grid, resample_maps
from rashomon.backbones.preprocess import denormalise, load_images
from rashomon.core.cli import stage
from rashomon.core.io import atomic_path
from rashomon.data.cue_maps import CueMapStore
from rashomon.data.manifest import check_image_hashes, read_manifest, safe_filename, sorted_ids


def run(params, args):
    """Write plots/explain/{image_id}.png (a hostile id's name made safe) for the first
    `explain.n_figures` explained images."""
    methods, names = params.explain.methods, params.backbones.names
    loaded = {m: {a: load_maps(Path(args.explanations) / m / f"{a}.npz") for a in names} for m in methods}
    shared = set.intersection(*[set(loaded[m][names[0]]["image_ids"]) for m in methods])
    ids = sorted_ids(shared)[: params.explain.n_figures]
    manifest = read_manifest(args.manifest, rating_range=params.data.rating_range).set_index("image_id")
    cues = CueMapStore(Path(args.cue_maps))   # the artifact masks or human heatmaps, where the data has them
    check_image_hashes(manifest.loc[ids].reset_index(), args.images)
    grids = input_grids(names)
    common = common_of(grids.values())   # every architecture's map over the same pixels
    with atomic_path(args.out, is_dir=True) as tmp:
        for image_id in ids:
            protos = {m: {a: resample_maps(prototype(loaded[m][a], image_id), grids[a], common) for a in names}
                      for m in methods}
            rgb = denormalise(load_images([manifest.loc[image_id, "path"]], common))[0]
            mask = cues.heat(image_id) if image_id in cues else None
            if mask is not None and mask.shape != rgb.shape[:2]:   # an image-space mask, cut like the image
                mask = mask_on_grid(mask, common).astype(np.float32)
            title = f"image {image_id}: authenticity {manifest.loc[image_id, 'authenticity']:.1f}" + \
                (" (yellow: artifact)" if mask is not None else "")
            figure(rgb, protos, title, tmp / f"{safe_filename(image_id)}.png", mask)


main = stage(run, "--manifest", "--images", "--cue-maps", "--explanations", "--out", params=ExplainFiguresParams)

if __name__ == "__main__":
    main()
