"""Stage ingest: read the dataset named in params.data into validated tables."""

import rashomon.core.pin_kernels  # noqa: F401  first: pins CPU kernels before numpy/torch load (docs/reproducibility.md)

from rashomon.core.cli import stage
from rashomon.core.io import atomic_path, write_csv
from rashomon.data.cue_maps import CueMapWriter
from rashomon.data.ingest_params import IngestParams
from rashomon.data.sources import ingest


def run(params, args):
    """Write data/manifest.csv, data/images.csv (a content hash per image), and
    data/ratings_long.csv and data/truth.csv (header only when the dataset has none) and the
    cue-map store data/cue_maps (human heatmaps; an empty index when the dataset has none);
    ids that look like paths, images outside data.root, below data.min_image_side or
    undecodable are refused first."""
    with atomic_path(args.cue_maps, is_dir=True) as folder:
        writer = CueMapWriter(folder)
        dataset = ingest(params.data, writer)
        writer.close()
    write_csv(args.images, dataset.images)
    write_csv(args.ratings, dataset.ratings_long)
    write_csv(args.truth, dataset.truth)
    write_csv(args.out, dataset.manifest)


main = stage(run, "--out", "--images", "--ratings", "--truth", "--cue-maps", params=IngestParams)

if __name__ == "__main__":
    main()
