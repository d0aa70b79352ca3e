"""Learning-rate schedules side by side: the sweep behind fastw2v's default.

Reads the corpus once, then trains each schedule with several seeds in this
process and scores the vectors on the Google analogies (restrict_vocab
30000) and WordSim-353 with fastw2v's own evaluators, which give gensim's
answers. Only quality is measured here; ``bench_frontier.py`` adds wall
time and the peers.

A schedule is ``MODEL:EPOCHS:END[:START]`` where END is the final learning
rate as a fraction of the start (``0.5`` = ``alpha / 2``), ``default`` for
fastw2v's default ``alpha / (epochs + 1)``, or ``abs=1e-4`` for an
absolute rate; START is the starting rate (default: the model's, 0.05 CBOW,
0.025 skip-gram); ``skipgram-shared`` is skip-gram with shared negatives.

Example (the sweep quoted in benchmarks/README.md)::

    python benchmarks/bench_schedule.py --corpus wiki17m --seeds 3 \\
        cbow:1:abs=1e-4 cbow:1:0.25 cbow:1:0.5 cbow:1:0.75 cbow:1:1 \\
        cbow:3:abs=1e-4 cbow:3:0.1667 cbow:3:0.25 cbow:3:0.5 \\
        cbow:5:abs=1e-4 cbow:5:0.1 cbow:5:0.25 \\
        skipgram:1:abs=1e-4 skipgram:1:0.5 skipgram-shared:1:0.5
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# Importing _env sets one BLAS thread for this process, before anything loads numpy.
from _corpus import prepare  # noqa: E402
from _env import DEFAULT_DATA_DIR, DEFAULT_SCRATCH  # noqa: E402
from _report import fmt, markdown_table, median  # noqa: E402
from _systems import machine_info  # noqa: E402


def parse_schedule(text):
    """``MODEL:EPOCHS:END[:START]`` -> (label, Word2Vec settings without the seed)."""
    try:
        model, epochs, end, *start = text.split(":")
        epochs = int(epochs)
        start = [float(a) for a in start]
        if len(start) > 1:
            raise ValueError
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not MODEL:EPOCHS:END[:START]") from None
    settings = {"model": "skipgram" if model.startswith("skipgram") else model,
                "shared_negatives": model == "skipgram-shared", "epochs": epochs}
    if model not in ("cbow", "skipgram", "skipgram-shared"):
        raise argparse.ArgumentTypeError(f"unknown model {model!r}")
    if start:
        settings["alpha"] = start[0]
    start = start[0] if start else (0.05 if model == "cbow" else 0.025)
    if end.startswith("abs="):
        settings["min_alpha"] = float(end[4:])
    elif end != "default":
        settings["min_alpha"] = start * float(end)
    return text, settings


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("schedules", nargs="+", type=parse_schedule, metavar="MODEL:EPOCHS:END[:START]")
    p.add_argument("--corpus", default="wiki17m")
    p.add_argument("--seeds", type=int, default=3, help="how many seeds (default: 3)")
    p.add_argument("--first-seed", type=int, default=1,
                   help="seeds run from this one (default: 1, so seeds 1..N)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--hs", action="store_true",
                   help="hierarchical softmax alone (hs=True, negative=0) in every schedule")
    p.add_argument("--scratch", type=Path, default=DEFAULT_SCRATCH)
    p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    args = p.parse_args(argv)
    from fastw2v import Word2Vec

    corpus = prepare(args.corpus, args.scratch, args.data_dir)
    base = Word2Vec(threads=args.threads)
    base.build_vocab(corpus.path)
    questions, wordsim = args.data_dir / "questions-words.txt", args.data_dir / "wordsim353.tsv"
    rows = []
    for label, settings in args.schedules:
        scores = []
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            layers = {"hs": True, "negative": 0} if args.hs else {}
            m = Word2Vec(threads=args.threads, seed=seed, **settings, **layers)
            # read once, shared (with the file list that the run's fingerprint records)
            m.vocab, m.corpus, m._source_files = base.vocab, base.corpus, base._source_files
            m._init_weights()
            m.train()
            analogy, _ = m.wv.evaluate_word_analogies(questions, restrict_vocab=30000)
            _, spearman, _ = m.wv.evaluate_word_pairs(wordsim)
            scores.append((analogy, spearman[0]))
            print(f"[{label} seed {seed}] end alpha {m.config.end_alpha():.5g}: analogy "
                  f"{analogy:.4f}, ws353 {spearman[0]:.4f}", file=sys.stderr, flush=True)
        rows.append([label, f"{m.config.end_alpha():.5g}",
                     fmt(median(a for a, _ in scores), ".4f"),
                     fmt(median(w for _, w in scores), ".4f")])
    loss = ", hierarchical softmax alone" if args.hs else ""
    print(f"\n## schedules on {corpus.name}{loss}, {args.threads} threads, "
          f"median of {args.seeds} seeds\n")
    print(markdown_table(["schedule", "end alpha", "analogy", "WS353"], rows))
    machine = machine_info()
    print(f"\nmachine: {machine['cpu']}, {machine['cpu_count']} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
