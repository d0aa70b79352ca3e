"""Training configuration: every setting, its default and its validation, in one place.

The CLI flags mirror these field names (``dim`` is ``--dim``, ``min_count`` is
``--min-count``), and :class:`fastw2v.Word2Vec` takes them as keyword arguments.
"""

from __future__ import annotations

import dataclasses
import numbers
import os
import warnings
from dataclasses import dataclass
from typing import Optional

MODELS = ("cbow", "skipgram")

#: The kernels' codes for the models (:mod:`fastw2v.kernels` dispatches on
#: them); skip-gram with shared negatives is a kernel of its own.
CBOW, SKIPGRAM, SKIPGRAM_SHARED = 0, 1, 2

#: word2vec.c's default starting learning rates: CBOW averages its context, so
#: its gradient per input row is smaller and it tolerates a larger step.
DEFAULT_ALPHA = {"cbow": 0.05, "skipgram": 0.025}

#: CBOW's default starting rate with hierarchical softmax. The context rows
#: receive the gradient of every node on the centre's path (about 12 on
#: wiki17m) instead of 1 + 5 sampled words, and 0.05 oversteps: CBOW,
#: ``hs=True, negative=0``, 5 epochs, 2 threads, analogy / WS353, seeds 1-3:
#: 0.273, 0.265, 0.265 / 0.632, 0.624, 0.624 at 0.05; 0.285, 0.276, 0.285 /
#: 0.630, 0.627, 0.635 at 0.025; 0.275 / 0.598 at 0.0125 (seed 1).
HS_CBOW_ALPHA = 0.025

#: Where the default schedule of hierarchical softmax alone ends, as a
#: fraction of the start (word2vec.c's floor). Measured on wiki17m, 5
#: epochs, seed 1: skip-gram 0.370 / 0.644 ending here against 0.348 / 0.638
#: at ``alpha / 6``; CBOW (at 0.025) 0.285 / 0.630 either way. Negative
#: sampling keeps :func:`default_end_alpha`'s ``alpha / (epochs + 1)``.
HS_END_FRACTION = 1e-4

#: gensim's names for fastw2v's settings, accepted by :class:`fastw2v.Word2Vec`
#: for users who come from ``gensim.models.Word2Vec`` (same meaning, other name).
GENSIM_ALIASES = {"vector_size": "dim", "workers": "threads"}

#: gensim's settings whose gensim default is what fastw2v always does: that
#: value is accepted (a ported script passes it), any other is refused with
#: the reason. name -> (the accepted value, why another cannot be honoured).
GENSIM_FIXED = {
    "cbow_mean": (1, "fastw2v's CBOW averages the context vectors (cbow_mean=1); "
                     "their sum (cbow_mean=0) is not available"),
    "null_word": (0, "fastw2v pads no window with a null word (null_word=0)"),
    "sorted_vocab": (1, "fastw2v always sorts the vocabulary by descending count (sorted_vocab=1)"),
    "shrink_windows": (True, "fastw2v always draws each window's size from 1..window, "
                             "as word2vec.c (shrink_windows=True)"),
    "trim_rule": (None, "trim_rule is not supported: filter the tokens before training, "
                        "or use min_count / max_final_vocab"),
    "hashfxn": (hash, "fastw2v draws the initial vectors from seed alone (no hashfxn)"),
    "word_count": (0, "word_count is not supported: the learning rate follows start_alpha "
                      "and end_alpha over this call's epochs"),
}

#: gensim settings that tune gensim's own job queue and logging; fastw2v has
#: no queue (each thread takes blocks of ``fastw2v.word2vec.BLOCK_TOKENS``
#: tokens) and reports progress after every block, so they have no effect.
GENSIM_IGNORED = ("batch_words", "queue_factor", "report_delay", "progress_per",
                  "keep_raw_vocab", "comment")

#: Settings fastw2v renamed; the old name still works with a warning.
#: ``max_vocab_size`` was fastw2v's cap on the final vocabulary, but gensim
#: uses that name for a memory bound while counting (which fastw2v's exact
#: count does not need), so the cap now has gensim's name for it.
DEPRECATED = {"max_vocab_size": "max_final_vocab"}

