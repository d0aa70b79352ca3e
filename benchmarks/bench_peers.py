"""Benchmark fastw2v side by side with gensim, word2vec.c and fastText.

Every system trains the same corpus file with the same settings in its own
child process; repeats run round-robin (fastw2v, gensim, ... then again) so
machine noise hits all systems alike.  For each model the table gives the
median words/sec of the whole command, the speed ratio fastw2v/system, the
quality of the written vectors (analogy accuracy, WordSim-353 Spearman), the
child's peak RSS and wall time, and per-phase times where a system reports
them.  See benchmarks/README.md.

Example::

    python benchmarks/bench_peers.py --corpus ptb --model both --repeats 3
    python benchmarks/bench_peers.py --corpus ptb --hs --negative 0   # hierarchical softmax
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# Importing _env sets one BLAS thread for this process, before anything loads numpy.
from _corpus import SPLIT_TOKENS, Corpus, prepare, write_head  # noqa: E402
from _env import DEFAULT_DATA_DIR, DEFAULT_SCRATCH  # noqa: E402
from _quality import evaluate_vectors  # noqa: E402
from _report import fmt, markdown_table, median, write_json  # noqa: E402
from _systems import (  # noqa: E402
    SYSTEMS, Settings, check_systems, machine_info, run_system, unsupported)

# Tokens of the warm-up corpus: enough to touch every code path (and fill
# Numba's on-disk cache), small enough to take about a second.
WARMUP_TOKENS = 20_000


@dataclasses.dataclass(frozen=True)
class RunSpec:
    """One row of the table: a system on a corpus file with a thread count."""

    label: str
    system: str
    corpus_path: Path
    tokens: int
    threads: int
    shared_negatives: bool = False


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", default="ptb",
                   help="ptb, wiki17m (from --data-dir) or a path to a text file, .gz ok "
                        "(default: %(default)s)")
    p.add_argument("--model", choices=("cbow", "skipgram", "both"), default="both",
                   help="which model(s) to train (default: %(default)s)")
    p.add_argument("--systems", default=",".join(SYSTEMS),
                   help="comma-separated subset of %(default)s (default: all)")
    p.add_argument("--threads", type=int, default=2, help="threads per system (default: 2)")
    p.add_argument("--epochs", type=int, default=5, help="training epochs (default: 5)")
    p.add_argument("--repeats", type=int, default=3,
                   help="timed runs per system, the table shows medians (default: 3)")
    p.add_argument("--alpha", type=float, default=None,
                   help="initial learning rate (default: 0.05 cbow, 0.025 skipgram)")
    p.add_argument("--dim", type=int, default=100, help="vector size (default: 100)")
    p.add_argument("--window", type=int, default=5, help="max context window (default: 5)")
    p.add_argument("--negative", type=int, default=5,
                   help="negative samples; 0 turns negative sampling off, which needs --hs "
                        "(default: 5)")
    p.add_argument("--hs", action="store_true",
                   help="hierarchical softmax in every system (fastw2v --hs, gensim hs=1, "
                        "word2vec.c -hs 1, fastText loss='hs'); with --negative 0 it is the "
                        "only output layer, else the two are combined (not in fastText)")
    p.add_argument("--sample", type=float, default=1e-3,
                   help="subsampling threshold (default: 1e-3)")
    p.add_argument("--min-count", type=int, default=5, help="vocabulary cut-off (default: 5)")
    p.add_argument("--seed", type=int, default=1,
                   help="seed for fastw2v and gensim (default: 1)")
    p.add_argument("--vary-seed", action="store_true",
                   help="repeat r uses seed + r, so the quality medians cover seed noise "
                        "(which dominates on a corpus as small as PTB)")
    p.add_argument("--unsplit", action="store_true",
                   help="also run fastw2v on the original long-line file (wiki17m)")
    p.add_argument("--threads-scaling", action="store_true",
                   help="also run fastw2v with 1 thread (2 if --threads 1) and print the ratio")
    p.add_argument("--shared-negatives", action="store_true",
                   help="also run fastw2v skip-gram with --shared-negatives (one set of "
                        "negatives per window)")
    p.add_argument("--no-eval", dest="evaluate", action="store_false",
                   help="skip the analogy / WordSim-353 evaluation")
    p.add_argument("--no-warmup", dest="warmup", action="store_false",
                   help="skip the untimed fastw2v warm-up run (JIT compilation)")
    p.add_argument("--json", type=Path, default=None, help="write all raw runs and the medians to this JSON file")
    p.add_argument("--scratch", type=Path, default=DEFAULT_SCRATCH,
                   help="folder for unpacked/split corpora, vectors and logs "
                        "(default: %(default)s)")
    p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR,
                   help="folder of the shared corpora and evaluation sets "
                        "(default: %(default)s)")
    p.add_argument("--questions", type=Path, default=None,
                   help="analogy file (default: DATA_DIR/questions-words.txt)")
    p.add_argument("--wordsim", type=Path, default=None,
                   help="word-pair file (default: DATA_DIR/wordsim353.tsv)")
    p.add_argument("--restrict-vocab", type=int, default=30000,
                   help="analogies use only the N most frequent words (default: 30000)")
    p.add_argument("--word2vec-bin", default=None, help="path of the word2vec.c binary (default: found via the word2vec package)")
    p.add_argument("--timeout", type=float, default=3600, help="seconds before a run is killed (default: 3600)")
    args = p.parse_args(argv)
    args.systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = set(args.systems) - set(SYSTEMS)
    if unknown:
        p.error(f"unknown systems {sorted(unknown)}; choose from {', '.join(SYSTEMS)}")
    if args.repeats < 1 or args.threads < 1 or args.epochs < 1:
        p.error("--repeats, --threads and --epochs must be >= 1")
    if args.negative < 0 or (args.negative == 0 and not args.hs):
        p.error("--negative must be >= 1, or 0 with --hs (else nothing is trained)")
    args.questions = args.questions or args.data_dir / "questions-words.txt"
    args.wordsim = args.wordsim or args.data_dir / "wordsim353.tsv"
    return args


def plan_runs(args, corpus: Corpus, available: dict, notes: list[str]) -> list[RunSpec]:
    """The rows to run for each model, in round-robin order."""
    settings = settings_for(args, "cbow", args.threads)
    specs = []
    for name in args.systems:
        if name not in available:
            continue
        reason = unsupported(name, settings)
        if reason:
            notes.append(f"{name} skipped: {reason}")
        else:
            specs.append(RunSpec(name, name, corpus.path, corpus.tokens, args.threads))
    have_fastw2v = "fastw2v" in available
    if args.unsplit:
        if not have_fastw2v:
            notes.append("--unsplit ignored: fastw2v is not available")
        elif corpus.unsplit_path is None:
            notes.append("--unsplit ignored: no line of the corpus is longer than "
                         f"{SPLIT_TOKENS} tokens, so it was not split")
        else:
            specs.append(RunSpec("fastw2v (unsplit)", "fastw2v", corpus.unsplit_path,
                                 corpus.tokens, args.threads))
    if args.shared_negatives and not args.negative:
        notes.append("--shared-negatives ignored: --negative 0 draws no negatives to share")
    elif args.shared_negatives and have_fastw2v:
        specs.append(RunSpec("fastw2v (shared negatives)", "fastw2v", corpus.path,
                             corpus.tokens, args.threads, shared_negatives=True))
    if args.threads_scaling:
        if have_fastw2v:
            other = 1 if args.threads > 1 else 2
            specs.append(RunSpec(f"fastw2v ({other} thread{'s' * (other > 1)})", "fastw2v",
                                 corpus.path, corpus.tokens, other))
        else:
            notes.append("--threads-scaling ignored: fastw2v is not available")
    return specs


def settings_for(args, model: str, threads: int) -> Settings:
    return Settings(model=model, dim=args.dim, window=args.window, negative=args.negative,
                    sample=args.sample, min_count=args.min_count, epochs=args.epochs,
                    threads=threads, alpha=args.alpha, seed=args.seed, hs=args.hs)


def work_dir_for(args, model: str) -> Path:
    """Where a model's vectors and logs go: hierarchical-softmax runs apart from the others."""
    loss = settings_for(args, model, args.threads).loss
    return args.scratch / "runs" / (model if loss == "ns" else f"{model}-{loss}")


