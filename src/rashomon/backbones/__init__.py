"""Frozen backbones: one registry, one factory, each model split into stem and tail.

`create_backbone(name, weights)` returns a `Backbone` whose `stem(x)` runs the image up
to the Grad-CAM target layer and returns `(target_activation, *side_inputs)`, and whose
`tail(target, *side)` finishes the pooled embedding. Caching the stem's outputs lets
training, pruning and Grad-CAM run the tail alone, never the stem again.
"""

from rashomon.backbones.factory import create_backbone  # noqa: F401
from rashomon.backbones.registry import (  # noqa: F401
    Backbone, BackboneSpec, get_spec, input_grids, list_backbones, register,
)
from rashomon.backbones import families, small, study  # noqa: F401,E402  (register families and architectures)
