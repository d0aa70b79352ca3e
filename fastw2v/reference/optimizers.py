r"""Optimizers: in-place parameter updates from gradient lists.

Both take parallel lists ``params`` and ``grads`` (as exposed by the models)
and modify each parameter array in place, so every layer that holds a
reference to it sees the new values. Scalars are Python floats, so float32
parameters stay float32.
"""

import math

import numpy as np


class SGD:
    r"""Plain stochastic gradient descent: :math:`\theta \leftarrow \theta - \eta g`.

    Parameters
    ----------
    lr : float, default 0.01
        Learning rate :math:`\eta`.
    """

    def __init__(self, lr=0.01):
        self.lr = lr

    def update(self, params, grads):
        """Apply one step.

        Parameters
        ----------
        params : list of ndarray
            Updated in place.
        grads : list of ndarray
            Same shapes as `params`.
        """
        for param, grad in zip(params, grads):
            param -= self.lr * grad


class Adam:
    r"""Adam (Kingma & Ba, 2015) with the bias correction folded into the step.

    With first and second moment estimates
    :math:`m \leftarrow m + (1 - \beta_1)(g - m)` and
    :math:`v \leftarrow v + (1 - \beta_2)(g^2 - v)`, the step at iteration
    :math:`t` is

    .. math::

        \theta \leftarrow \theta - \eta \frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t}
        \frac{m}{\sqrt{v} + \epsilon},

    which equals the paper's update with bias-corrected :math:`\hat m, \hat v`
    up to where :math:`\epsilon` sits.

    Parameters
    ----------
    lr : float, default 0.001
    beta1 : float, default 0.9
    beta2 : float, default 0.999
    eps : float, default 1e-7
        Keeps the division finite where :math:`v = 0` (a row never updated).
    """

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-7):
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.iter = 0
        self.m = None
        self.v = None

    def update(self, params, grads):
        """Apply one step; moment buffers are created on the first call.

        Parameters
        ----------
        params : list of ndarray
            Updated in place. Must be the same list (same order) every call.
        grads : list of ndarray
        """
        if self.m is None:
            self.m = [np.zeros_like(p) for p in params]
            self.v = [np.zeros_like(p) for p in params]
        self.iter += 1
        lr_t = self.lr * math.sqrt(1.0 - self.beta2 ** self.iter) / (1.0 - self.beta1 ** self.iter)
        for param, grad, m, v in zip(params, grads, self.m, self.v):
            m += (1.0 - self.beta1) * (grad - m)
            v += (1.0 - self.beta2) * (grad * grad - v)
            param -= lr_t * m / (np.sqrt(v) + self.eps)
