"""VariantSet and BaggedEnsemble are both ScoredModels: scorers and methods use the protocol."""

import torch

from rashomon.attribution.perturbations import PerturbationScorer, SquareMasks
from rashomon.ensemble.combine import BaggedEnsemble
from rashomon.variants.scored_model import MEAN, ScoredModel
from tests.attribution.test_attribution import real_variants


def test_both_models_implement_the_protocol_and_score_perturbations_through_it():
    _, a = real_variants("resnet_small", k=2, seed=0)
    _, b = real_variants("vgg_small", k=3, seed=1)
    ensemble = BaggedEnsemble([a, b])
    assert isinstance(a, ScoredModel) and isinstance(ensemble, ScoredModel)
    assert a.stem_groups() == [a] and len(ensemble.stem_groups()) == 2
    image = torch.randn(3, 64, 64)
    masks = SquareMasks(image=0, centres=torch.tensor([[10, 10], [40, 30]]), side=5, fill=0.0)
    with torch.no_grad():
        for model in (a, ensemble):
            for incremental in (False, True):
                got = PerturbationScorer(model, incremental)(image, masks)
                torch.testing.assert_close(got, model(masks.apply(image)), rtol=1e-4, atol=1e-4)
        x = torch.randn(4, 3, 64, 64)
        which = torch.tensor([0, 1, MEAN, 0])
        full = a(x)
        expected = torch.stack([full[0, 0], full[1, 1], full[2].mean(), full[3, 0]])
        torch.testing.assert_close(a.item_predictions(x, which), expected)
        torch.testing.assert_close(ensemble.item_predictions(x, which), ensemble(x)[:, 0])


def test_a_plain_module_is_scored_as_a_whole():
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 8 * 8, 2))
    image = torch.randn(3, 8, 8)
    masks = SquareMasks(image=0, centres=torch.tensor([[2, 2]]), side=3, fill=0.0)
    scorer = PerturbationScorer(model, incremental=True)
    assert scorer.sets == [] and not scorer.incremental
    with torch.no_grad():
        torch.testing.assert_close(scorer(image, masks), model(masks.apply(image)))
