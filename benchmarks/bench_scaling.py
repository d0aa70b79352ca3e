"""Thread scaling of fastw2v's training, measured in pairs that share the noise.

On a shared machine the speed of a whole run drifts by 2x from minute to
minute (other tenants use the same caches and memory), so two commands run
one after the other compare the machine's moods as much as the thread
counts. Here one process reads the corpus once and then trains one epoch
with 1 thread, one with N, one with 1, ... from the same starting vectors
each time. Each adjacent pair gives a ratio; the median of those ratios is
the scaling of the training phase, with slow drift cancelled. The whole
command's scaling adds the serial start-up, read and save, which
``bench_peers.py --threads-scaling`` times as well.

Example::

    python benchmarks/bench_scaling.py --corpus wiki17m --model cbow --rounds 5
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# Importing _env sets one BLAS thread for this process, before anything loads numpy.
from _corpus import prepare  # noqa: E402
from _env import DEFAULT_DATA_DIR, DEFAULT_SCRATCH  # noqa: E402
from _report import fmt, markdown_table, median  # noqa: E402


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", default="wiki17m",
                   help="ptb, wiki17m (from --data-dir) or a path (default: wiki17m)")
    p.add_argument("--model", choices=["cbow", "skipgram"], default="cbow")
    p.add_argument("--shared-negatives", action="store_true",
                   help="skip-gram with one set of negatives per window")
    p.add_argument("--threads", type=int, default=2, help="N, compared with 1 (default: 2)")
    p.add_argument("--rounds", type=int, default=5,
                   help="epochs per thread count, alternated (default: 5)")
    p.add_argument("--scratch", type=Path, default=DEFAULT_SCRATCH)
    p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    args = p.parse_args(argv)
    if args.threads < 2 or args.rounds < 1:
        p.error("--threads must be >= 2 and --rounds >= 1")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    from fastw2v import Word2Vec

    corpus = prepare(args.corpus, args.scratch, args.data_dir)
    model = Word2Vec(model=args.model, shared_negatives=args.shared_negatives,
                     threads=args.threads, epochs=1)
    model.build_vocab(corpus.path)
    start = model.wv.vectors.copy()
    configs = {n: dataclasses.replace(model.config, threads=n) for n in (1, args.threads)}

    def epoch(threads):
        model.config = configs[threads]
        model.wv.vectors[:] = start
        model.syn1neg[:] = 0.0
        return model.train().words_per_sec

    epoch(args.threads)  # untimed: loads the compiled kernels
    speeds = {1: [], args.threads: []}
    ratios = []
    for r in range(args.rounds):
        # alternate which goes first, so a trend favours neither
        order = (1, args.threads) if r % 2 == 0 else (args.threads, 1)
        for threads in order:
            speeds[threads].append(epoch(threads))
        ratios.append(speeds[args.threads][-1] / speeds[1][-1])
        print(f"[round {r + 1}/{args.rounds}] 1 thread {speeds[1][-1]:,.0f} words/s, "
              f"{args.threads} threads {speeds[args.threads][-1]:,.0f} words/s, "
              f"ratio {ratios[-1]:.2f}", file=sys.stderr, flush=True)
    name = args.model + (" (shared negatives)" if args.shared_negatives else "")
    print(f"\n## training-phase thread scaling, {name} on {corpus.name}, "
          f"one epoch a run, {args.rounds} rounds\n")
    rows = [[f"{n} thread{'s' * (n > 1)}", fmt(median(speeds[n]), ",.0f"),
             fmt(min(speeds[n]), ",.0f"), fmt(max(speeds[n]), ",.0f")]
            for n in (1, args.threads)]
    print(markdown_table(["run", "median words/s", "min", "max"], rows))
    print(f"\nmedian of the per-round ratios: {median(ratios):.2f}x "
          f"(min {min(ratios):.2f}, max {max(ratios):.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
