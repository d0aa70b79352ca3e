"""Vector quality against wall time: fastw2v's defaults beside its peers.

Every system trains the same corpus at several epoch counts and seeds, each
run a timed child process (as in ``bench_peers.py``); its vectors are then
scored on the Google analogies and WordSim-353. A point of the frontier is
one (system, epochs): the median wall time of the whole command over the
seeds against the median quality. fastw2v runs with its defaults, given only
``--model``, ``--epochs``, ``--threads`` and ``--seed`` (and
``--shared-negatives`` for that row, ``--negative`` and ``--hs`` where asked);
the peers get word2vec.c's settings (alpha 0.05 CBOW / 0.025 skip-gram,
min_alpha 1e-4 for gensim).  ``--hs --negative 0`` draws the frontier of
hierarchical softmax instead of negative sampling.

The check printed under the table: for every gensim point, the best fastw2v
point that finished in at most gensim's wall time must score at least as
well, on both measures ("fastw2v's curve lies at or above gensim's at every
wall time gensim reaches").

Example::

    python benchmarks/bench_frontier.py --corpus wiki17m --epochs 1,3,5 --seeds 3 \\
        --png frontier.png --json frontier.json
    python benchmarks/bench_frontier.py --corpus wiki17m --variants cbow,skipgram \\
        --epochs 5 --seeds 3 --hs --negative 0
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# Importing _env sets one BLAS thread for this process, before anything loads numpy.
from _corpus import prepare  # noqa: E402
from _env import DEFAULT_DATA_DIR, DEFAULT_SCRATCH  # noqa: E402
from _quality import evaluate_vectors  # noqa: E402
from _report import fmt, markdown_table, median, write_json  # noqa: E402
from _systems import (  # noqa: E402
    SYSTEMS, Settings, check_systems, machine_info, run_system, unsupported)

#: The rows: (label, model, fastw2v's --shared-negatives). gensim and the
#: other peers have no shared-negatives variant; that row is compared with
#: their skip-gram.
VARIANTS = {
    "cbow": ("cbow", False),
    "skipgram": ("skipgram", False),
    "shared": ("skipgram", True),
}
#: The scores of a point: (key in the result of evaluate_vectors, name in the tables).
MEASURES = (("analogy", "analogy"), ("ws353_spearman", "WS353"))


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", default="wiki17m",
                   help="ptb, wiki17m (from --data-dir) or a path (default: %(default)s)")
    p.add_argument("--variants", default="cbow,skipgram,shared",
                   help="comma-separated subset of cbow, skipgram, shared (skip-gram with "
                        "--shared-negatives, fastw2v only) (default: %(default)s)")
    p.add_argument("--systems", default="fastw2v,gensim",
                   help=f"comma-separated subset of {', '.join(SYSTEMS)} "
                        "(default: %(default)s)")
    p.add_argument("--epochs", default="1,3,5", help="epoch counts (default: %(default)s)")
    p.add_argument("--seeds", type=int, default=3,
                   help="seeds 1..N per point; the table shows medians (default: 3)")
    p.add_argument("--threads", type=int, default=2, help="threads per run (default: 2)")
    p.add_argument("--negative", type=int, default=5,
                   help="negative samples; 0 turns negative sampling off, which needs --hs "
                        "(default: 5)")
    p.add_argument("--hs", action="store_true",
                   help="hierarchical softmax in every system (fastw2v --hs, gensim hs=1, "
                        "word2vec.c -hs 1, fastText loss='hs'); with --negative 0 it is the "
                        "only output layer")
    p.add_argument("--reuse", default="",
                   help="comma-separated systems whose runs may be taken from earlier "
                        "invocations with the same settings (the peers' results do not "
                        "depend on fastw2v's code); each reused run keeps its own wall "
                        "time and stall %% (default: none)")
    p.add_argument("--png", type=Path, default=None, help="write the plot here (matplotlib)")
    p.add_argument("--json", type=Path, default=None, help="write every run and the medians")
    p.add_argument("--scratch", type=Path, default=DEFAULT_SCRATCH)
    p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    p.add_argument("--restrict-vocab", type=int, default=30000,
                   help="analogies use only the N most frequent words (default: 30000)")
    p.add_argument("--timeout", type=float, default=3600)
    args = p.parse_args(argv)
    args.variants = _split(args.variants)
    args.systems = _split(args.systems)
    args.reuse = set(_split(args.reuse))
    args.epochs = [int(e) for e in _split(args.epochs)]
    bad = (set(args.variants) - set(VARIANTS)) | (set(args.systems) - set(SYSTEMS))
    if bad:
        p.error(f"unknown variants or systems: {', '.join(sorted(bad))}")
    if args.seeds < 1 or args.threads < 1 or min(args.epochs, default=0) < 1:
        p.error("--seeds, --threads and every --epochs value must be >= 1")
    if args.negative < 0 or (args.negative == 0 and not args.hs):
        p.error("--negative must be >= 1, or 0 with --hs (else nothing is trained)")
    if args.negative == 0 and "shared" in args.variants:
        if args.variants == ["shared"]:
            p.error("the shared variant shares negatives: it needs --negative >= 1")
        args.variants.remove("shared")
        print("note: variant shared skipped: --negative 0 draws no negatives to share",
              file=sys.stderr)
    args.questions = args.data_dir / "questions-words.txt"
    args.wordsim = args.data_dir / "wordsim353.tsv"
    return args


def _split(text):
    return [t.strip() for t in text.split(",") if t.strip()]


def settings_for(args, variant, system, epochs, seed):
    """fastw2v: its defaults (alpha, min_alpha None); peers: word2vec.c's rates."""
    model, shared = VARIANTS[variant]
    s = Settings(model=model, epochs=epochs, threads=args.threads, seed=seed,
                 negative=args.negative, hs=args.hs,
                 shared_negatives=shared and system == "fastw2v")
    if system != "fastw2v":
        s = dataclasses.replace(s, alpha=s.lr, min_alpha=1e-4)
    return s


