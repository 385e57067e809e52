import numpy as np
import pandas as pd
import pytest
import torch

from rashomon.backbones import create_backbone
from rashomon.data.aigciqa import load_aigciqa2023
from rashomon.data.manifest import manifest_hash
from rashomon.backbones.preprocess import load_images
from rashomon.data.synthetic import generate
from rashomon.core.errors import InputError
from rashomon.heads.features import FeatureCache, extract_features
from rashomon.heads.fitted import load_head, save_head
from rashomon.heads.metrics import model_reliability, prediction_metrics, quality_diagnostic, variant_ceiling
from rashomon.heads.training import fit_head as _fit_head
from rashomon.heads.training import train_variants
from tests.conftest import config


def fit_head(*arrays, **overrides):
    """fit_head with the study's settings unless overridden."""
    settings = dict(kind="study", seed=0, lr=1e-3, batch_size=64, max_epochs=250, patience=15, dropout=0.5)
    return _fit_head(*arrays, **{**settings, **overrides})


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("d")
    generate(root / "syn", config("synthetic", n_prompts=4, n_generators=2, seed=5))
    return root, load_aigciqa2023(root / "syn")


def test_feature_cache_matches_direct_pass_and_float16_error_is_small(tiny):
    root, m = tiny
    b = create_backbone("resnet_small")
    meta = extract_features(b, m["image_id"].tolist(), m["path"].tolist(), root / "cache", manifest_hash(m),
                            batch_size=7, dtype="float16")
    assert meta["cache_max_relative_error"] < 1e-2
    cache = FeatureCache(root / "cache", manifest_hash(m))
    ids = m["image_id"].tolist()[5:9]
    with torch.no_grad():
        direct = b(load_images(m.set_index("image_id").loc[ids, "path"].tolist(), b.spec)).numpy()
        from_cache = b.tail(*cache.stem_outputs(ids)).numpy()
    np.testing.assert_allclose(cache.embedding(ids), direct, rtol=1e-5, atol=1e-5)  # float32 embedding
    rel = np.abs(from_cache - direct).max() / np.abs(direct).max()
    assert rel < 1e-2  # tail from float16 activations
    assert np.load(root / "cache/target.npy", mmap_mode="r").dtype == np.float16


def test_a_cache_that_loses_the_activations_is_refused_and_float32_keeps_them(tiny):
    """Random EfficientNet-B3 weights give target activations of 1e-14, zero in float16."""
    root, m = tiny
    b = create_backbone("resnet_small")
    with torch.no_grad():
        for module in b.stem.modules():
            if isinstance(module, torch.nn.Conv2d):
                module.weight.mul_(1e-3)
    ids, paths = m["image_id"].tolist(), m["path"].tolist()
    with pytest.raises(InputError, match=r"tiny16: resnet_small's target-layer activations do not survive float16 "
                                         r".*set backbones.cache_dtype: float32"):
        extract_features(b, ids, paths, root / "tiny16", manifest_hash(m))
    assert not (root / "tiny16").exists()
    meta = extract_features(b, ids, paths, root / "tiny32", manifest_hash(m), dtype="float32")
    assert meta["cache_max_relative_error"] < 1e-5


def test_cache_for_another_image_set_is_refused(tiny):
    root, m = tiny
    b = create_backbone("efficientnet_small")
    extract_features(b, m["image_id"].tolist(), m["path"].tolist(), root / "c2", manifest_hash(m))
    with pytest.raises(InputError, match="different image set"):
        FeatureCache(root / "c2", manifest_hash(m.iloc[1:]))
    with pytest.raises(InputError, match="not in the feature cache"):
        FeatureCache(root / "c2").rows(["nope"])


def test_head_learns_a_linear_target_near_perfectly():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(900, 32)).astype(np.float32)
    y = x @ rng.normal(size=32) * 4 + 50
    fitted = fit_head(x[:600], y[:600], x[600:750], y[600:750], max_epochs=25, batch_size=128, seed=1)
    assert prediction_metrics(fitted.predict(x[750:]), y[750:])["plcc"] > 0.97


def test_training_is_deterministic_given_seed():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 8)).astype(np.float32)
    y = x[:, 0] * 3.0
    a = fit_head(x[:150], y[:150], x[150:], y[150:], max_epochs=5, seed=3).predict(x)
    b = fit_head(x[:150], y[:150], x[150:], y[150:], max_epochs=5, seed=3).predict(x)
    np.testing.assert_array_equal(a, b)


def test_nan_input_stops_with_the_variant_named():
    x = np.ones((100, 4), dtype=np.float32)
    x[3, 1] = np.nan
    with pytest.raises(InputError, match="training stopped: resnet_small variant 7: embeddings contain NaN"):
        fit_head(x[:80], np.ones(80), x[80:], np.ones(20), max_epochs=2, name="resnet_small variant 7")


def test_saved_head_predicts_the_same(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 16)).astype(np.float32)
    fitted = fit_head(x[:100], x[:100, 0] * 10 + 40, x[100:], x[100:, 0] * 10 + 40, max_epochs=3, kind="vgg")
    save_head(fitted, tmp_path / "h.pt", {"kind": "vgg"})
    np.testing.assert_allclose(load_head(tmp_path / "h.pt").predict(x), fitted.predict(x), rtol=1e-6)


