"""Child-side entry points for the Python peers, gensim and fastText.

They run inside the timed child process (see ``_systems.build_command``), so
this module imports only the standard library at the top; numpy, gensim and
fasttext are imported where they are used, inside the timed phases.  Each
entry point takes one JSON argument (the ``Settings`` fields plus lr, corpus,
output and report), trains, writes word2vec binary vectors and a report of
per-phase seconds.
"""

from __future__ import annotations

import json
import time
from pathlib import Path


def _write_phases(path: str, phases: dict, **extra) -> None:
    Path(path).write_text(json.dumps({"phases": phases, **extra}, indent=1))


def write_word2vec_binary(path: Path | str, words: list[str], vectors) -> None:
    """Write vectors in word2vec's binary format (header, then word + float32 row)."""
    import numpy as np

    vectors = np.ascontiguousarray(vectors, dtype="<f4")
    with open(path, "wb") as handle:
        handle.write(f"{len(words)} {vectors.shape[1]}\n".encode())
        for word, row in zip(words, vectors):
            handle.write(word.encode("utf-8") + b" " + row.tobytes() + b"\n")


def gensim_child(argv: list[str]) -> int:
    """Train gensim ``Word2Vec`` from ``corpus_file`` (its fastest input path)."""
    spec = json.loads(argv[0])
    t0 = time.perf_counter()
    from gensim.models import Word2Vec

    t1 = time.perf_counter()
    model = Word2Vec(vector_size=spec["dim"], window=spec["window"], negative=spec["negative"],
                     hs=int(spec["hs"]), sample=spec["sample"], min_count=spec["min_count"],
                     sg=int(spec["model"] == "skipgram"), alpha=spec["lr"],
                     seed=spec["seed"], workers=spec["threads"], epochs=spec["epochs"],
                     **({} if spec["min_alpha"] is None else {"min_alpha": spec["min_alpha"]}))
    model.build_vocab(corpus_file=spec["corpus"])
    t2 = time.perf_counter()
    # The same call Word2Vec(corpus_file=...) makes after building the vocabulary.
    model.train(corpus_file=spec["corpus"], total_examples=model.corpus_count,
                total_words=model.corpus_total_words, epochs=model.epochs)
    t3 = time.perf_counter()
    model.wv.save_word2vec_format(spec["output"], binary=True)
    t4 = time.perf_counter()
    _write_phases(spec["report"], {"import": t1 - t0, "vocab": t2 - t1, "train": t3 - t2,
                                   "save": t4 - t3}, vocab_size=len(model.wv.index_to_key))
    return 0


def fasttext_child(argv: list[str]) -> int:
    """Train fastText as plain word2vec: subwords off (minn = maxn = 0).

    Its loss is negative sampling or, with ``hs``, hierarchical softmax (fastText
    cannot combine the two; ``_systems.unsupported`` refuses that before).

    With no subwords and wordNgrams = 1 the binding sets bucket = 0, so a
    word's vector is exactly its row of the input matrix, written directly.
    """
    spec = json.loads(argv[0])
    # fastText keeps a word with probability sqrt(t/f) + t/f, so t = 0 would
    # discard every word; "no subsampling" is t = 1 (keep probability >= 1).
    sample = spec["sample"] if spec["sample"] > 0 else 1.0
    t0 = time.perf_counter()
    import fasttext
    import numpy as np

    t1 = time.perf_counter()
    model = fasttext.train_unsupervised(
        input=spec["corpus"], model=spec["model"], dim=spec["dim"], ws=spec["window"],
        neg=spec["negative"], t=sample, minCount=spec["min_count"],
        epoch=spec["epochs"], thread=spec["threads"], lr=spec["lr"], minn=0, maxn=0,
        wordNgrams=1, loss="hs" if spec["hs"] else "ns", verbose=0)  # this binding takes no seed
    t2 = time.perf_counter()
    words = model.get_words(on_unicode_error="replace")
    matrix = model.get_input_matrix()[: len(words)]
    if words and not np.allclose(model.get_word_vector(words[0]), matrix[0]):
        raise RuntimeError("fastText input row differs from get_word_vector; subwords on?")
    write_word2vec_binary(spec["output"], words, matrix)
    t3 = time.perf_counter()
    # fastText builds its vocabulary inside train_unsupervised: "train" includes it.
    _write_phases(spec["report"], {"import": t1 - t0, "train": t2 - t1, "save": t3 - t2},
                  vocab_size=len(words))
    return 0
