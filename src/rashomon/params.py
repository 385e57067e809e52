"""Every section of params.yaml at once, each typed by the module of the stage that owns it.
Each stage parses only its own params class, so a typo stops the first stage that reads its
section; synthesize checks every section (a fresh `dvc repro` stops before any work), and so
does `python -m rashomon.params [params.yaml]`, quick to run before `dvc exp run -S ...`
(a sweep reruns only the stages whose params changed)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

from rashomon.consistency.consistency_params import ConsistencyConfig
from rashomon.core.config import (
    BackbonesConfig,
    ComputeConfig,
    DataConfig,
    Determinism,
    ExplainConfig,
    InferenceConfig,
    TrainConfig,
    load_params,
)
from rashomon.core.errors import InputError
from rashomon.counterfactual.counterfactual_params import CounterfactualConfig
from rashomon.data.filter_params import FilterConfig
from rashomon.data.split_params import SplitConfig
from rashomon.data.synthesize_params import SyntheticConfig
from rashomon.ensemble.ensemble_params import EnsembleConfig
from rashomon.groundtruth.controls_params import ControlsConfig
from rashomon.groundtruth.groundtruth_params import GroundtruthConfig
from rashomon.groundtruth.sanity_params import SanityConfig
from rashomon.heads.pretrain_params import PretrainConfig
from rashomon.heads.train_params import RashomonSetConfig, check_seeds_fit_splits
from rashomon.idsds.idsds_params import IdsdsConfig
from rashomon.psychometrics.reliability_params import ReliabilityConfig
from rashomon.variants.prune_params import PruneConfig


@dataclass(frozen=True)
class Params:
    data: DataConfig
    synthetic: SyntheticConfig
    filter: FilterConfig
    reliability: ReliabilityConfig
    split: SplitConfig
    backbones: BackbonesConfig
    pretrain: PretrainConfig
    train: TrainConfig
    rashomon_set: RashomonSetConfig
    prune: PruneConfig
    explain: ExplainConfig
    ensemble: EnsembleConfig
    consistency: ConsistencyConfig
    groundtruth: GroundtruthConfig
    sanity: SanityConfig
    counterfactual: CounterfactualConfig
    idsds: IdsdsConfig
    compute: ComputeConfig
    inference: InferenceConfig
    controls: ControlsConfig
    determinism: Determinism

    def __post_init__(self) -> None:
        check_seeds_fit_splits(self.train, self.split)


def load_all_params(path: str | os.PathLike = "params.yaml") -> Params:
    """Read and check the whole params file."""
    return load_params(Params, path)


def main(argv: list[str]) -> int:
    """Check a params file's every section: one line, exit 0 or 2."""
    path = argv[0] if argv else "params.yaml"
    try:
        load_all_params(path)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{path}: every section checked")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
