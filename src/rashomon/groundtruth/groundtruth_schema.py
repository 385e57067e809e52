"""Schema of metrics/groundtruth.json: what the groundtruth stage writes and the report reads.
(No `from __future__ import annotations`: TypedDict must see NotRequired at class creation.)"""

from typing import Any, NotRequired, TypedDict

from rashomon.core.metric_schemas import ClaimVerdict, Estimate, PairedDifference, Skipped


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
    best_auroc: dict[str, Any]            # picked on one half of the images (picked_on), tested on the other
    vs_gaussian: PairedDifference
    vs_sobel: PairedDifference
    vs_random: PairedDifference
    beats_gaussian: bool | None
    beats_sobel: bool | None
    beats_random: bool | None
    beats_references: ClaimVerdict        # beats every reference (the best), Holm over the methods
    undefined: dict[str, str]


class GroundtruthResult(TypedDict):
    label: str
    cue_score: str
    verdict_family: str
    methods: dict[str, GroundtruthMethod]
    references: dict[str, Localisation]
    heatmap: "HumanGroundtruthResult"    # the same maps through the continuous (human-heatmap) path


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
    best: dict[str, Any]                  # highest mean CC on one half of the images (picked_on); tested on the rest
    vs_gaussian: PairedDifference         # CC of the best prototype - the centred Gaussian's, paired over images
    vs_sobel: PairedDifference            # ... - the Sobel edge map's
    vs_centre_prior: PairedDifference     # ... - the mean human map of the other images'
    vs_random: PairedDifference
    beats_gaussian: bool | None
    beats_sobel: bool | None
    beats_centre_prior: bool | None
    beats_random: bool | None
    beats_references: ClaimVerdict        # beats every reference (the best), Holm over the methods
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
    verdict_family: str
    methods: dict[str, HumanMethod]
    references: dict[str, HumanScores]
    n_images: int
    n_empty_heatmaps: int
    centre_prior_vs_gaussian: NotRequired[CentrePriorVsGaussian]


GroundtruthMetrics = GroundtruthResult | HumanGroundtruthResult | Skipped
