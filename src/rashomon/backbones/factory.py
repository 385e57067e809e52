"""The one factory: a registered architecture built and, given a local file, loaded with weights."""

from __future__ import annotations

from pathlib import Path

from rashomon.backbones.registry import Backbone, get_spec
from rashomon.backbones.weights import load_weights


def create_backbone(name: str, weights: str | Path | None = None) -> Backbone:
    """Build architecture `name`; load `weights` (a local state-dict file) if given."""
    spec = get_spec(name)
    model = spec.build()
    if weights is not None:
        load_weights(model, spec, Path(weights))
    return Backbone(spec, model)