def slug(label: str) -> str:
    return "".join(c if c.isalnum() or c in ".-" else "_" for c in label).strip("_")


def warm_up(args, model: str, available: dict) -> None:
    """Train fastw2v once on a small head of the corpus, untimed (JIT compile)."""
    if not args.warmup or "fastw2v" not in available:
        return
    head = write_head(args.corpus_path, args.scratch / "warmup.txt", WARMUP_TOKENS)
    s = dataclasses.replace(settings_for(args, model, args.threads), min_count=1, epochs=1)
    print(f"[{model}] fastw2v warm-up on {WARMUP_TOKENS:,} tokens (untimed)", file=sys.stderr)
    record = run_system("fastw2v", s, head, WARMUP_TOKENS,
                        work_dir_for(args, model), "warmup", timeout=args.timeout)
    if record["error"]:
        print(f"  warm-up failed: {record['error']}", file=sys.stderr)


def run_model(args, model: str, specs: list[RunSpec], available: dict,
              evaluate: bool) -> list[dict]:
    """All timed runs of one model, round-robin over the specs."""
    runs = []
    work_dir = work_dir_for(args, model)
    for repeat in range(args.repeats):
        for spec in specs:
            s = settings_for(args, model, spec.threads)
            if spec.shared_negatives:
                s = dataclasses.replace(s, shared_negatives=True)
            if args.vary_seed:
                s = dataclasses.replace(s, seed=args.seed + repeat)
            record = run_system(
                spec.system, s, spec.corpus_path, spec.tokens, work_dir,
                f"{slug(spec.label)}", available[spec.system].get("binary"), args.timeout)
            record.update(label=spec.label, repeat=repeat, quality=None)
            # The log is per repeat; vectors are overwritten by the next repeat.
            log = Path(record["log"])
            kept = log.with_name(f"{log.stem}.r{repeat}.log")
            log.replace(kept)
            record["log"] = str(kept)
            if record["error"] is None and evaluate:
                record["quality"] = evaluate_vectors(Path(record["output"]), args.questions,
                                                     args.wordsim, args.restrict_vocab)
            runs.append(record)
            quality = record["quality"] or {}
            print(f"[{model} {repeat + 1}/{args.repeats}] {spec.label}: "
                  + (f"FAILED {record['error']}" if record["error"] else
                     f"{record['wall_s']:.2f} s, {record['words_per_sec']:,.0f} words/s, "
                     f"{record['peak_rss_mib']:.0f} MiB"
                     + (f", analogy {quality['analogy']:.3f}, "
                        f"ws353 {quality['ws353_spearman']:.3f}" if quality else "")),
                  file=sys.stderr, flush=True)
    return runs


