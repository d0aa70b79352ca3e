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

``--ceiling`` also measures what the host gives N cores that share nothing:
N one-thread processes, each with its own copy of the model, train the same
epoch at the same moment, alternated with one of them training alone. Their
summed words/sec over the lone one's is the most N threads of one process
could reach on this host (memory bandwidth, shared caches, and the
hypervisor's placement of the vCPUs are in it; shared rows are not).

Example::

    python benchmarks/bench_scaling.py --corpus wiki17m --model cbow --rounds 5 --ceiling
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import subprocess
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
    p.add_argument("--ceiling", action="store_true",
                   help="also time N one-thread processes side by side against one alone")
    p.add_argument("--scratch", type=Path, default=DEFAULT_SCRATCH)
    p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    p.add_argument("--ceiling-worker", type=Path, default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.threads < 2 or args.rounds < 1:
        p.error("--threads must be >= 2 and --rounds >= 1")
    return args


def _epochs(args, corpus_path, threads):
    """A model of ``corpus_path`` and a function that trains it one epoch from the same start.

    The function takes the thread count and returns the epoch's words/sec.
    """
    from fastw2v import Word2Vec

    model = Word2Vec(model=args.model, shared_negatives=args.shared_negatives,
                     threads=max(threads), epochs=1)
    model.build_vocab(corpus_path)
    start = model.wv.vectors.copy()
    configs = {n: dataclasses.replace(model.config, threads=n) for n in threads}

    def epoch(n):
        model.config = configs[n]
        model.wv.vectors[:] = start
        model.syn1neg[:] = 0.0
        return model.train().words_per_sec

    return epoch


def ceiling_worker(args) -> int:
    """A child of :func:`ceiling`: one epoch on one thread for every line on stdin."""
    epoch = _epochs(args, args.ceiling_worker, (1,))
    epoch(1)  # untimed: loads the compiled kernels
    print("ready", flush=True)
    for _ in sys.stdin:
        print(epoch(1), flush=True)
    return 0


def ceiling(args, corpus_path, n):
    """Words/sec of one one-thread process alone and of ``n`` side by side, per round.

    The ``n`` processes read the corpus and load the kernels first; then
    each round starts process 0 alone and all ``n`` together (in alternating
    order), at the same moment, and waits for them. Returns the lone rates
    and the summed rates.
    """
    cmd = [sys.executable, __file__, "--ceiling-worker", str(corpus_path),
           "--model", args.model] + (["--shared-negatives"] if args.shared_negatives else [])
    workers = [subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                env=dict(os.environ)) for _ in range(n)]
    try:
        for w in workers:
            if w.stdout.readline().strip() != "ready":
                raise RuntimeError("a ceiling worker failed to start (its error is above)")

        def together(group):
            for w in group:
                w.stdin.write("go\n")
                w.stdin.flush()
            return [float(w.stdout.readline()) for w in group]

        alone, summed = [], []
        for r in range(args.rounds):
            for size in ((1, n) if r % 2 == 0 else (n, 1)):
                rates = together(workers[:size])
                (alone if size == 1 else summed).append(sum(rates))
            print(f"[ceiling {r + 1}/{args.rounds}] 1 process {alone[-1]:,.0f} words/s, "
                  f"{n} processes {summed[-1]:,.0f} words/s together, "
                  f"ratio {summed[-1] / alone[-1]:.2f}", file=sys.stderr, flush=True)
        return alone, summed
    finally:
        for w in workers:
            w.stdin.close()
        for w in workers:
            w.wait()


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.ceiling_worker is not None:
        return ceiling_worker(args)

    corpus = prepare(args.corpus, args.scratch, args.data_dir)
    epoch = _epochs(args, corpus.path, (1, args.threads))

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
    if args.ceiling:
        del epoch  # the children need the memory more than this model does
        alone, summed = ceiling(args, corpus.path, args.threads)
        print(f"\n## the host's ceiling: {args.threads} one-thread processes side by side, "
              f"{args.rounds} rounds\n")
        rows = [["1 process alone", fmt(median(alone), ",.0f"), fmt(min(alone), ",.0f"),
                 fmt(max(alone), ",.0f")],
                [f"{args.threads} processes together (summed)", fmt(median(summed), ",.0f"),
                 fmt(min(summed), ",.0f"), fmt(max(summed), ",.0f")]]
        print(markdown_table(["run", "median words/s", "min", "max"], rows))
        shares = [t / a for t, a in zip(summed, alone)]
        print(f"\nmedian of the per-round ratios: {median(shares):.2f}x "
              f"(min {min(shares):.2f}, max {max(shares):.2f}): the most {args.threads} "
              f"threads could reach here ({median(ratios) / median(shares):.0%} of it reached)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