def run_key(system, variant, corpus, s):
    """What makes two runs interchangeable (for --reuse).

    Every setting is part of the key, so a hierarchical-softmax run never stands
    in for a negative-sampling one. ``hs`` is left out while it is off: runs
    cached before the setting existed keep their keys.
    """
    settings = dataclasses.asdict(s)
    if not settings["hs"]:
        del settings["hs"]
    return json.dumps([system, variant, str(corpus), settings], sort_keys=True)


def loss_name(args):
    """The output layer in words, for titles."""
    if not args.hs:
        return f"negative {args.negative}"
    return "hierarchical softmax" + (f" + negative {args.negative}" if args.negative else "")


def load_cache(path):
    if not path.exists():
        return {}
    cache = {}
    for line in path.read_text().splitlines():
        record = json.loads(line)
        cache[record["key"]] = record
    return cache


def run_all(args, corpus, available):
    """Every run, round-robin over systems within each (epochs, seed)."""
    cache_path = args.scratch / "frontier" / "runs.jsonl"
    cache = load_cache(cache_path)
    work = args.scratch / "frontier"
    runs = []
    for variant in args.variants:
        systems = [s for s in args.systems if s in available
                   and (variant != "shared" or s == "fastw2v")]
        for epochs in args.epochs:
            for seed in range(1, args.seeds + 1):
                for system in systems:
                    s = settings_for(args, variant, system, epochs, seed)
                    key = run_key(system, variant, corpus.path, s)
                    if system in args.reuse and key in cache:
                        record = dict(cache[key], reused=True)
                    else:
                        tag = f"{system}-e{epochs}-s{seed}"
                        if s.loss != "ns":  # hs vectors and logs beside, not over, ns ones
                            tag += f"-{s.loss}"
                        record = run_system(
                            system, s, corpus.path, corpus.tokens, work / variant, tag,
                            available[system].get("binary"), args.timeout)
                        record.update(key=key, variant=variant, seed=seed, quality=None,
                                      finished=time.time())
                        if record["error"] is None:
                            record["quality"] = evaluate_vectors(
                                Path(record["output"]), args.questions, args.wordsim,
                                args.restrict_vocab)
                            cache_path.parent.mkdir(parents=True, exist_ok=True)
                            with open(cache_path, "a") as fh:
                                fh.write(json.dumps(record, default=str) + "\n")
                    runs.append(record)
                    q = record["quality"] or {}
                    print(f"[{variant} e{epochs} s{seed}] {system}: "
                          + (f"FAILED {record['error']}" if record["error"] else
                             f"{record['wall_s']:.1f} s, analogy {q.get('analogy', 0):.4f}, "
                             f"ws353 {q.get('ws353_spearman', 0):.4f}"
                             + (" (reused)" if record.get("reused") else "")),
                          file=sys.stderr, flush=True)
    return runs


def summarize(runs):
    """Median wall time and quality per (variant, system, epochs)."""
    groups = {}
    for r in runs:
        if r["error"] is None and r["quality"]:
            groups.setdefault((r["variant"], r["system"], r["epochs"]), []).append(r)
    points = []
    for (variant, system, epochs), rs in groups.items():
        points.append({
            "variant": variant, "system": system, "epochs": epochs, "runs": len(rs),
            "wall_s": median(r["wall_s"] for r in rs),
            "stall_pct": median(r["cpu_stall_pct"] for r in rs),
            **{m: median(r["quality"][m] for r in rs) for m, _ in MEASURES},
        })
    return points


