"""One schema per metrics file (metrics/<name>.json): what its stage writes, what the report
and the tests may read. Name-keyed maps (architectures, methods, dimensions) are
`dict[str, ...]`; keys that only some data or settings produce are NotRequired; every float
may be null (undefined). (No `from __future__ import annotations` here: TypedDict must see
NotRequired at class creation.)"""

from typing import Any, NotRequired, TypedDict


class Skipped(TypedDict):
    """A stage that had nothing to measure on this data says why (e.g. no twins on real data)."""
    skipped: str


class PairedDifference(TypedDict):
    """a - b over the n images where both are defined: mean, 95% interval, two-sided p."""
    difference: float
    ci_low: float
    ci_high: float
    p: float
    n: int
    permutations: int | str      # "exact" (every sign flip) or how many random ones


# --- ratings ---------------------------------------------------------------------------------------

class Test(TypedDict):
    t: float
    p: float
    cohens_dz: float


class FilterMetrics(TypedDict):
    n_images: int
    kept: int
    removed: int
    kept_prompts: int
    removed_by_challenge: dict[str, int]
    per_rater: NotRequired[str]                                  # why the rater tests were skipped
    removed_vs_kept_per_rater: NotRequired[dict[str, Test]]


class SplitHalf(TypedDict):
    split_half_r: float
    spearman_brown: float
    noise_ceiling: float
    n_raters: int
    n_images: int


class TrueCeiling(TypedDict):
    true_noise_ceiling: float
    measured_noise_ceiling: float
    abs_error: float


class ReliabilityMetrics(TypedDict):
    n_images: int
    quality_authenticity_pearson: float
    bimodality_delta_bic: dict[str, float]
    mean_sd_pearson: dict[str, float]
    per_rater_data: bool
    recipe: NotRequired[str]
    skipped: NotRequired[str]
    split_half: NotRequired[dict[str, SplitHalf]]
    noise_ceiling: dict[str, float]
    noise_ceiling_source: str
    label: NotRequired[str]
    synthetic_truth: NotRequired[dict[str, TrueCeiling]]


# --- models ----------------------------------------------------------------------------------------

class PretrainArchitecture(TypedDict):
    mode: str
    best_epoch: int
    best_val_loss: float
    linear_probe_accuracy: float


class PretrainMetrics(TypedDict):
    label: str
    chance: float
    architectures: dict[str, PretrainArchitecture]


class FeaturesArchitecture(TypedDict):
    cache_max_relative_error: float
    n_images: int


class TrainArchitecture(TypedDict):
    plcc_mean: float
    plcc_sd: float
    model_reliability: float
    partial_authenticity_given_quality: float


class TrainMetrics(TypedDict):
    best_architecture: str
    best_plcc: float
    best_plcc_over_noise_ceiling: float
    noise_ceiling: float
    sd: str
    architectures: dict[str, TrainArchitecture]
    label: NotRequired[str]


class PruneArchitecture(TypedDict):
    channels_removed_mean: float
    channels_removed: list[int]
    baseline_plcc: float
    pruned_plcc: float
    baseline_rmse: float
    pruned_rmse: float


PruneMetrics = dict[str, str | PruneArchitecture]   # fit_on, then one entry per architecture


class RelianceArchitecture(TypedDict):
    n_images: int
    n_artifact_images: int
    artifact_effect_mean: float
    artifact_effect_p: float
    artifact_effect_ci_low: float        # 95% interval over the artifact images
    artifact_effect_ci_high: float
    degradation_effect_mean: float
    r2_artifact_visibility: float
    r2_degradation: float
    partial_r_artifact_given_degradation: float
    partial_p: float
    variants_relying_on_artifact: int
    relies_on_artifact: bool | None


class RelianceResult(TypedDict):
    label: str
    relying_on_artifact: list[str]
    sign: str
    architectures: dict[str, RelianceArchitecture]
    n_relying_on_artifact: int


# --- explanations ----------------------------------------------------------------------------------

