"""Stage ingest: read the dataset named in params.data into validated tables."""

import rashomon.core.pin_kernels  # noqa: F401  first: pins CPU kernels before numpy/torch load (docs/reproducibility.md)

from rashomon.core.cli import stage
from rashomon.data.sources import ingest
from rashomon.core.io import write_csv


def run(params, args):
    """Write data/manifest.csv, data/images.csv (a content hash per image), and
    data/ratings_long.csv and data/truth.csv (header only when the dataset has none); ids
    that look like paths, images outside data.root, below data.min_image_side or
    undecodable are refused first."""
    dataset = ingest(params.data)
    write_csv(args.images, dataset.images)
    write_csv(args.ratings, dataset.ratings_long)
    write_csv(args.truth, dataset.truth)
    write_csv(args.out, dataset.manifest)


main = stage(run, "--out", "--images", "--ratings", "--truth")

if __name__ == "__main__":
    main()
