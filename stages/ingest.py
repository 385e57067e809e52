"""Stage ingest: read the dataset named in params.data into one validated manifest."""

from rashomon.cli import stage
from rashomon.data.sources import load_source
from rashomon.io import write_csv


def run(params, args):
    """Build data/manifest.csv from the configured source."""
    write_csv(args.out, load_source(params["data"]))


main = stage(run, ("--out", {"default": "data/manifest.csv"}))

if __name__ == "__main__":
    main()