def summarize(specs: list[RunSpec], runs: list[dict]) -> list[dict]:
    """Median figures per row; ratio = fastw2v's median words/sec over the row's."""
    rows = []
    for spec in specs:
        ok = [r for r in runs if r["label"] == spec.label and r["error"] is None]
        quality = [r["quality"] for r in ok if r["quality"]]
        phase_names = list(dict.fromkeys(k for r in ok for k in r["phases"]))
        rows.append({
            "label": spec.label, "system": spec.system, "threads": spec.threads,
            "corpus": str(spec.corpus_path), "runs_ok": len(ok),
            "runs_failed": sum(r["label"] == spec.label and r["error"] is not None
                               for r in runs),
            "words_per_sec": median(r["words_per_sec"] for r in ok),
            "wall_s": median(r["wall_s"] for r in ok),
            "cpu_per_wall": median(r["cpu_s"] / r["wall_s"] for r in ok),
            "cpu_stall_pct": median(r["cpu_stall_pct"] for r in ok),
            "peak_rss_mib": median(r["peak_rss_mib"] for r in ok),
            "analogy": median(q["analogy"] for q in quality),
            "analogy_questions": median(q["analogy_questions"] for q in quality),
            "ws353_spearman": median(q["ws353_spearman"] for q in quality),
            "vocab_size": median(q["vocab_size"] for q in quality),
            "phases": {k: median(r["phases"].get(k) for r in ok) for k in phase_names},
            "self_reported": {key: median(r["self_report"].get(key) for r in ok)
                              for key in ("words_per_sec", "train_words_per_sec")},
        })
    base = next((r["words_per_sec"] for r in rows if r["label"] == "fastw2v"), None)
    for row in rows:
        row["ratio_fastw2v"] = base / row["words_per_sec"] if base and row["words_per_sec"] else None
    return rows


