"""Stage report: one self-contained HTML page a reviewer can open offline or mail."""

import rashomon.core.pin_kernels  # noqa: F401  first: pins CPU kernels before numpy/torch load (docs/reproducibility.md)

from pathlib import Path

from rashomon.core.cli import stage
from rashomon.core.io import atomic_path
from rashomon.report.build import DataSource, build_page, load_metrics
from rashomon.report.report_params import ReportParams


def run(params, args):
    """Write report/rashomon.html from whatever metrics/*.json exist and the figures under plots/."""
    data = DataSource(params.data.source, params.data.root, params.idsds.data)
    html = build_page(load_metrics(Path(args.metrics)), Path(args.plots), data)
    with atomic_path(args.out) as tmp:
        tmp.write_text(html, encoding="utf-8")


main = stage(run, "--metrics", "--plots", "--out", params=ReportParams)

if __name__ == "__main__":
    main()
