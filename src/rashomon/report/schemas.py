"""Every metrics file (metrics/<name>.json) and its schema, each defined beside the stage that
writes it: what the report and the tests check what they read against."""

from typing import Any

from rashomon.attribution.explain_schema import ExplainMetrics
from rashomon.consistency.consistency_schema import ConsistencyMetrics
from rashomon.counterfactual.counterfactual_schema import CounterfactualMetrics
from rashomon.data.filter_schema import FilterMetrics
from rashomon.data.split_schema import SplitMetrics
from rashomon.ensemble.ensemble_schema import EnsembleMetrics
from rashomon.generative.generator_schema import GeneratorMetrics
from rashomon.groundtruth.controls_schema import ControlsMetrics
from rashomon.groundtruth.groundtruth_schema import GroundtruthMetrics
from rashomon.groundtruth.sanity_schema import SanityMetrics
from rashomon.heads.features_schema import FeaturesMetrics
from rashomon.heads.pretrain_schema import PretrainMetrics
from rashomon.heads.train_schema import TrainMetrics
from rashomon.idsds.idsds_finetune_schema import IdsdsFinetuneMetrics
from rashomon.idsds.idsds_score_schema import IdsdsMetrics
from rashomon.psychometrics.reliability_schema import ReliabilityMetrics
from rashomon.variants.prune_schema import PruneMetrics
from rashomon.variants.reliance_schema import RelianceMetrics

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