#: Seeds are used as unsigned 64-bit integers (the splitmix64 state of :mod:`fastw2v.rng`).
MAX_SEED = (1 << 64) - 1


def default_end_alpha(alpha: float, epochs: int, negative_sampling: bool = True) -> float:
    """The learning rate the default schedule ends on: ``alpha / (epochs + 1)``.

    (With hierarchical softmax alone, ``negative_sampling=False``, it is
    ``alpha * HS_END_FRACTION``: see :data:`HS_END_FRACTION`.)

    The rate falls linearly from ``alpha`` as if the run had one epoch more
    than it has, and stops there: 1 epoch ends at ``alpha / 2``, 3 at
    ``alpha / 4``, 5 at ``alpha / 6``, and a long run still anneals close to
    zero. A short run on a large corpus is under-trained, and decaying all
    the way to ~0 spends its last part on steps too small to learn from.
    Measured on wiki17m (CBOW, 2 threads, median of 3 seeds, analogy /
    WS353): 1 epoch ending at 1e-4 gave 0.152 / 0.508, at ``alpha / 2``
    0.185 / 0.549; 3 epochs 0.313 / 0.620 against 0.333 / 0.629 at
    ``alpha / 4``; 5 epochs 0.365 / 0.645 against 0.368 / 0.652 at
    ``alpha / 4`` (benchmarks/README.md, "Learning-rate schedule"). It does
    not depend on the thread count, so the same flags give the same
    schedule on any machine.
    """
    if not negative_sampling:
        return alpha * HS_END_FRACTION
    return alpha / (epochs + 1)


class ConfigError(ValueError):
    """A setting is out of range or of the wrong type; the message names it.

    Attributes
    ----------
    field : str or None
        The offending setting, so the CLI can name its flag.
    """

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


