"""Stage synthesize: write the embedded default dataset (AIGCIQA2023 format + truth)."""

import rashomon.core.pin_kernels  # noqa: F401  first: pins CPU kernels before numpy/torch load (docs/reproducibility.md)

from rashomon.core.cli import stage
from rashomon.data.synthetic import generate
from rashomon.params import Params


def run(params, args):
    """Generate the synthetic authenticity dataset."""
    generate(args.out, params.synthetic)


main = stage(run, "--out", params=Params)

if __name__ == "__main__":
    main()
