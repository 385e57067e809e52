"""Running one attribution method over an architecture's variants, and the map store."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Protocol, Sequence

import numpy as np
import pandas as pd

from rashomon.attribution.method import METHODS, Attribution, AttributionMethod, Inputs
from rashomon.backbones import Backbone, create_backbone
from rashomon.backbones.weights import weights_for
from rashomon.data.explanation_order import RANK
from rashomon.data.manifest import sorted_ids
from rashomon.data.splits import shared_test_ids
from rashomon.core.config import BackbonesConfig, ExplainConfig, TrainConfig
from rashomon.backbones.preprocess import load_images
from rashomon.ensemble.combine import BaggedEnsemble
from rashomon.core.errors import InputError
from rashomon.heads.features import FeatureCache
from rashomon.core.io import write_npz
from rashomon.psychometrics.correlation import mean_pairwise_correlation
from rashomon.variants.variant_set import VariantSet, load_variants


class ModelParams(Protocol):
    """The sections that say which models a stage loads (any stage's params class that has them)."""

    backbones: BackbonesConfig
    train: TrainConfig


class ExplainedModelParams(ModelParams, Protocol):
    explain: ExplainConfig


def explanation_ids(splits: pd.DataFrame, scheme: str, n_images: int | None) -> list[str]:
    """The explanation set: the scheme's shared test images in the split stage's stratified random
    order (`explain_rank`; sorted ids for a splits table without it), the first `n_images` of it."""
    common = sorted_ids(shared_test_ids(splits, scheme))
    if not common:
        raise InputError(f"scheme {scheme!r} has no test image shared by all variants")
    if RANK in splits:
        test = splits[(splits.scheme == scheme) & (splits.subset == "test")]
        rank = test.drop_duplicates("image_id").set_index("image_id")[RANK]
        common = sorted(common, key=lambda i: int(rank[i]))
    return common if not n_images else common[: int(n_images)]


def _masked_variants(name: str, params: ModelParams, pretrained: Path, heads: Path,
                     masks_file: Path | None) -> VariantSet:
    """Architecture `name`'s (pre)trained backbone and every head, with the keep-masks in
    `masks_file` (None: unpruned)."""
    backbone = create_backbone(name, weights_for(name, params.backbones, pretrained))
    if masks_file is not None and not masks_file.is_file():
        raise InputError(f"{masks_file}: no pruning masks here (run `dvc repro` for the stage that writes it)")
    masks = np.load(masks_file)["masks"] if masks_file is not None else None
    return load_variants(backbone, heads, params.train.seeds, masks)


def explained_variants(name: str, params: ExplainedModelParams, pretrained: Path, heads: Path,
                       pruning: Path) -> VariantSet:
    """Architecture `name`'s variants as the explain stage explains them: the pruning
    stage's keep-masks when `explain.use_pruned`."""
    return _masked_variants(name, params, pretrained, heads, pruning / f"{name}.npz" if params.explain.use_pruned
                            else None)


def ensemble_from_masks(params: ModelParams, pretrained: Path, heads: Path, ensemble: Path) -> BaggedEnsemble:
    """The bagged ensemble as the ensemble stage built it: every architecture's heads with
    the keep-masks that SBS found on each variant's validation set (data/ensemble)."""
    return BaggedEnsemble([_masked_variants(name, params, pretrained, heads, ensemble / f"masks_{name}.npz")
                           for name in params.backbones.names])


def ensemble_maps_file(method: str, ensemble: Path, explanations: Path) -> Path:
    """Where the bagged ensemble's maps of `method` live: the ensemble stage's for methods
    explain runs, the method's own stage's otherwise."""
    return ensemble / f"{method}.npz" if METHODS.get(method).in_explain else explanations / method / "ensemble.npz"


def explain_architecture(method: AttributionMethod, backbone: Backbone, variants: VariantSet, cache: FeatureCache,
                         manifest: pd.DataFrame, ids: Sequence[str]) -> Attribution:
    """Maps (N, K, H, W) for `ids`: from the feature cache's stem outputs for methods that
    read them, from the image files otherwise."""
    missing = [i for i in ids if i not in manifest.index]
    if missing:
        raise InputError(f"explain: image(s) {missing[:5]} are not in the manifest")
    if method.reads == "stem":
        size = (backbone.spec.input_size,) * 2
        return method.attribute(Inputs(stem_outputs=cache.stem_outputs(ids), size=size), variants)
    images = load_images(manifest.loc[list(ids), "path"].tolist(), backbone.spec)
    return method.attribute(Inputs(images, ids=list(ids)), variants)


def within_consistency(maps: np.ndarray) -> np.ndarray:
    """Per image: mean of the pairwise Pearson correlations of the K variants' maps."""
    return np.array([mean_pairwise_correlation(per_image.reshape(per_image.shape[0], -1)) for per_image in maps])


def map_summary(method: AttributionMethod, result: Attribution) -> dict[str, float]:
    """One architecture's headline numbers for metrics/explain_<method>.json: within-architecture
    consistency, and what the method reports about itself (`summary`)."""
    return {"within_architecture_consistency": float(np.nanmean(within_consistency(result.maps))),
            **method.summary(result)}


def save_maps(path: Path, ids: Sequence[str], maps: np.ndarray, info: Mapping[str, Any]) -> None:
    """The map store: image ids, float16 maps (N, K, H, W) and array-valued extras."""
    extras = {k: np.asarray(v) for k, v in info.items() if isinstance(v, np.ndarray)}
    write_npz(path, image_ids=np.asarray(ids), maps=maps.astype(np.float16), **extras)


def load_maps(path: Path) -> dict[str, np.ndarray]:
    """A stored map file as a dict of arrays (clear error if absent)."""
    if not Path(path).is_file():
        raise InputError(f"{path}: no attribution maps here (run the explain stage)")
    with np.load(path) as data:
        return {k: data[k] for k in data.files}
