"""The cluster mode against one process: quality, communication, round length, workers.

The corpus is cut into ``--parts`` files (the shards are runs of them). For
every seed, one single-process run with ``--threads`` threads is the
baseline; then ``fastw2v.distributed.train`` runs on a Dask ``LocalCluster``
of W worker processes x 1 thread for each worker count, round length and
combine rule asked for. Each run's vectors are scored (Google analogies,
WordSim-353); the cluster runs also report the bytes moved per round and
the share of the rounds' wall time spent outside the slowest worker's kernel.

More workers than cores is slower but shows the quality effect of combining
more replicas, which is what the round length must be chosen for.

Example::

    python benchmarks/bench_cluster.py --corpus wiki17m --workers 2 \\
        --round-words 250000,500000,1000000,2000000 --rules hot,hot:sync --seeds 3 \\
        --json scratch/cluster.json --png benchmarks/cluster-wiki17m.png
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# Importing _env sets one BLAS thread for this process, before anything loads numpy.
from _corpus import prepare  # noqa: E402
from _env import DEFAULT_DATA_DIR, DEFAULT_SCRATCH  # noqa: E402
from _quality import evaluate_vectors  # noqa: E402
from _report import fmt, markdown_table, median, write_json  # noqa: E402
from _systems import machine_info  # noqa: E402


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", default="wiki17m", help="ptb, wiki17m or a path (default: wiki17m)")
    p.add_argument("--model", choices=["cbow", "skipgram"], default="cbow")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--parts", type=int, default=8, help="files the corpus is cut into (default: 8)")
    p.add_argument("--threads", type=int, default=2,
                   help="threads of the single-process baseline (default: 2)")
    p.add_argument("--workers", default="2", help="worker counts, comma-separated (default: 2)")
    p.add_argument("--round-words", default="2000000",
                   help="words a worker trains per round, comma-separated (default: 2000000)")
    p.add_argument("--rules", default="align",
                   help="combine rules, comma-separated, each RULE[:sync][:float32][:coldK]"
                        "[:everyN] for lockstep rounds, float32 rows, the rarer rows in turns "
                        "over K rounds (cold1: every row every round), the N heaviest rows "
                        "every round (default: align)")
    p.add_argument("--seeds", type=int, default=3, help="seeds 1..N for each setting (default: 3)")
    p.add_argument("--sweep-seeds", type=int, default=1,
                   help="seeds for settings beyond the first worker count (default: 1)")
    p.add_argument("--json", type=Path, default=None)
    p.add_argument("--png", type=Path, default=None, help="quality against round length")
    p.add_argument("--scratch", type=Path, default=DEFAULT_SCRATCH)
    p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    return p.parse_args(argv)


def cut_into_parts(path: Path, parts: int, folder: Path) -> Path:
    """``parts`` files of consecutive lines of about equal size, made once."""
    folder.mkdir(parents=True, exist_ok=True)
    done = folder / ".complete"
    if done.exists() and len(list(folder.glob("part-*.txt"))) == parts:
        return folder
    size = path.stat().st_size
    with open(path, "rb") as src:
        for k in range(parts):
            with open(folder / f"part-{k:03d}.txt", "wb") as dst:
                limit = size * (k + 1) // parts
                while src.tell() < limit or k == parts - 1:
                    line = src.readline()
                    if not line:
                        break
                    dst.write(line)
    done.touch()
    return folder


def score(model, questions, wordsim):
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "v.bin"
        model.wv.save_word2vec_format(out, binary=True)
        return evaluate_vectors(out, questions, wordsim)


def run_local(folder, args, seed):
    from fastw2v import Word2Vec

    t0 = time.perf_counter()
    model = Word2Vec(corpus_file=folder, model=args.model, epochs=args.epochs,
                     threads=args.threads, seed=seed)
    return model, time.perf_counter() - t0


def parse_rule(text):
    """``RULE[:sync][:float32][:coldK][:everyN]`` -> (rule, keyword arguments of ``train``).

    ``sync``: lockstep rounds; ``float32``: unpacked rows; ``coldK``: the
    rarer rows exchanged in turns over K rounds (``cold_rounds``, 1 = every
    row every round); ``everyN``: the N heaviest rows every round
    (``every_round``).
    """
    from fastw2v.distributed import COLD_ROUNDS, EVERY_ROUND

    rule, *options = text.split(":")
    kwargs = dict(overlap=True, half=True, cold_rounds=COLD_ROUNDS, every_round=EVERY_ROUND)
    for option in options:
        if option in ("sync", "float32"):
            kwargs["overlap" if option == "sync" else "half"] = False
        elif option.startswith("cold") and option[4:].isdigit():
            kwargs["cold_rounds"] = int(option[4:])
        elif option.startswith("every") and option[5:].isdigit():
            kwargs["every_round"] = int(option[5:])
        else:
            raise SystemExit(f"unknown rule option {option!r}: "
                             "use RULE[:sync][:float32][:coldK][:everyN]")
    return rule, kwargs


def run_cluster(folder, args, workers, round_words, rule, seed):
    """One cluster run; ``rule`` as :func:`parse_rule` reads it."""
    from dask.distributed import Client, LocalCluster

    from fastw2v.distributed import train

    rule, options = parse_rule(rule)

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        client.run(lambda: __import__("fastw2v.word2vec"))  # numba's start-up, off the clock
        t0 = time.perf_counter()
        model = train(client, folder, round_words=round_words, rule=rule, model=args.model,
                      epochs=args.epochs, seed=seed, **options)
        return model, time.perf_counter() - t0


def main(argv=None) -> int:
    args = parse_args(argv)
    corpus = prepare(args.corpus, args.scratch, args.data_dir)
    folder = cut_into_parts(corpus.path, args.parts, args.scratch / f"{corpus.path.stem}-parts{args.parts}")
    questions, wordsim = args.data_dir / "questions-words.txt", args.data_dir / "wordsim353.tsv"
    workers = [int(w) for w in args.workers.split(",")]
    rounds = [int(r) for r in args.round_words.split(",")]
    rules = args.rules.split(",")
    records = []

    def record(kind, model, seconds, **extra):
        quality = score(model, questions, wordsim)
        rec = {"kind": kind, "seconds": seconds, **extra, **quality,
               "words_per_sec": corpus.tokens * args.epochs / seconds}
        report = getattr(model, "distributed", None)
        if report is not None:
            rec.update(rounds=report.rounds, communication_share=report.communication_share,
                       bytes_per_round=median(report.bytes_per_round),
                       flush_bytes=report.flush_bytes,
                       compute_seconds=sum(report.compute_seconds),
                       combine_seconds=sum(report.combine_seconds),
                       round_seconds=sum(report.round_seconds), failures=len(report.failures))
        records.append(rec)
        print(json.dumps(rec), flush=True)

    for seed in range(1, args.seeds + 1):
        model, seconds = run_local(folder, args, seed)
        record("local", model, seconds, seed=seed, workers=1, threads=args.threads)
    for i, w in enumerate(workers):
        for round_words in rounds:
            for rule in rules:
                for seed in range(1, (args.seeds if i == 0 else args.sweep_seeds) + 1):
                    model, seconds = run_cluster(folder, args, w, round_words, rule, seed)
                    record("cluster", model, seconds, seed=seed, workers=w,
                           round_words=round_words, rule=rule)
    print(summary(records, args))
    if args.json:
        write_json(args.json, {"machine": machine_info(), "corpus": corpus.to_json(),
                               "settings": vars(args) | {"json": str(args.json),
                                                         "png": str(args.png),
                                                         "scratch": str(args.scratch),
                                                         "data_dir": str(args.data_dir)},
                               "runs": records})
    if args.png:
        plot(records, args.png, args)
    return 0


def _groups(records):
    groups = {}
    for r in records:
        key = ("local", 1, 0, "") if r["kind"] == "local" else \
            ("cluster", r["workers"], r["round_words"], r["rule"])
        groups.setdefault(key, []).append(r)
    return groups


def summary(records, args):
    groups = _groups(records)
    base = groups[("local", 1, 0, "")]
    base_a = median(r["analogy"] for r in base)
    base_w = median(r["ws353_spearman"] for r in base)
    rows = []
    for (kind, w, rw, rule), rs in sorted(groups.items()):
        a = median(r["analogy"] for r in rs)
        ws = median(r["ws353_spearman"] for r in rs)
        rows.append([
            "1 process" if kind == "local" else f"{w} workers", fmt(rw or None, ",d") or "-",
            rule or "-", len(rs), fmt(a, ".4f"), fmt(a / base_a, ".1%"), fmt(ws, ".4f"),
            fmt(ws / base_w, ".1%"), fmt(median(r["seconds"] for r in rs), ".1f"),
            fmt(median(r.get("communication_share") for r in rs) if kind != "local" else None,
                ".1%") or "-",
            fmt(median(r.get("bytes_per_round") for r in rs) / 2**20 if kind != "local" else None,
                ".1f") or "-"])
    return markdown_table(
        ["run", "round words", "rule", "seeds", "analogy", "of 1 process", "WS353",
         "of 1 process", "seconds", "outside kernels", "MiB / round"], rows)


def plot(records, png, args):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = _groups(records)
    base = groups[("local", 1, 0, "")]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, metric, label in ((axes[0], "analogy", "analogy accuracy"),
                              (axes[1], "ws353_spearman", "WordSim-353 Spearman")):
        ax.axhline(median(r[metric] for r in base), color="black", linestyle="--",
                   label=f"1 process, {args.threads} threads")
        series = {}
        for (kind, w, rw, rule), rs in groups.items():
            if kind == "cluster":
                series.setdefault((w, rule), []).append((rw, median(r[metric] for r in rs)))
        for (w, rule), points in sorted(series.items()):
            points.sort()
            ax.plot([p[0] for p in points], [p[1] for p in points], marker="o",
                    label=f"{w} workers, {rule}")
        ax.set_xscale("log")
        ax.set_xlabel("words per worker per round")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle(f"fastw2v cluster mode, {args.model}, {args.epochs} epochs "
                 f"({args.corpus} in {args.parts} files)")
    fig.tight_layout()
    fig.savefig(png, dpi=120)


if __name__ == "__main__":
    sys.exit(main())