class ExplainMetrics(TypedDict):
    method: str
    n_images: int
    pruned_variants: bool
    architectures: dict[str, dict[str, float]]   # within_architecture_consistency and the method's own summary
    target_layer: NotRequired[str]


class Agreement(TypedDict):
    pearson: float


class MethodConsistency(TypedDict):
    within: dict[str, dict[str, float]]          # per architecture: pearson, iou<p>
    across: dict[str, float]                     # pearson, iou<p>, the disagreement metrics' agreements
    within_mean_pearson: float
    across_mean_pearson: float
    within_minus_across: PairedDifference      # per image: mean within Pearson - mean across Pearson
    within_exceeds_across: bool | None
    undefined: dict[str, str]
    prototype_reliability: dict[str, float]      # split-half over variants, Spearman-Brown: the map ceiling
    across_over_ceiling: dict[str, float]        # "<a>/<b>": across Pearson / sqrt(rel_a x rel_b)
    ensemble_vs_architectures_pearson: NotRequired[dict[str, float]]


class Behaviour(TypedDict):
    prediction_similarity: float
    rsm_similarity: float


class Relation(TypedDict):
    r: float
    p: float


class ConsistencyMetrics(TypedDict):
    percents: list[float]
    methods: dict[str, MethodConsistency]
    behaviour: dict[str, Behaviour]
    relations: dict[str, Relation]               # "<method>/<architecture>/<set>/<versus>"


class Scores(TypedDict):
    rmse: float
    plcc: float
    srcc: float


class BestSingle(TypedDict):
    architecture: str | None
    plcc: float


class Gain(TypedDict):
    """An ensemble's PLCC minus the best single architecture's (mean over its variants), 95% interval."""
    difference: float
    ci_low: float
    ci_high: float
    n: int


class EnsembleMetrics(TypedDict):
    n_test_images: int
    members: int
    bagging: Scores
    stacking: Scores
    stacking_weights: dict[str, float]
    best_single: BestSingle
    mean_single_plcc: float
    attribution: dict[str, float]                # n_images, each method's summary, <a>_vs_<b>_pearson_mean
    undefined: dict[str, str]
    bagging_beats_best_single: bool | None
    stacking_beats_best_single: bool | None
    bagging_minus_best_single_plcc: NotRequired[Gain]
    stacking_minus_best_single_plcc: NotRequired[Gain]


class EditSummary(TypedDict):
    success_rate: float
    n_failed: int
    achieved_change_mean: float
    edit_size_mean: float


class TwinCosine(TypedDict):
    mean_model: float
    n_images: int
    variants: NotRequired[float]


class CounterfactualModel(TypedDict):
    variants: dict[str, EditSummary] | None      # lower / raise; None for the ensemble
    mean_model: dict[str, EditSummary]
    within_architecture_consistency: NotRequired[float]
    agreement_with: NotRequired[dict[str, float]]
    raise_edit_vs_twin_cosine: NotRequired[TwinCosine]


class Overall(TypedDict):
    success_rate: float
    n_edits: int
    n_failed: int
    edit_size_mean: float


class CounterfactualMetrics(TypedDict):
    n_images: int
    target_change: float
    tolerance: float
    edit_size: str
    map_sign: str
    architectures: dict[str, CounterfactualModel]
    overall: Overall
    skipped: NotRequired[dict[str, str]]


class HeldOut(TypedDict):
    psnr_db_mean: float
    ssim_mean: float
    psnr_db_min: float


class GeneratorMetrics(TypedDict):
    family: str
    image_size: int
    n_train: int
    n_val: int
    n_test: int
    best_epoch: NotRequired[int]
    best_val_mse: NotRequired[float]
    latent_shape: NotRequired[list[int]]
    held_out: HeldOut


# --- ground truth and sanity -----------------------------------------------------------------------

class Localisation(TypedDict):
    auroc: float
    auroc_abs: float
    mass: float
    pointing: float
    rank: float
    n_images: int
    n_undefined_auroc: int
    auroc_ci_low: float          # 95% interval over images (rashomon.inference)
    auroc_ci_high: float


class TwinAgreement(TypedDict):
    rho: float
    p: float
    n: int
    permutations: int | str      # "exact" (every ordering) or how many random ones