def test_prediction_metrics_match_scipy():
    from scipy import stats
    rng = np.random.default_rng(1)
    p, t = rng.normal(size=50), rng.normal(size=50)
    m = prediction_metrics(p, t)
    assert m["plcc"] == pytest.approx(stats.pearsonr(p, t)[0], abs=1e-6)
    assert m["srcc"] == pytest.approx(stats.spearmanr(p, t)[0], abs=1e-6)
    assert m["rmse"] == pytest.approx(np.sqrt(np.mean((p - t) ** 2)))


def test_model_reliability_and_ceiling_hand_values():
    a = np.array([1.0, 2, 3, 4])
    assert model_reliability([a, a * 2, a + 1]) == pytest.approx(1.0)
    assert model_reliability([a, -a]) == pytest.approx(-1.0)
    assert variant_ceiling(0.82, 0.81) == pytest.approx(0.82 * 0.9)


def test_quality_diagnostic_separates_global_only_from_local_artifact_model(tmp_path):
    """A head on global-quality features tracks quality; one that also sees the local
    artifact keeps authenticity-specific variance (partial corr > 0)."""
    generate(tmp_path / "s", config("synthetic", n_prompts=30, seed=2))
    m = load_aigciqa2023(tmp_path / "s")
    truth = pd.read_csv(tmp_path / "s/truth.csv")
    rng = np.random.default_rng(0)
    global_only = np.c_[truth["global_badness"]].astype(np.float32)
    visibility = truth["artifact_visibility"] / truth["artifact_visibility"].std()   # on the badness' scale
    with_local = np.c_[truth["global_badness"], visibility].astype(np.float32)
    n = len(m)
    results = {}
    for label, feats in [("global", global_only), ("local", with_local)]:
        preds = []
        for v in range(4):
            perm = rng.permutation(n)
            tr, va = perm[: int(0.6 * n)], perm[int(0.6 * n): int(0.8 * n)]
            y = m["authenticity"].to_numpy()
            fitted = fit_head(feats[tr], y[tr], feats[va], y[va], max_epochs=60, batch_size=128, seed=v)
            preds.append(fitted.predict(feats))
        results[label] = quality_diagnostic(preds, m["authenticity"].to_numpy(), m["quality"].to_numpy())
    assert results["global"]["corr_quality"] > results["global"]["corr_authenticity"]
    assert abs(results["global"]["partial_authenticity_given_quality"]) < 0.15
    assert results["local"]["partial_authenticity_given_quality"] > 0.25
    assert results["local"]["p_partial_vs_0"] < 0.01


def test_train_variants_uses_each_split_and_saves_heads(tmp_path):
    rng = np.random.default_rng(0)
    ids = [str(i) for i in range(60)]
    emb = rng.normal(size=(60, 8)).astype(np.float32)
    targets = {i: float(emb[k, 0]) for k, i in enumerate(ids)}
    rows = []
    for v in range(2):
        sub = np.array(["train"] * 40 + ["val"] * 10 + ["test"] * 10, dtype=object)
        rng.shuffle(sub)
        rows.append(pd.DataFrame({"scheme": "exp3", "variant": v, "image_id": ids, "subset": sub}))
    splits = pd.concat(rows)
    preds = train_variants(emb, ids, targets, splits, arch="a", kind="study",
                           cfg=config("train", scheme="exp3", seeds=2, max_epochs=3), out_dir=tmp_path)
    assert (tmp_path / "a/v0.pt").is_file() and (tmp_path / "a/v1.pt").is_file()
    assert len(preds) == 120 and set(preds.subset) == {"train", "val", "test"}
    merged = preds[preds.variant == 1].set_index("image_id")["subset"]
    assert (merged == splits[splits.variant == 1].set_index("image_id")["subset"]).all()


def test_splits_naming_images_missing_from_the_cache_are_an_error(tmp_path):
    ids = [str(i) for i in range(10)]
    splits = pd.DataFrame({"scheme": "exp3", "variant": 0, "image_id": ids + ["99"], "subset": "train"})
    with pytest.raises(InputError, match=r"splits name image\(s\) \['99'\] that the a feature cache lacks"):
        train_variants(np.zeros((10, 4), np.float32), ids, {i: 0.0 for i in ids}, splits, arch="a", kind="study",
                       cfg=config("train", seeds=1), out_dir=tmp_path)


def test_best_validation_weights_are_kept_not_the_last():
    from rashomon.core.fitting import FitResult  # noqa: F401  (the contract: best epoch reported)

    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, 4)).astype(np.float32)
    y = x[:, 0] * 2 + 10
    fitted = fit_head(x[:60], y[:60], x[60:], y[60:], max_epochs=40, patience=40, seed=0, lr=0.05)
    # the reported best loss is the validation loss of the returned weights
    xv = torch.as_tensor(x[60:])
    yv = (y[60:] - fitted.target_mean) / fitted.target_sd
    with torch.no_grad():
        loss = float(((fitted.head.eval()(xv).squeeze(-1).numpy() - yv) ** 2).mean())
    assert loss == pytest.approx(fitted.best_val_loss, rel=1e-4)
