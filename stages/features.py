"""Stage features: one frozen-backbone pass per kept image; cache activations + embeddings."""

import rashomon.core.pin_kernels  # noqa: F401  first: pins CPU kernels before numpy/torch load (docs/reproducibility.md)

from pathlib import Path

from rashomon.backbones import create_backbone
from rashomon.backbones.weights import check_backbone_names, weights_for
from rashomon.core.cli import stage
from rashomon.core.device import resolve_device
from rashomon.core.io import atomic_path
from rashomon.core.metrics import write_metrics
from rashomon.data.manifest import check_image_hashes, manifest_hash, read_manifest
from rashomon.heads.features import extract_features
from rashomon.heads.features_params import FeaturesParams
from rashomon.heads.features_schema import FeaturesMetrics


def run(params, args):
    """Write data/features/{arch}/ for every configured backbone."""
    cfg = params.backbones
    check_backbone_names(cfg)
    manifest = read_manifest(args.manifest, rating_range=params.data.rating_range, check_images=True)
    check_image_hashes(manifest, args.images)
    digest = manifest_hash(manifest)
    device = resolve_device(params.compute)
    report = {}
    with atomic_path(args.out, is_dir=True) as tmp:
        for name in cfg.names:
            backbone = create_backbone(name, weights_for(name, cfg, Path(args.pretrained)))
            meta = extract_features(backbone, manifest["image_id"].tolist(), manifest["path"].tolist(),
                                    tmp / name, digest, cfg.batch_size, cfg.cache_dtype, device=device)
            report[name] = {"cache_max_relative_error": meta["cache_max_relative_error"],
                            "n_images": len(meta["image_ids"])}
    write_metrics(args.metrics, report, FeaturesMetrics)


main = stage(run, "--manifest", "--images", "--pretrained", "--out", "--metrics", params=FeaturesParams)

if __name__ == "__main__":
    main()
