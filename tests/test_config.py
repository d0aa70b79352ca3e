import numpy as np
import pytest

from fastw2v.config import ConfigError, TrainConfig


def test_defaults_resolve_alpha_by_model():
    assert TrainConfig(model="cbow").start_alpha == 0.05
    assert TrainConfig(model="skipgram").start_alpha == 0.025
    assert TrainConfig(model="skipgram", alpha=0.1).start_alpha == 0.1
    assert TrainConfig().threads >= 1


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"model": "sg"}, "model must be one of"),
        ({"dim": 0}, "dim must be at least 1"),
        ({"window": 0}, "window must be at least 1"),
        ({"negative": -1}, "negative must be at least 0"),
        ({"negative": 0}, "without hs=True nothing would be trained"),
        ({"hs": "yes"}, "hs must be True or False"),
        ({"epochs": 0}, "epochs must be at least 1"),
        ({"threads": 0}, "threads must be at least 1"),
        ({"min_count": -3}, "min_count must be at least 1"),
        ({"sample": -1.0}, "sample must be at least 0"),
        ({"alpha": -0.1}, "alpha must be greater than 0"),
        ({"alpha": 0.01, "min_alpha": 0.1}, "must not exceed alpha"),
        ({"dim": "abc"}, "dim must be an integer"),
        ({"dim": 2.5}, "dim must be an integer"),
        ({"sample": float("nan")}, "sample must be finite"),
        ({"shared_negatives": "yes"}, "shared_negatives must be True or False"),
    ],
)
def test_invalid_settings_name_the_field(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        TrainConfig(**kwargs)


def test_gensim_aliases_and_unknown_names():
    cfg = TrainConfig.from_kwargs(vector_size=32, workers=1)
    assert (cfg.dim, cfg.threads) == (32, 1)
    assert TrainConfig.from_kwargs(dim=np.int64(8)).dim == 8
    with pytest.raises(ConfigError, match="either vector_size or dim"):
        TrainConfig.from_kwargs(vector_size=32, dim=16)
    with pytest.raises(ConfigError, match="unknown setting"):
        TrainConfig.from_kwargs(hierarchical=1)


def test_shared_negatives_picks_its_own_skipgram_kernel_only():
    from fastw2v import kernels

    assert TrainConfig(model="skipgram").model_code == kernels.SKIPGRAM
    shared = TrainConfig(model="skipgram", shared_negatives=True)
    assert shared.model_code == kernels.SKIPGRAM_SHARED
    # CBOW already draws one set of negatives per window
    assert TrainConfig(model="cbow", shared_negatives=True).model_code == kernels.CBOW
