"""Training callbacks: fastw2v's plain functions, and gensim's ``CallbackAny2Vec`` objects.

A script written for gensim keeps its callbacks: subclass
:class:`CallbackAny2Vec` from here instead of ``gensim.models.callbacks``
(gensim's own class works too; only the method names matter).
"""


class CallbackAny2Vec:
    """Base class of callbacks with gensim's four hooks, each called with the model.

    Override any of them; the others do nothing. ``on_epoch_end`` is where
    :meth:`fastw2v.Word2Vec.get_latest_training_loss` gives the epoch just
    ended, and where ``model.wv`` reflects it (its cached norms are dropped
    after every epoch, so ``most_similar`` there is exact).
    """

    def on_train_begin(self, model):
        """Before the first kernel call of a :meth:`~fastw2v.Word2Vec.train` call."""

    def on_epoch_begin(self, model):
        """Before an epoch's first kernel call (not again when a resumed run goes on mid-epoch)."""

    def on_epoch_end(self, model):
        """After an epoch's last kernel call."""

    def on_train_end(self, model):
        """After the run's last epoch (not when it was stopped early)."""


class EpochCallbacks:
    """A model's epoch callbacks, in either of the two forms accepted.

    A plain callable is called as ``callback(model, epoch, loss)`` after every
    epoch (fastw2v's form). An object with any of gensim's
    ``on_train_begin``, ``on_epoch_begin``, ``on_epoch_end`` or
    ``on_train_end`` methods (``gensim.models.callbacks.CallbackAny2Vec``) has
    each called with the model, as gensim does.
    """

    HOOKS = ("on_train_begin", "on_epoch_begin", "on_epoch_end", "on_train_end")

    def __init__(self, callbacks):
        if callbacks is None:
            callbacks = ()
        elif callable(callbacks) or self._hooked(callbacks):
            callbacks = (callbacks,)
        try:
            self.items = list(callbacks)
        except TypeError:
            raise TypeError(f"callbacks must be a list, not {type(callbacks).__name__}") from None
        for item in self.items:
            if isinstance(item, type):
                raise TypeError(f"callbacks must be instances: pass {item.__name__}(), not the class")
            if not callable(item) and not self._hooked(item):
                raise TypeError(
                    f"callbacks must be callables f(model, epoch, loss) or objects with gensim's "
                    f"{', '.join(self.HOOKS)} methods, not {type(item).__name__}")

    @classmethod
    def _hooked(cls, item):
        """True for an object with gensim's hooks (called with the model only)."""
        return any(hasattr(item, hook) for hook in cls.HOOKS)

    def hook(self, name, model):
        """Call every object's ``name`` hook (one of :attr:`HOOKS`) with ``model``."""
        for item in self.items:
            method = getattr(item, name, None)
            if method is not None:
                method(model)

    def epoch_end(self, model, epoch, loss):
        """After epoch ``epoch`` (from 1) with mean loss ``loss``: every callback, in its form."""
        for item in self.items:
            if self._hooked(item):
                if hasattr(item, "on_epoch_end"):
                    item.on_epoch_end(model)
            else:
                item(model, epoch, loss)
