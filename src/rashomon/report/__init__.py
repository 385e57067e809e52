"""The self-contained HTML report: every figure embedded, no script or style fetched."""
