"""Attribution methods behind one signature (captum-style), for scalar regression outputs.

    METHODS.get(name)(options).attribute(Inputs(images, stem_outputs), model) -> Attribution
    attribute(name, images, model, **options)          # the same, as one call

Each method is a class in `attribution/methods/` (one module each, registered with
`@register_method`), built from its typed options; `images` are normalised model inputs;
`model` is a ScoredModel (a VariantSet: every head and pruned variant of one architecture,
or a BaggedEnsemble). Each method computes the expensive shared part once for
all K variants: Grad-CAM starts from (cached) stem outputs and runs only the tail;
MPM and LIME push each perturbed image through the stem once and score every variant.
Maps are signed and in the rating's units per pixel (Grad-CAM: activation x gradient).

Why our own and not captum: captum's Occlusion spreads a window's effect over every
pixel it covers (MPM assigns it to the centre pixel), its Lime fits one surrogate per
example and output (K variants = K stem passes), and neither reuses a shared stem.
Agreement with captum is measured in tests and benchmarks.
"""

from rashomon.attribution.method import (  # noqa: F401
    METHODS, Attribution, AttributionMethod, Inputs, attribute, build_method, register_method,
)
from rashomon.attribution import methods  # noqa: F401,E402  (registers every method)