class Deletion(TypedDict):
    auc_map_order: float
    auc_random_order: float
    gain: float
    share_images_better_than_random: float


class GroundtruthArchitecture(Localisation):
    variant_auroc_mean: NotRequired[float]
    variant_auroc_sd: NotRequired[float]
    twin_agreement: NotRequired[TwinAgreement]
    deletion: NotRequired[Deletion | None]   # None for the ensemble (no single backbone to delete through)
    raise_edit_vs_twin_cosine: NotRequired[float]


class GroundtruthMethod(TypedDict):
    architectures: dict[str, GroundtruthArchitecture]
    references: dict[str, float]
    best_auroc: dict[str, Any]
    vs_gaussian: PairedDifference
    vs_sobel: PairedDifference
    beats_gaussian: bool | None
    beats_sobel: bool | None
    undefined: dict[str, str]


class GroundtruthResult(TypedDict):
    label: str
    cue_score: str
    methods: dict[str, GroundtruthMethod]
    references: dict[str, Localisation]
    heatmap: "HumanGroundtruthResult"    # the same maps through the continuous (human-heatmap) path


class Estimate(TypedDict):
    """A mean over n images with its 95% interval."""
    value: float
    ci_low: float
    ci_high: float
    n: int


class ControlsKind(TypedDict):
    cue_only: Estimate                   # on this kind of artifact's images only
    cue_blind: Estimate
    study_target: Estimate
    detector: NotRequired[Estimate]
    detector_minus_gaussian: NotRequired[PairedDifference]
    detector_beats_gaussian: NotRequired[bool | None]


class ControlsEntry(TypedDict):
    cue_only: Estimate                   # prototype AUROC of heads fitted to the artifact alone
    cue_blind: Estimate                  # ... to the global degradation alone
    study_target: Estimate               # ... to the study's target (unpruned, same code)
    discrimination: PairedDifference     # cue_only - cue_blind AUROC, paired over images
    separates: bool | None
    positive_minus_gaussian: PairedDifference
    detector: NotRequired[Estimate]                     # the end-to-end cue detector's prototype AUROC
    detector_minus_gaussian: NotRequired[PairedDifference]
    detector_beats_gaussian: NotRequired[bool | None]
    by_kind: dict[str, ControlsKind]     # the same scores per kind of artifact (checkerboard, colour shift, ...)


class ControlsMethod(TypedDict):
    architectures: dict[str, ControlsEntry]
    separates_on: list[str]
    credited: bool | None                # separates the controls on at least one architecture
    finds_detector_cue_on: NotRequired[list[str]]   # where its map of the detector beats the centred Gaussian
    finds_detector_cue: NotRequired[bool | None]
    finds_detector_cue_by_kind: NotRequired[dict[str, bool | None]]   # per kind of artifact, on any architecture


class KindEffect(TypedDict):
    """The twin effect of removing one kind of artifact (no-artifact twin minus image, the models' mean)."""
    value: float
    ci_low: float
    ci_high: float
    n: int
    uses_it: bool | None                 # interval above 0
    mean_visibility: float               # of these images (the cue-only target's units: -visibility)


class ControlsReliance(RelianceArchitecture):
    artifact_effect_by_kind: dict[str, KindEffect]


class ControlsResult(TypedDict):
    label: str
    controls: dict[str, str]
    n_images: int
    n_images_by_kind: dict[str, int]     # the artifact images are balanced over kinds
    cue_score: str
    architectures: dict[str, dict[str, float]]   # <control>_test_r (detector_test_r: one per family)
    reliance: dict[str, dict[str, ControlsReliance]]   # per architecture and control: the twins' verdict
    methods: dict[str, ControlsMethod]


class SanityMethod(TypedDict):
    spearman_after_full_randomisation: float
    ssim_after_full_randomisation: float
    spearman_shuffled_ratings: float
    passes: bool | None
    undefined: dict[str, str]


class SanityMetrics(TypedDict):
    rule: str
    n_images: int
    methods: dict[str, SanityMethod]