def print_table(args, model: str, corpus: Corpus, rows: list[dict]) -> None:
    s = settings_for(args, model, args.threads)
    print(f"\n## {model} on {corpus.name} ({corpus.tokens:,} tokens x {s.epochs} epochs; "
          f"dim {s.dim}, window {s.window}, {'hs, ' if s.hs else ''}negative {s.negative}, "
          f"sample {s.sample:g}, min_count {s.min_count}, alpha {s.lr:g}, threads {s.threads}; "
          f"median of {args.repeats})\n")
    headers = ["system", "words/s", "fastw2v/x", "analogy", "WS353 rho", "peak RSS MiB",
               "wall s", "CPU/wall", "stall %", "phases s"]
    table = []
    for r in rows:
        if not r["runs_ok"]:
            table.append([r["label"], "failed"] + [None] * (len(headers) - 2))
            continue
        phases = ", ".join(f"{k} {v:.2f}" for k, v in r["phases"].items() if v is not None)
        table.append([r["label"], fmt(r["words_per_sec"], ",.0f"),
                      fmt(r["ratio_fastw2v"], ".2f"), fmt(r["analogy"], ".3f"),
                      fmt(r["ws353_spearman"], ".3f"), fmt(r["peak_rss_mib"], ".0f"),
                      fmt(r["wall_s"], ".2f"), fmt(r["cpu_per_wall"], ".2f"),
                      fmt(r["cpu_stall_pct"], ".0f"), phases or None])
    print(markdown_table(headers, table))
    questions = median(r["analogy_questions"] for r in rows)
    if questions is not None:
        print(f"\nanalogy: accuracy over the questions whose words are all among the "
              f"{args.restrict_vocab:,} most frequent (median {questions:,.0f} questions scored)")
    fast = next((r for r in rows if r["label"] == "fastw2v" and r["runs_ok"]), None)
    reported = ", ".join(f"{key} {value:,.0f}" for key, value in
                         (fast or {}).get("self_reported", {}).items() if value)
    if reported:
        print(f"fastw2v's own --report (median): {reported}")
    first = [(r["label"], r["phases"]["startup"] + r["phases"]["read"]) for r in rows
             if r["system"] == "fastw2v" and r["runs_ok"]
             and r["phases"].get("startup") is not None and r["phases"].get("read") is not None]
    if first:
        print("fastw2v before its first training step (startup + read, median): "
              + ", ".join(f"{label} {seconds:.2f} s" for label, seconds in first))
    scaling = next((r for r in rows if r["label"].startswith("fastw2v (") and "thread" in
                    r["label"] and r["runs_ok"]), None)
    if fast and scaling:
        many, few = sorted([fast, scaling], key=lambda r: r["threads"], reverse=True)
        print(f"fastw2v threads scaling: {many['threads']} threads / {few['threads']} thread"
              f"{'s' * (few['threads'] > 1)} = {many['words_per_sec'] / few['words_per_sec']:.2f}x")


NOTES = [
    "words/s = corpus tokens x epochs / wall time of the whole command (start-up, "
    "vocabulary, training and saving), median over repeats",
    "fastw2v/x = fastw2v's median words/s divided by the row's; > 1 means fastw2v is faster",
    "every system writes word2vec binary vectors; quality is measured afterwards, untimed",
    "fastText runs as plain word2vec: minn=0, maxn=0 (no subwords), wordNgrams=1, loss=ns "
    "(loss=hs with --hs); "
    "its learning rate decays to 0 and it takes no seed in this binding",
    "fastw2v runs with its default learning-rate schedule (README, How it trains) unless "
    "--alpha is given; word2vec.c decays alpha to alpha*1e-4, gensim to its min_alpha 1e-4",
    "CPU/wall = child CPU seconds / wall seconds (about --threads when the cores are free); "
    "stall % = share of the wall time some task waited for a CPU (Linux PSI, machine-wide): "
    "high values mean other work competed for the cores",
    "phases: gensim import/vocab/train/save, fastText import/train (incl. vocab)/save, "
    "fastw2v from its --report, plus startup = wall time minus the report's total "
    "(interpreter start, imports and exit); word2vec.c reports none",
]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    corpus = prepare(args.corpus, args.scratch, args.data_dir)
    args.corpus_path = corpus.path
    available, notes = check_systems(args.systems, args.word2vec_bin)
    evaluate = args.evaluate and importlib.util.find_spec("gensim") is not None
    if args.evaluate and not evaluate:
        notes.append("quality not evaluated: gensim is not installed")
    specs = plan_runs(args, corpus, available, notes)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    if not specs:
        print("nothing to run: none of the requested systems is available", file=sys.stderr)
        return 1
    models = ["cbow", "skipgram"] if args.model == "both" else [args.model]
    all_runs, summary = [], {}
    for model in models:
        warm_up(args, model, available)
        # CBOW already shares one set of negatives per window: no such row
        rows = [spec for spec in specs if model == "skipgram" or not spec.shared_negatives]
        runs = run_model(args, model, rows, available, evaluate)
        all_runs.extend(runs)
        summary[model] = summarize(rows, runs)
    for model in models:
        print_table(args, model, corpus, summary[model])
    failed = [r for r in all_runs if r["error"]]
    print("\nnotes:\n" + "\n".join(f"- {n}" for n in NOTES + notes
                                    + [f"{r['label']} ({r['model']}) failed: {r['error']}"
                                       for r in failed]))
    if args.json:
        write_json(args.json, {
            "corpus": corpus.to_json(),
            "settings": {**dataclasses.asdict(settings_for(args, "cbow", args.threads)),
                         "models": models, "repeats": args.repeats,
                         "alpha": {m: settings_for(args, m, args.threads).lr for m in models},
                         "restrict_vocab": args.restrict_vocab},
            "systems": available, "machine": machine_info(), "notes": NOTES + notes,
            "summary": summary, "runs": all_runs})
    return 0


if __name__ == "__main__":
    sys.exit(main())
