"""Minibatch training loop for the reference models.

The loop is the textbook one: shuffle every epoch, cut the data into
``len(x) // batch_size`` minibatches (the ragged tail is dropped), and for
each run forward, backward, merge gradients of shared weights, optionally
clip, and let the optimizer update the parameters in place.
"""

import time

import numpy as np


def remove_duplicate(params, grads):
    """Merge parameters that appear more than once in `params`.

    A layer stack may list the same weight matrix several times (the
    textbook's NegativeSamplingLoss has one entry per EmbeddingDot, and a
    tied output layer may use ``W.T``). The optimizer must update each array
    once with the *total* gradient, so duplicates are summed into the first
    occurrence and dropped. Two entries are duplicates when they are the same
    object; an entry is a transposed duplicate when it is a 2-D view sharing
    memory with an earlier entry and having the transposed shape.

    Parameters
    ----------
    params, grads : list of ndarray
        Parallel lists; not modified themselves.

    Returns
    -------
    params, grads : list of ndarray
        New lists without duplicates. The kept gradient arrays have been
        incremented in place by their duplicates' gradients.
    """
    kept_params, kept_grads = [], []
    for param, grad in zip(params, grads):
        for i, kept in enumerate(kept_params):
            if param is kept:
                kept_grads[i] += grad
                break
            if (param.ndim == 2 and kept.ndim == 2 and param.shape == kept.shape[::-1]
                    and param.shape != kept.shape and np.shares_memory(param, kept)):
                kept_grads[i] += grad.T
                break
        else:
            kept_params.append(param)
            kept_grads.append(grad)
    return kept_params, kept_grads


def clip_grads(grads, max_norm):
    r"""Rescale all gradients in place so their joint L2 norm is at most `max_norm`.

    If :math:`\|g\| = \sqrt{\sum_k \|g_k\|^2} > \text{max\_norm}`, every
    :math:`g_k` is multiplied by :math:`\text{max\_norm} / \|g\|`.

    Parameters
    ----------
    grads : list of ndarray
        Modified in place.
    max_norm : float
    """
    total = np.sqrt(sum(float(np.sum(g * g)) for g in grads))
    # 1e-6 keeps the ratio finite and just below 1 at the boundary.
    rate = max_norm / (total + 1e-6)
    if rate < 1:
        for g in grads:
            g *= rate


class Trainer:
    """Fit a model with an optimizer on (x, t) minibatches.

    Parameters
    ----------
    model : object
        Has ``forward(x, t) -> float``, ``backward()``, ``params``, ``grads``
        (e.g. CBOW or SkipGram).
    optimizer : object
        Has ``update(params, grads)`` (SGD, Adam).
    verbose : bool, default True
        Print a progress line every `eval_interval` iterations.

    Attributes
    ----------
    loss_list : list of float
        Mean loss over each `eval_interval` window, appended during `fit`.
    elapsed : float
        Wall-clock seconds spent in the last `fit`.
    """

    def __init__(self, model, optimizer, verbose=True):
        self.model = model
        self.optimizer = optimizer
        self.verbose = verbose
        self.loss_list = []
        self.eval_interval = None
        self.current_epoch = 0
        self.elapsed = 0.0

    def fit(self, x, t, max_epoch=10, batch_size=32, max_grad=None, eval_interval=20,
            verbose=None):
        """Train for `max_epoch` shuffled passes over the data.

        Parameters
        ----------
        x : ndarray, shape (n, ...)
            Inputs (for word2vec: contexts, shape (n, 2 * window_size)).
        t : ndarray, shape (n, ...)
            Targets (for word2vec: shape (n,)).
        max_epoch : int, default 10
        batch_size : int, default 32
        max_grad : float, optional
            Clip the joint gradient norm to this value.
        eval_interval : int or None, default 20
            Record (and print) the mean loss every this many iterations,
            counting from the first iteration of each epoch; ``None`` records
            nothing.
        verbose : bool, optional
            Overrides the constructor's `verbose` for this call.

        Returns
        -------
        list of float
            ``self.loss_list``.
        """
        verbose = self.verbose if verbose is None else verbose
        data_size = len(x)
        max_iters = data_size // batch_size
        if max_iters == 0:
            raise ValueError(f"batch_size={batch_size} is larger than the data ({data_size})")
        self.eval_interval = eval_interval
        model, optimizer = self.model, self.optimizer
        total_loss, loss_count = 0.0, 0
        start = time.perf_counter()
        for _ in range(max_epoch):
            # Shuffle with the global state, like the book, so np.random.seed
            # fixes the whole run (order and negatives).
            order = np.random.permutation(data_size)
            x_epoch, t_epoch = x[order], t[order]
            for iters in range(max_iters):
                batch = slice(iters * batch_size, (iters + 1) * batch_size)
                loss = model.forward(x_epoch[batch], t_epoch[batch])
                model.backward()
                params, grads = remove_duplicate(model.params, model.grads)
                if max_grad is not None:
                    clip_grads(grads, max_grad)
                optimizer.update(params, grads)
                total_loss += loss
                loss_count += 1
                if eval_interval is not None and iters % eval_interval == 0:
                    avg_loss = total_loss / loss_count
                    if verbose:
                        print(f"| epoch {self.current_epoch + 1} | iter {iters + 1} / {max_iters} "
                              f"| time {time.perf_counter() - start:.0f}[s] | loss {avg_loss:.2f}")
                    self.loss_list.append(float(avg_loss))
                    total_loss, loss_count = 0.0, 0
            self.current_epoch += 1
        self.elapsed = time.perf_counter() - start
        return self.loss_list