def default_threads() -> int:
    """All cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


_INT_FIELDS = ("dim", "window", "negative", "min_count", "max_final_vocab", "epochs", "threads",
               "seed")
_FLOAT_FIELDS = ("sample", "ns_exponent", "alpha", "min_alpha")


@dataclass(frozen=True)
class TrainConfig:
    """Validated settings of one training run.

    Attributes
    ----------
    model : {"cbow", "skipgram"}
        CBOW predicts the centre word from the mean of its context rows;
        skip-gram predicts each context word from the centre word's row.
    dim : int
        Length of the word vectors.
    window : int
        Largest distance between the centre word and a context word. Each
        centre word draws its own window uniformly from ``1..window``, as in
        word2vec.c, which weights near words more than far ones.
    negative : int
        Negative words drawn from the unigram table per positive pair; 0
        turns negative sampling off (then ``hs`` must be on).
    hs : bool
        Train hierarchical softmax over a Huffman tree of the counts
        (:mod:`fastw2v.huffman`), alone (``negative=0``, word2vec.c's
        ``-hs 1 -negative 0``) or with negative sampling, the two gradients
        summed (as gensim's ``hs=1, negative=5``).
    sample : float
        Subsampling threshold ``t``: a word of corpus frequency ``f`` is kept
        with probability ``sqrt(t/f) + t/f`` (word2vec.c). 0 disables it;
        1 or more is a count, as in gensim
        (:func:`fastw2v.sampling.keep_probabilities`).
    min_count : int
        Words seen fewer times are dropped from the vocabulary and corpus.
    max_final_vocab : int or None
        Keep at most this many of the most frequent words (gensim's name;
        ``max_vocab_size`` is a deprecated alias).
    epochs : int
        Passes over the corpus.
    threads : int
        Worker threads: Hogwild training, and tokenising a large plain corpus file.
    alpha : float or None
        Starting learning rate; None picks 0.05 for CBOW (0.025 with ``hs``),
        0.025 for skip-gram.
    min_alpha : float or None
        Learning rate reached at the very end; it decays linearly in between.
        None picks the default schedule's end, :func:`default_end_alpha` of
        the start and the number of epochs; a value given means exactly that.
    ns_exponent : float
        Power applied to the counts for the negative-sampling distribution;
        0.75 is Mikolov et al.'s empirical choice between unigram (1) and
        uniform (0).
    seed : int
        Seeds the initial vectors and every thread's random stream.
    shared_negatives : bool
        Skip-gram only: draw one set of negatives per window and let each
        context word predict the centre against it (pWord2Vec). The window's
        output rows then stay in cache: on wiki17m skip-gram trained 1.7x
        as fast at the same quality (README, Performance). CBOW already
        draws one set per window, so there it changes nothing.
    """

    model: str = "cbow"
    dim: int = 100
    window: int = 5
    negative: int = 5
    hs: bool = False
    sample: float = 1e-3
    min_count: int = 5
    max_final_vocab: Optional[int] = None
    epochs: int = 5
    threads: int = dataclasses.field(default_factory=default_threads)
    alpha: Optional[float] = None
    min_alpha: Optional[float] = None
    ns_exponent: float = 0.75
    seed: int = 1
    shared_negatives: bool = False

    def __post_init__(self):
        if self.model not in MODELS:
            raise ConfigError(f"model must be one of {', '.join(MODELS)}, not {self.model!r}", "model")
        _check_int("dim", self.dim, 1)
        _check_int("window", self.window, 1)
        _check_int("negative", self.negative, 0)
        if not isinstance(self.hs, bool):
            raise ConfigError(f"hs must be True or False (or gensim's 1 or 0), not {self.hs!r}", "hs")
        if self.negative == 0 and not self.hs:
            raise ConfigError("negative=0 turns negative sampling off, and without hs=True "
                              "nothing would be trained", "negative")
        _check_int("min_count", self.min_count, 1)
        if self.max_final_vocab is not None:
            _check_int("max_final_vocab", self.max_final_vocab, 1)
        _check_int("epochs", self.epochs, 1)
        _check_int("threads", self.threads, 1)
        _check_int("seed", self.seed, 0, MAX_SEED)
        _check_float("sample", self.sample, 0.0)
        _check_float("ns_exponent", self.ns_exponent, 0.0)
        if not isinstance(self.shared_negatives, bool):
            raise ConfigError(
                f"shared_negatives must be True or False, not {self.shared_negatives!r}",
                "shared_negatives",
            )
        if self.alpha is not None:
            _check_float("alpha", self.alpha, 0.0, strict=True)
        # min_alpha None picks the schedule's end (default_end_alpha); a given one is
        # compared with the start actually used, the model's default when alpha is None.
        if self.min_alpha is not None:
            _check_float("min_alpha", self.min_alpha, 0.0)
            if self.min_alpha > self.start_alpha:
                given = "alpha" if self.alpha is not None else f"the default {self.model} alpha"
                raise ConfigError(
                    f"min_alpha ({self.min_alpha}) must not exceed {given} ({self.start_alpha})",
                    "min_alpha",
                )
        # NumPy scalars (a grid from np.arange) pass the checks above, but a saved
        # model's settings are JSON: keep Python's own int and float
        for names, kind in ((_INT_FIELDS, int), (_FLOAT_FIELDS, float)):
            for name in names:
                value = getattr(self, name)
                if value is not None:
                    object.__setattr__(self, name, kind(value))

    @property
    def start_alpha(self) -> float:
        """The starting learning rate, resolved from the model's default.

        0.05 for CBOW (:data:`HS_CBOW_ALPHA`, 0.025, with hierarchical
        softmax), 0.025 for skip-gram; ``alpha`` when given.
        """
        if self.alpha is not None:
            return float(self.alpha)
        return HS_CBOW_ALPHA if self.model == "cbow" and self.hs else DEFAULT_ALPHA[self.model]

    def end_alpha(self, epochs: Optional[int] = None) -> float:
        """The final learning rate of a run of ``epochs`` (default: the configured number).

        ``min_alpha`` when given, else the default schedule's end,
        :func:`default_end_alpha`.
        """
        if self.min_alpha is not None:
            return float(self.min_alpha)
        return default_end_alpha(self.start_alpha, self.epochs if epochs is None else epochs,
                                 self.negative > 0)

    @property
    def model_code(self) -> int:
        """Integer code of the model for the kernels (:mod:`fastw2v.kernels`).

        0 CBOW, 1 skip-gram, 2 skip-gram with shared negatives.
        """
        if self.model == "cbow":
            return CBOW
        return SKIPGRAM_SHARED if self.shared_negatives else SKIPGRAM

    def as_dict(self) -> dict:
        """Plain dict of the settings, with the learning rates resolved."""
        d = dataclasses.asdict(self)
        d["alpha"] = self.start_alpha
        d["min_alpha"] = self.end_alpha()
        return d

    @classmethod
    def from_kwargs(cls, **kwargs) -> "TrainConfig":
        """Build a config from fastw2v's settings or gensim's (:func:`from_gensim`)."""
        kwargs = from_gensim(kwargs)
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(kwargs) - known)
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(unknown)}")
        if kwargs.get("threads", 0) is None:
            kwargs.pop("threads")
        return cls(**kwargs)


def _rename(kwargs, old, new):
    if old in kwargs:
        if new in kwargs:
            raise ConfigError(f"give either {old} or {new}, not both", new)
        kwargs[new] = kwargs.pop(old)


def from_gensim(kwargs):
    """fastw2v's settings from a mix of fastw2v's and ``gensim.models.Word2Vec``'s.

    gensim's names with fastw2v's meaning are renamed (:data:`GENSIM_ALIASES`;
    ``sg=0/1`` is ``model="cbow"/"skipgram"``); gensim's settings fixed to what
    fastw2v always does are dropped at that value and refused at any other
    (:data:`GENSIM_FIXED`); gensim's queue and logging knobs are dropped
    (:data:`GENSIM_IGNORED`); a deprecated name warns and is renamed
    (:data:`DEPRECATED`). Anything else is left for :class:`TrainConfig` to
    accept or refuse.

    Raises
    ------
    ConfigError
        A gensim setting fastw2v cannot honour, or a setting given twice.
    """
    kwargs = dict(kwargs)
    for alias, name in GENSIM_ALIASES.items():
        _rename(kwargs, alias, name)
    if "sg" in kwargs:
        sg = kwargs.pop("sg")
        if "model" in kwargs:
            raise ConfigError("give either sg or model, not both", "model")
        if isinstance(sg, bool) or sg not in (0, 1):
            raise ConfigError(f"sg must be 0 (CBOW) or 1 (skip-gram), not {sg!r}", "model")
        kwargs["model"] = MODELS[int(sg)]
    if "hs" in kwargs and not isinstance(kwargs["hs"], bool) and kwargs["hs"] in (0, 1):
        kwargs["hs"] = bool(kwargs["hs"])  # gensim's 0 / 1
    for name, (value, why) in GENSIM_FIXED.items():
        if name in kwargs:
            given = kwargs.pop(name)
            if not (given is value or (value is not None and given == value)):
                raise ConfigError(f"{name}={given!r} is not supported: {why}", name)
    for name in GENSIM_IGNORED:
        kwargs.pop(name, None)
    for old, new in DEPRECATED.items():
        if old in kwargs and kwargs[old] is None:  # gensim's default, written out: no cap
            del kwargs[old]
        if old in kwargs:
            warnings.warn(f"{old} is deprecated: it is now {new} (gensim's name for a cap on "
                          f"the final vocabulary)", FutureWarning, stacklevel=4)
            _rename(kwargs, old, new)
    return kwargs


def _check_int(name, value, low, high=None):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ConfigError(f"{name} must be an integer, not {value!r}", name)
    if value < low:
        raise ConfigError(f"{name} must be at least {low}, not {value}", name)
    if high is not None and value > high:
        raise ConfigError(f"{name} must be at most {high}, not {value}", name)


def _check_float(name, value, low, strict=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ConfigError(f"{name} must be a number, not {value!r}", name)
    if value != value or value in (float("inf"), float("-inf")):
        raise ConfigError(f"{name} must be finite, not {value}", name)
    if (strict and value <= low) or value < low:
        op = "greater than" if strict else "at least"
        raise ConfigError(f"{name} must be {op} {low}, not {value}", name)
