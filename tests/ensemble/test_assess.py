import numpy as np
import pandas as pd

from rashomon.ensemble.assess import fold_of


def test_each_test_image_gets_the_stacking_fold_that_holds_it_out():
    splits = pd.DataFrame({"scheme": ["stacking"] * 4 + ["exp3"], "variant": [0, 0, 1, 1, 0],
                           "image_id": ["1", "2", "3", "1", "3"], "subset": ["test", "train", "test", "train", "test"]})
    assert fold_of(splits, ["3", "1"]).tolist() == [1, 0]
    assert isinstance(fold_of(splits, ["1"]), np.ndarray)
