"""Attribution methods behind one signature (captum-style), for scalar regression outputs.

    attribute(method, images, variants, **options) -> Attribution(maps (N, K, H, W), info)

`images` are normalised model inputs; `variants` is a VariantSet (every head and pruned
variant of one architecture). Each method computes the expensive shared part once for
all K variants: Grad-CAM starts from (cached) stem outputs and runs only the tail;
MPM and LIME push each perturbed image through the stem once and score every variant.
Maps are signed and in the rating's units per pixel (Grad-CAM: activation x gradient).

Why our own and not captum: captum's Occlusion spreads a window's effect over every
pixel it covers (MPM assigns it to the centre pixel), its Lime fits one surrogate per
example and output (K variants = K stem passes), and neither reuses a shared stem.
Agreement with captum is measured in tests and benchmarks.
"""

from rashomon.attribution.registry import METHODS, Attribution, attribute  # noqa: F401
from rashomon.attribution import counterfactual, gradcam, lime, mpm  # noqa: F401,E402  (register the methods)