def frontier_checks(points, peer="gensim"):
    """For each peer point: the best fastw2v score reached within the peer's wall time."""
    checks = []
    for p in points:
        if p["system"] != peer:
            continue
        for variant in {q["variant"] for q in points if q["system"] == "fastw2v"}:
            if VARIANTS[variant][0] != VARIANTS[p["variant"]][0]:
                continue
            ours = [q for q in points if q["system"] == "fastw2v" and q["variant"] == variant
                    and q["wall_s"] <= p["wall_s"]]
            row = {"variant": variant, "peer_epochs": p["epochs"], "peer_wall_s": p["wall_s"]}
            for m, _ in MEASURES:
                best = max((q[m] for q in ours), default=None)
                row[m] = (best, p[m])
            row["ok"] = all(b is not None and b >= g for b, g in (row[m] for m, _ in MEASURES))
            checks.append(row)
    return checks


def print_tables(points, checks, args, corpus):
    print(f"\n## quality against wall time on {corpus.name} ({corpus.tokens:,} tokens, "
          f"{loss_name(args)}, {args.threads} threads, median of {args.seeds} seeds)\n")
    rows = []
    for p in sorted(points, key=lambda p: (p["variant"], p["epochs"], p["system"])):
        peer = next((q for q in points if q["system"] == "gensim" and q["epochs"] == p["epochs"]
                     and VARIANTS[q["variant"]][0] == VARIANTS[p["variant"]][0]), None)
        vs = (" / ".join(f"{p[m] / peer[m]:.1%}" if peer[m] else "-" for m, _ in MEASURES)
              if peer and p["system"] != "gensim" else None)
        rows.append([p["variant"], p["system"], p["epochs"], fmt(p["wall_s"], ".1f"),
                     fmt(p["analogy"], ".4f"), fmt(p["ws353_spearman"], ".4f"),
                     vs, fmt(p["stall_pct"], ".0f")])
    print(markdown_table(["variant", "system", "epochs", "wall s", "analogy", "WS353",
                          "vs gensim (analogy / WS353)", "stall %"], rows))
    if checks:
        print("\nfrontier: best fastw2v score within each gensim point's wall time\n")
        crow = []
        for c in checks:
            crow.append([c["variant"], c["peer_epochs"], fmt(c["peer_wall_s"], ".1f")]
                        + [f"{fmt(c[m][0], '.4f')} vs {c[m][1]:.4f}" for m, _ in MEASURES]
                        + ["yes" if c["ok"] else "NO"])
        print(markdown_table(["fastw2v variant", "gensim epochs", "gensim wall s",
                              "analogy", "WS353", "at or above"], crow))


def plot(points, path, title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    lines = sorted({(p["variant"], p["system"]) for p in points})
    for ax, (measure, name) in zip(axes, MEASURES):
        for variant, system in lines:
            pts = sorted((p for p in points if p["variant"] == variant and p["system"] == system),
                         key=lambda p: p["epochs"])
            label = f"{system} {variant}"
            style = "-o" if system == "fastw2v" else "--s"
            ax.plot([p["wall_s"] for p in pts], [p[measure] for p in pts], style, label=label)
            for p in pts:
                ax.annotate(str(p["epochs"]), (p["wall_s"], p[measure]), fontsize=7,
                            textcoords="offset points", xytext=(3, -9))
        ax.set_xscale("log")
        ax.set_xlabel("wall seconds of the whole command (log)")
        ax.set_ylabel(name)
        ax.grid(True, alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle(title + " (numbers: epochs)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"wrote {path}", file=sys.stderr)


def main(argv=None) -> int:
    args = parse_args(argv)
    corpus = prepare(args.corpus, args.scratch, args.data_dir)
    available, notes = check_systems(args.systems, None)
    for system in list(available):
        reason = unsupported(system, settings_for(args, "cbow", system, 1, 1))
        if reason:
            notes.append(f"{system} skipped: {reason}")
            del available[system]
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    if not available:
        print("nothing to run: none of the requested systems is available", file=sys.stderr)
        return 1
    runs = run_all(args, corpus, available)
    points = summarize(runs)
    checks = frontier_checks(points)
    print_tables(points, checks, args, corpus)
    machine = machine_info()
    print(f"\nmachine: {machine['cpu']}, {machine['cpu_count']} CPUs")
    if args.png:
        plot(points, args.png, f"{corpus.name}, {loss_name(args)}, {args.threads} threads, "
                               f"median of {args.seeds} seeds, {machine['cpu']}")
    if args.json:
        write_json(args.json, {"corpus": corpus.to_json(), "machine": machine,
                               "systems": available, "points": points,
                               "checks": checks, "runs": runs})
    return 0 if all(c["ok"] for c in checks) else 2


if __name__ == "__main__":
    sys.exit(main())
