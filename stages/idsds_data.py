"""Stage idsds_data: the embedded default's SYNTHETIC classification set in CIFAR-100 pickle format."""

import rashomon.core.pin_kernels  # noqa: F401  first: pins CPU kernels before numpy/torch load (docs/reproducibility.md)

from rashomon.core.cli import stage
from rashomon.idsds.cifar import make_synthetic_cifar
from rashomon.idsds.idsds_params import IdsdsParams


def run(params, args):
    """Write data/idsds_synthetic/cifar-100-python/{train,test,meta}."""
    cfg = params.idsds.synthetic
    make_synthetic_cifar(args.out, cfg.n_train, cfg.n_test, cfg.seed)


main = stage(run, "--out", params=IdsdsParams)

if __name__ == "__main__":
    main()
