import pandas as pd

from rashomon.groundtruth.figures import auroc_figure, auroc_summary


def test_the_summary_has_a_row_per_method_and_architecture_then_per_reference(tmp_path):
    report = {"methods": {"mpm": {"architectures": {"a": {"auroc": 0.6, "auroc_abs": 0.7},
                                                    "ensemble": {"auroc": 0.5, "auroc_abs": 0.55}}}},
              "references": {"sobel": {"auroc": 0.65, "auroc_abs": 0.66}}}
    summary = auroc_summary(report)
    assert summary.to_dict("records") == [
        {"label": "mpm / a", "kind": "mpm", "auroc": 0.6, "auroc_abs": 0.7},
        {"label": "mpm / ensemble", "kind": "mpm", "auroc": 0.5, "auroc_abs": 0.55},
        {"label": "reference: sobel", "kind": "reference", "auroc": 0.65, "auroc_abs": 0.66}]
    auroc_figure(summary, tmp_path / "auroc.png")
    assert (tmp_path / "auroc.png").stat().st_size > 1000 and isinstance(summary, pd.DataFrame)