# --- IDSDS -----------------------------------------------------------------------------------------

class IdsdsModel(TypedDict):
    output: str
    best_method: str | None             # None: not ranked (the model classifies at chance)
    best_score: float
    best_dummy: str | None
    best_dummy_score: float
    kendall_tau_logit_vs_softmax: float | None
    n_dummy_outranks_principled: int | None
    reliability_warning: bool | None
    accuracy_clean: float               # top-1 on the scored images, exact 95% interval
    accuracy_ci_low: float
    accuracy_ci_high: float
    chance: float
    ranked: bool                        # the interval lies above chance
    undefined: NotRequired[dict[str, str]]


class IdsdsMetrics(TypedDict):
    grid: int
    n_images: int
    transforms: list[str]
    deletion_mode: str
    models: dict[str, IdsdsModel]
    label: NotRequired[str]


class FinetuneModel(TypedDict):
    original: str
    accuracy_original_clean: float
    accuracy_original_deleted: float
    accuracy_finetuned_clean: float
    accuracy_finetuned_deleted: float
    softmax_mean_abs_diff: float
    gradcam_mean_abs_diff: float


class IdsdsFinetuneMetrics(TypedDict):
    deletion_mode: str
    checkpoint: str
    models: dict[str, FinetuneModel]
    label: NotRequired[str]


FeaturesMetrics = dict[str, FeaturesArchitecture]
SplitMetrics = dict[str, float]                 # "<scheme>/<subset>": image count
RelianceMetrics = RelianceResult | Skipped
class HumanScores(TypedDict):
    """Each saliency-benchmark score of one map kind over images: mean, 95% interval, n."""
    auroc: Estimate
    auc_judd: Estimate
    nss: Estimate
    cc: Estimate
    kl: Estimate
    sim: Estimate


class HumanMethod(TypedDict):
    architectures: dict[str, HumanScores]
    best: dict[str, Any]                  # architecture with the highest mean CC, the score, its value
    vs_gaussian: PairedDifference         # CC of the best prototype - the centred Gaussian's, paired over images
    vs_centre_prior: PairedDifference     # ... - the mean human map of the other images'
    beats_gaussian: bool | None
    beats_centre_prior: bool | None
    undefined: dict[str, str]


class CentrePriorVsGaussian(TypedDict):
    difference: PairedDifference
    beats: bool | None
    undefined: str


class HumanGroundtruthResult(TypedDict):
    """Ground truth from human heatmaps (RichHF-18K): prototype maps vs where people marked the problem."""
    label: str
    cue_score: str
    heatmaps: str
    methods: dict[str, HumanMethod]
    references: dict[str, HumanScores]
    n_images: int
    n_empty_heatmaps: int
    centre_prior_vs_gaussian: NotRequired[CentrePriorVsGaussian]


GroundtruthMetrics = GroundtruthResult | HumanGroundtruthResult | Skipped
ControlsMetrics = ControlsResult | Skipped

# metrics/<name>.json -> its schema (explain_<method>.json: ExplainMetrics)
SCHEMAS: dict[str, Any] = {
    "filter": FilterMetrics, "reliability": ReliabilityMetrics, "split": SplitMetrics, "pretrain": PretrainMetrics,
    "features": FeaturesMetrics, "train": TrainMetrics, "prune": PruneMetrics, "reliance": RelianceMetrics,
    "explain": ExplainMetrics, "consistency": ConsistencyMetrics, "ensemble": EnsembleMetrics,
    "counterfactual": CounterfactualMetrics, "generator": GeneratorMetrics, "groundtruth": GroundtruthMetrics,
    "controls": ControlsMetrics,
    "sanity": SanityMetrics, "idsds": IdsdsMetrics, "idsds_finetune": IdsdsFinetuneMetrics,
}


def schema_for(path_or_name: str) -> Any:
    """The schema of metrics file `metrics/<name>.json` (or of `<name>`)."""
    name = path_or_name.rsplit("/", 1)[-1].removesuffix(".json")
    return SCHEMAS["explain" if name.startswith("explain_") else name]
