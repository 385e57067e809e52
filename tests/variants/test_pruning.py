import numpy as np
import torch
from torch import nn

from rashomon.backbones import create_backbone
from rashomon.heads.head import make_head
from rashomon.variants.pruning import candidate_rmse, sbs_prune
from rashomon.heads.fitted import FittedHead
from tests.attribution.test_attribution import linear_head


class PooledTail(nn.Module):
    """Channel-separable tail: embedding = spatial mean of each channel."""

    target_offset, mix_weight, mix_bias, rest = 0, None, None, nn.Identity()

    def channelwise(self, target):
        return target.mean(dim=(2, 3)).unsqueeze(-1)

    def forward(self, target):
        return target.mean(dim=(2, 3))


def test_sbs_removes_a_planted_harmful_channel_and_keeps_helpful_ones():
    rng = np.random.default_rng(0)
    a = torch.tensor(rng.normal(size=(300, 4, 3, 3)), dtype=torch.float32)
    means = a.mean(dim=(2, 3))
    y = (means[:, 0] + 0.5 * means[:, 2]).numpy()           # channels 0 and 2 carry the signal
    head = linear_head([1.0, 1.0, 0.5, 0.0])                # channel 1: pure noise the head uses
    backbone = type("B", (), {"tail": PooledTail()})()
    mask, history = sbs_prune(backbone, head, (a,), y)
    assert not mask[1] and mask[0] and mask[2]
    assert history[-1] < history[0] and history[-1] < 1e-5


def test_low_rank_candidates_equal_full_tail_evaluation():
    for name in ["resnet_small", "vgg_small", "densenet_small", "efficientnet_small"]:
        torch.manual_seed(0)
        b = create_backbone(name)
        with torch.no_grad():
            outs = b.stem(torch.randn(12, 3, 64, 64))
            dim = b.tail(*outs).shape[1]
        head = FittedHead(make_head(dim, b.spec.head, 0.5).eval(), b.spec.head, 0.5, 0.0, 1.0, 0, 0.0)
        y = np.random.default_rng(1).normal(size=12).astype(np.float32)
        mask, history = sbs_prune(b, head, outs, y, max_iterations=3)
        # replay: the RMSE after each removal equals the full tail with that mask
        with torch.no_grad():
            m = torch.as_tensor(mask, dtype=torch.float32)
            z = head.head(b.tail(outs[0] * m.view(1, -1, 1, 1), *outs[1:])).squeeze(-1)
            full = float(((z - torch.tensor(y)) ** 2).mean().sqrt())
            assert abs(full - history[-1]) < 1e-4, name
            # and the chosen channel was the best single removal by brute force
            first = candidate_rmse(b, head, outs, torch.tensor(y), torch.ones(len(mask)),
                                   torch.arange(len(mask)), chunk=16)
            if len(history) > 1:
                assert abs(float(first.min()) - history[1]) < 1e-4, name


def test_first_layer_shortcut_gives_the_same_removals_as_the_full_head(monkeypatch):
    import rashomon.variants.pruning as pruning

    for name in ["resnet_small", "densenet_small", "efficientnet_small"]:
        torch.manual_seed(0)
        b = create_backbone(name)
        with torch.no_grad():
            outs = b.stem(torch.randn(16, 3, 64, 64))
            dim = b.tail(*outs).shape[1]
        head = FittedHead(make_head(dim, b.spec.head, 0.5).eval(), b.spec.head, 0.5, 2.0, 3.0, 0, 0.0)
        y = np.random.default_rng(2).normal(2.0, 3.0, size=16).astype(np.float32)
        state = pruning._LowRankTail(b, outs, torch.ones(outs[0].shape[1]))
        assert pruning._FirstLayerShortcut.applies(b, head, state), name
        fast = sbs_prune(b, head, outs, y, max_iterations=6)
        with monkeypatch.context() as m:
            m.setattr(pruning._FirstLayerShortcut, "applies", staticmethod(lambda *a: False))
            slow = sbs_prune(b, head, outs, y, max_iterations=6)
        np.testing.assert_array_equal(fast[0], slow[0], err_msg=name)
        np.testing.assert_allclose(fast[1], slow[1], rtol=1e-5, err_msg=name)


def test_the_pruning_report_lists_each_variants_removals_on_the_test_set_and_pads_histories():
    import pandas as pd

    from rashomon.variants.pruning import PrunedVariant, masks_archive, pruning_report
    rows = [{"architecture": "a", "variant": v, "set": s, "channels_removed": c, "baseline_plcc": 0.5,
             "pruned_plcc": 0.6, "baseline_rmse": 2.0, "pruned_rmse": r}
            for v, c, r in ((1, 3, 1.0), (0, 1, 1.5)) for s in ("fit", "test")]
    report = pruning_report(pd.DataFrame(rows), "test")
    assert report["fit_on"] == "test" and report["a"]["channels_removed"] == [1, 3]
    assert report["a"]["channels_removed_mean"] == 2.0 and report["a"]["pruned_rmse"] == 1.25
    variant = PrunedVariant(head=None, mask=np.array([True, False, True]), history=[3.0, 2.5], fit_ids=[])
    archive = masks_archive([variant])
    assert archive["masks"].tolist() == [[True, False, True]]
    np.testing.assert_array_equal(archive["history"], [[3.0, 2.5, np.nan]])
