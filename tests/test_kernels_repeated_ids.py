"""Kernel steps against the reference when ids repeat inside a window.

tests/test_kernels.py uses distinct ids everywhere, where the order of the
updates inside a window cannot show. Here a context word repeats, a
negative repeats, a negative is a context word, a negative is the word it
is drawn for, and a context word is the centre. The reference side is
:mod:`kernel_reference`, which spells out the order the kernels promise
(one reference SGD step per example; skip-gram's examples in window order
with the centre's row frozen until the end; shared skip-gram's examples in
order, each moving its own row at once; a negative equal to its target
skipped).
"""

import numpy as np
import pytest

from fastw2v import reference
from fastw2v.kernels import train_window

from kernel_reference import window_step

V, DIM, NEG = 40, 16, 3
MODELS = ["cbow", "skipgram", "skipgram_shared"]
LR = {"cbow": 0.05, "skipgram": 0.025, "skipgram_shared": 0.025}


def matrices(seed):
    rng = np.random.default_rng(seed)
    w_in = (rng.standard_normal((V, DIM)) * 0.3).astype(np.float32)
    w_out = (rng.standard_normal((V, DIM)) * 0.3).astype(np.float32)
    return w_in, w_out


def window(case, model):
    """``(contexts, centre, negatives)`` of a case; ids 0-9 are context and centre words."""
    a, b, c, d, centre = 0, 1, 2, 3, 4
    contexts = [a, b, c, d]
    rows = len(contexts) if model == "skipgram" else 1
    # distinct negatives by default: row r gets 10 + 3r .. 12 + 3r
    negatives = 10 + np.arange(rows * NEG).reshape(rows, NEG)
    if case == "context word repeats":
        contexts = [a, b, a, a]
    elif case == "context word is the centre":
        contexts = [a, centre, c, d]
    elif case == "negative is a context word":
        negatives[:, 0] = b  # for skip-gram: a negative of every pair, the target of the second
        negatives[-1, 1] = a
    elif case == "negative is its target":
        targets = contexts if model == "skipgram" else [centre]
        negatives[:, 1] = targets  # skipped
    elif case == "same negatives for every pair":
        negatives[:] = negatives[0]
    elif case == "negative repeats in one example":
        negatives[:, 1] = negatives[:, 0]
    else:
        raise ValueError(case)
    return np.array(contexts), centre, negatives


def kernel_step(model, w_in, w_out, contexts, centre, negatives):
    syn0, syn1 = w_in.copy(), w_out.copy()
    half = len(contexts) // 2
    words = np.concatenate([contexts[:half], [centre], contexts[half:]])
    loss = train_window(model, syn0, syn1, words, half, negatives, LR[model])
    return loss, syn0, syn1


def reference_step(model, w_in, w_out, contexts, centre, negatives):
    W_in, W_out = w_in.astype(np.float64), w_out.astype(np.float64)
    loss = window_step(model, W_in, contexts, centre, negatives, LR[model], W_out=W_out)
    return loss, W_in, W_out


CASES = ["context word repeats", "context word is the centre", "negative is a context word",
         "negative is its target", "same negatives for every pair"]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("seed", [0, 1])
def test_kernel_step_with_repeated_ids_matches_the_reference_order(model, case, seed):
    w_in, w_out = matrices(seed)
    contexts, centre, negatives = window(case, model)
    loss, syn0, syn1 = kernel_step(model, w_in, w_out, contexts, centre, negatives)
    ref_loss, ref_in, ref_out = reference_step(model, w_in, w_out, contexts, centre, negatives)
    assert loss == pytest.approx(ref_loss, rel=1e-5)
    np.testing.assert_allclose(syn0, ref_in, atol=1e-6)
    np.testing.assert_allclose(syn1, ref_out, atol=1e-6)


@pytest.mark.parametrize("case", ["context word repeats", "negative is a context word",
                                  "same negatives for every pair"])
def test_skipgram_order_matters_in_these_cases(case):
    # guards the test above: here the kernel's order (each pair's output rows
    # move before the next pair is scored) and one simultaneous step on the
    # window's summed loss (reference.SkipGram) differ by far more than its
    # tolerance, so the comparison above could tell them apart
    w_in, w_out = matrices(0)
    contexts, centre, negatives = window(case, "skipgram")
    _, syn0, syn1 = kernel_step("skipgram", w_in, w_out, contexts, centre, negatives)
    model = reference.SkipGram(V, DIM, 2, np.arange(V), sample_size=NEG, W_in=w_in.astype(float),
                               W_out=w_out.astype(float))
    model.forward(contexts[None], np.array([centre]), negatives=negatives[None])
    model.backward()
    reference.SGD(LR["skipgram"]).update(model.params, model.grads)
    assert np.abs(syn1 - model.params[1]).max() > 1e-5


@pytest.mark.parametrize("model", MODELS)
def test_a_negative_repeated_in_one_example_moves_the_output_rows_as_one_step(model):
    # the output rows and the loss: as one SGD step (both draws' gradients,
    # from the row as the example found it, are added to the row)
    w_in, w_out = matrices(2)
    contexts, centre, negatives = window("negative repeats in one example", model)
    loss, _, syn1 = kernel_step(model, w_in, w_out, contexts, centre, negatives)
    ref_loss, _, ref_out = reference_step(model, w_in, w_out, contexts, centre, negatives)
    assert loss == pytest.approx(ref_loss, rel=1e-5)
    np.testing.assert_allclose(syn1, ref_out, atol=1e-6)


@pytest.mark.parametrize("model", MODELS)
def test_a_negative_repeated_in_one_example_moves_the_input_rows_as_one_step(model):
    w_in, w_out = matrices(2)
    contexts, centre, negatives = window("negative repeats in one example", model)
    _, syn0, _ = kernel_step(model, w_in, w_out, contexts, centre, negatives)
    _, ref_in, _ = reference_step(model, w_in, w_out, contexts, centre, negatives)
    np.testing.assert_allclose(syn0, ref_in, atol=1e-6)
