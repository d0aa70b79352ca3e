"""Training speed of two or more builds of fastw2v, side by side, in alternating rounds.

A kernel change is judged against the build before it, on the same host, in
the same minutes: the speed of one run drifts by more than most changes are
worth (benchmarks/README.md, "Noise"). Each build named (a git revision, or
``.`` for the working tree as it is) is unpacked into the scratch folder and
gets one child process, with that tree first on ``PYTHONPATH``. Every child
reads the corpus and trains one untimed epoch (loading or compiling its
kernels); then each round asks every build, in turn and in an order that
alternates, for one epoch from the same starting vectors. Only one child
trains at a time.

The table gives each build's median words/sec of the training phase and the
median of its per-round ratios to the first build. With one thread a child
also reports a digest of its vectors after the last epoch: builds that
train the same arithmetic on the same random draws give the same digest,
and a change meant to be pure speed is shown to be one.

Example::

    python benchmarks/bench_builds.py --builds HEAD~1,HEAD --model cbow --rounds 3
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# Importing _env sets one BLAS thread for this process, before anything loads numpy.
from _corpus import prepare  # noqa: E402
from _env import BENCH_DIR, DEFAULT_DATA_DIR, DEFAULT_SCRATCH, REPO_ROOT, child_env  # noqa: E402
from _report import fmt, markdown_table, median  # noqa: E402
from _systems import machine_info  # noqa: E402

#: The working tree, as a build name.
WORKING_TREE = "."


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--builds", default="HEAD," + WORKING_TREE,
                   help="comma-separated git revisions, '.' for the working tree; the first is "
                        "the baseline (default: HEAD,.)")
    p.add_argument("--corpus", default="wiki17m",
                   help="ptb, wiki17m (from --data-dir) or a path (default: wiki17m)")
    p.add_argument("--model", choices=["cbow", "skipgram"], default="cbow")
    p.add_argument("--threads", type=int, default=1, help="training threads (default: 1)")
    p.add_argument("--rounds", type=int, default=3,
                   help="timed epochs per build, alternated (default: 3)")
    p.add_argument("--hs", action="store_true",
                   help="hierarchical softmax (with --negative 0, the only output layer)")
    p.add_argument("--negative", type=int, default=5)
    p.add_argument("--scratch", type=Path, default=DEFAULT_SCRATCH)
    p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    p.add_argument("--worker", type=Path, default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.builds = [b.strip() for b in args.builds.split(",") if b.strip()]
    if len(args.builds) < 2 or args.rounds < 1 or args.threads < 1:
        p.error("--builds needs two builds or more, --rounds and --threads at least 1")
    return args


def _git(*args) -> str:
    return subprocess.run(["git", "-C", str(REPO_ROOT), *args], check=True,
                          capture_output=True, text=True).stdout


def unpack(build: str, scratch: Path) -> Path:
    """A folder holding ``build``'s tree: the revision's files, or the working tree's.

    A revision's folder is kept between runs (its compiled kernels with it);
    the working tree is copied afresh each run (its tracked and untracked,
    not ignored, files).
    """
    if build == WORKING_TREE:
        dst = scratch / "builds" / "working-tree"
        shutil.rmtree(dst, ignore_errors=True)
        files = _git("ls-files", "--cached", "--others", "--exclude-standard", "-z").split("\0")
        for name in filter(None, files):
            src = REPO_ROOT / name
            if src.is_file():
                (dst / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dst / name)
        return dst
    sha = _git("rev-parse", "--verify", build + "^{commit}").strip()
    dst = scratch / "builds" / sha
    if not (dst / "fastw2v" / "__init__.py").is_file():
        shutil.rmtree(dst, ignore_errors=True)
        dst.mkdir(parents=True)
        archive = subprocess.run(["git", "-C", str(REPO_ROOT), "archive", sha],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dst)], input=archive, check=True)
    return dst


def worker(args) -> int:
    """A child: one epoch from the same start for every line on stdin, its words/sec on stdout."""
    import logging

    import numpy as np

    import fastw2v
    from fastw2v import Word2Vec

    # each epoch is a new train() call from the same start: that is the point, not news
    logging.getLogger("fastw2v").setLevel(logging.ERROR)

    model = Word2Vec(model=args.model, threads=args.threads, epochs=1, hs=args.hs,
                     negative=args.negative, seed=1)
    model.build_vocab(corpus_file=str(args.worker))
    start = model.wv.vectors.copy()
    outputs = [m for m in (model.syn1neg, model.syn1) if m is not None]

    def epoch():
        model.wv.vectors[:] = start
        for m in outputs:
            m[:] = 0.0
        return model.train(epochs=1).words_per_sec

    epoch()  # untimed: loads (or compiles) the kernels
    print("ready", Path(fastw2v.__file__).parent.parent, flush=True)
    for line in sys.stdin:
        if line.strip() == "digest":
            digest = hashlib.sha1(np.ascontiguousarray(model.wv.vectors).tobytes())
            print(digest.hexdigest()[:16], flush=True)
        else:
            print(epoch(), flush=True)
    return 0


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.worker is not None:
        return worker(args)

    corpus = prepare(args.corpus, args.scratch, args.data_dir)
    trees = [unpack(b, args.scratch) for b in args.builds]
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", str(corpus.path),
           "--model", args.model, "--threads", str(args.threads),
           "--negative", str(args.negative)] + (["--hs"] if args.hs else [])
    workers = []
    try:
        for build, tree in zip(args.builds, trees):
            env = child_env("fastw2v", args.threads)
            # the build's tree first (not the working tree child_env names, nor an installed one)
            env["PYTHONPATH"] = os.pathsep.join([str(tree), str(BENCH_DIR)])
            w = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                 env=env, cwd=str(args.scratch))
            workers.append(w)
            reply = w.stdout.readline().split()
            if not reply or reply[0] != "ready":
                raise RuntimeError(f"the worker of build {build} failed to start "
                                   "(its error is above)")
            if Path(reply[1]).resolve() != tree.resolve():
                raise RuntimeError(f"build {build} imported fastw2v from {reply[1]}, not {tree}")
            print(f"[{build}] ready ({tree})", file=sys.stderr, flush=True)

        def ask(w, what):
            w.stdin.write(what + "\n")
            w.stdin.flush()
            return w.stdout.readline().strip()

        rates = [[] for _ in workers]
        for r in range(args.rounds):
            order = range(len(workers)) if r % 2 == 0 else reversed(range(len(workers)))
            for i in order:
                rates[i].append(float(ask(workers[i], "go")))
            print(f"[round {r + 1}/{args.rounds}] "
                  + ", ".join(f"{b} {x[-1]:,.0f}" for b, x in zip(args.builds, rates)),
                  file=sys.stderr, flush=True)
        digests = [ask(w, "digest") for w in workers] if args.threads == 1 else None
    finally:
        for w in workers:
            w.stdin.close()
        for w in workers:
            w.wait()

    layers = ("hierarchical softmax" if args.negative == 0 else "negative sampling and HS") \
        if args.hs else "negative sampling"
    info = machine_info()
    print(f"\n## training phase, {args.model} ({layers}) on {corpus.name}, {args.threads} "
          f"thread{'s' * (args.threads > 1)}, one epoch a run, {args.rounds} rounds\n")
    print(f"host: {info.get('cpu')}, model {info.get('cpu_model')}, "
          f"{info.get('cpu_count')} CPUs\n")
    rows = []
    for i, build in enumerate(args.builds):
        ratios = [x / b for x, b in zip(rates[i], rates[0])]
        rows.append([build, fmt(median(rates[i]), ",.0f"), fmt(min(rates[i]), ",.0f"),
                     fmt(max(rates[i]), ",.0f"), f"{median(ratios):.3f}x",
                     digests[i] if digests else "-"])
    print(markdown_table(["build", "median words/s", "min", "max",
                          f"ratio to {args.builds[0]} (median)", "vectors digest"], rows))
    if digests:
        same = len(set(digests)) == 1
        print("\nvectors after the last epoch: "
              + ("identical in every build" if same else "differ between builds"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
