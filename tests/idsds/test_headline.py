"""One model's line in metrics/idsds.json, from a score table whose answer is known by hand."""

import pytest
from scipy import stats

from rashomon.idsds.scoring import headline


def table(means: dict[str, float], principled: set[str]) -> dict:
    return {m: {"mean": v, "principled": m in principled} for m, v in means.items()}


def test_the_headline_names_the_best_method_and_dummy_and_every_dummy_that_outranks():
    principled = {"IG", "Gradient", "Grad-CAM"}
    logit = table({"IG": 0.7, "Gradient": 0.1, "Grad-CAM": 0.4, "Edge-Sobel": 0.3, "Dummy-Random": -0.1}, principled)
    softmax = table({"IG": 0.2, "Gradient": 0.5, "Grad-CAM": 0.4, "Edge-Sobel": 0.1, "Dummy-Random": 0.0}, principled)
    entry, warnings, order = headline({"logit": logit, "softmax": softmax}, "logit")
    assert order == ["IG", "Grad-CAM", "Edge-Sobel", "Gradient", "Dummy-Random"]
    assert entry["best_method"] == "IG" and entry["best_score"] == 0.7
    assert entry["best_dummy"] == "Edge-Sobel" and entry["best_dummy_score"] == 0.3
    assert warnings == [{"dummy": "Edge-Sobel", "principled": "Gradient", "dummy_score": 0.3, "principled_score": 0.1}]
    assert entry["n_dummy_outranks_principled"] == 1 and entry["reliability_warning"] is True
    names = list(logit)
    tau = stats.kendalltau([logit[m]["mean"] for m in names], [softmax[m]["mean"] for m in names]).statistic
    assert entry["kendall_tau_logit_vs_softmax"] == pytest.approx(tau)


def test_one_output_has_no_rank_change_and_an_all_nan_side_is_undefined():
    scores = table({"IG": float("nan"), "Edge-Sobel": 0.3}, {"IG"})
    entry, warnings, _ = headline({"logit": scores}, "logit")
    assert entry["kendall_tau_logit_vs_softmax"] is None
    assert entry["reliability_warning"] is None and entry["best_dummy"] == "Edge-Sobel"


def test_a_finetuned_model_loads_from_tensors_only_in_eval_mode(tmp_path):
    import torch

    from rashomon.idsds.models import create_cifar_model, load_finetuned
    torch.manual_seed(0)
    saved = create_cifar_model("resnet20", 10)
    torch.save(saved.state_dict(), tmp_path / "resnet20_finetuned.pt")
    loaded = load_finetuned(tmp_path, "resnet20", 10, 1.0)
    assert not loaded.training
    assert all(torch.equal(a, b) for a, b in zip(saved.state_dict().values(), loaded.state_dict().values()))
