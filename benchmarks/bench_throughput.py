"""Training throughput of fastw2v against the pure NumPy reference (issue #3).

fastw2v trains the whole corpus (default one epoch) through its CLI in a
child process; the textbook NumPy reference (``fastw2v.reference``) trains a
fixed slice of the same corpus (default 100,000 tokens) in another child.
Both use dim 100, window 5, negative 5 and the same vocabulary.  The headline
ratio compares training-loop words/sec: fastw2v's ``train`` phase from its
``--report`` against the wall time of the reference's ``Trainer.fit``.
``--peers`` adds gensim, fastText and word2vec.c on the same settings.
See benchmarks/README.md.

Example::

    python benchmarks/bench_throughput.py --json /tmp/throughput.json
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import inspect
import io
import json
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# Importing _env sets one BLAS thread for this process, before anything loads numpy.
from _corpus import (  # noqa: E402
    NAMED_CORPORA, Corpus, head_tokens, iter_token_chunks, prepare, write_head)
from _env import BENCH_DIR, DEFAULT_DATA_DIR, DEFAULT_SCRATCH, child_env  # noqa: E402
from _report import fmt, markdown_table, median, write_json  # noqa: E402
from _systems import Settings, check_systems, machine_info, run_system  # noqa: E402
from _timing import run_timed  # noqa: E402

WARMUP_TOKENS = 20_000
PEERS = ("gensim", "fasttext", "word2vec.c")


def default_corpus(scratch: Path) -> Path:
    """PTB beside the project root when present, else a generated corpus."""
    ptb = DEFAULT_DATA_DIR / NAMED_CORPORA["ptb"]
    if ptb.is_file():
        return ptb
    return write_zipf_corpus(scratch / "zipf_topics_1000000.txt")


def write_zipf_corpus(path: Path, n_tokens: int = 1_000_000, vocab_size: int = 10_000,
                      n_topics: int = 20, seed: int = 0) -> Path:
    """Write a seeded Zipfian topic corpus (used when PTB is not at hand).

    Each sentence (5-29 tokens) has one topic.  A token is a shared
    "function word" with probability 0.4, else a word of the sentence's topic;
    within each group words are drawn with Zipf weights 1/rank, the shape of
    word frequencies in real text.  Words are named ``w<id>``.  The file is
    deterministic, so an existing one is reused.
    """
    import numpy as np

    if path.is_file():
        return path
    rng = np.random.default_rng(seed)
    n_shared = vocab_size // 10
    per_topic = (vocab_size - n_shared) // n_topics

    def zipf(n: int):
        weights = 1.0 / np.arange(1, n + 1)
        return weights / weights.sum()

    lengths = rng.integers(5, 30, size=n_tokens // 5)
    lengths = lengths[: np.searchsorted(np.cumsum(lengths), n_tokens) + 1]
    topic = np.repeat(rng.integers(n_topics, size=lengths.size), lengths)
    shared = rng.random(topic.size) < 0.4
    ids = np.where(shared, rng.choice(n_shared, size=topic.size, p=zipf(n_shared)),
                   n_shared + topic * per_topic
                   + rng.choice(per_topic, size=topic.size, p=zipf(per_topic)))
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    with open(part, "w") as handle:
        for sentence in np.split(ids, np.cumsum(lengths)[:-1]):
            handle.write(" ".join(f"w{i}" for i in sentence) + "\n")
    part.replace(path)
    return path


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", default=None,
                   help="ptb, wiki17m or a path (default: ../shared/data/ptb.train.txt beside "
                        "the project root, else a generated Zipfian topic corpus in --scratch)")
    p.add_argument("--model", choices=("cbow", "skipgram"), default="cbow",
                   help="model to train (default: %(default)s)")
    p.add_argument("--threads", type=int, default=1,
                   help="fastw2v (and peer) threads; the reference is single-threaded NumPy "
                        "(default: 1, a one-core comparison)")
    p.add_argument("--epochs", type=int, default=1, help="fastw2v/peer epochs (default: 1)")
    p.add_argument("--dim", type=int, default=100, help="vector size (default: 100)")
    p.add_argument("--window", type=int, default=5, help="context window (default: 5)")
    p.add_argument("--negative", type=int, default=5, help="negative samples (default: 5)")
    p.add_argument("--sample", type=float, default=0.0,
                   help="fastw2v/peer subsampling threshold (default: 0, no subsampling, "
                        "like the reference)")
    p.add_argument("--min-count", type=int, default=5,
                   help="vocabulary cut-off, counted over the whole corpus, for every system "
                        "(default: 5)")
    p.add_argument("--alpha", type=float, default=None,
                   help="fastw2v/peer learning rate (default: 0.05 cbow, 0.025 skipgram)")
    p.add_argument("--seed", type=int, default=1, help="seed (default: 1)")
    p.add_argument("--repeats", type=int, default=1,
                   help="timed fastw2v/peer runs, medians reported (default: 1)")
    p.add_argument("--ref-tokens", type=int, default=100_000,
                   help="tokens of the corpus head the reference trains on (default: 100000)")
    p.add_argument("--ref-epochs", type=int, default=1, help="reference epochs (default: 1)")
    p.add_argument("--ref-batch-size", type=int, default=100,
                   help="reference minibatch size (default: 100, the book's)")
    p.add_argument("--ref-optimizer", choices=("adam", "sgd"), default="adam",
                   help="reference optimizer (default: adam, the book's)")
    p.add_argument("--ref-lr", type=float, default=None,
                   help="reference learning rate (default: the optimizer's own default)")
    p.add_argument("--peers", action="store_true",
                   help="also run gensim, fastText and word2vec.c on the same settings")
    p.add_argument("--no-warmup", dest="warmup", action="store_false",
                   help="skip the untimed fastw2v warm-up run (JIT compilation)")
    p.add_argument("--json", type=Path, default=None, help="write the results to this JSON file")
    p.add_argument("--scratch", type=Path, default=DEFAULT_SCRATCH,
                   help="folder for generated corpora, vectors and logs (default: %(default)s)")
    p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR,
                   help="folder of the named corpora (default: %(default)s)")
    p.add_argument("--word2vec-bin", default=None, help="path of the word2vec.c binary")
    p.add_argument("--timeout", type=float, default=3600,
                   help="seconds before a run is killed (default: 3600)")
    args = p.parse_args(argv)
    if min(args.threads, args.epochs, args.repeats, args.ref_tokens, args.ref_epochs,
           args.ref_batch_size) < 1:
        p.error("counts (--threads, --epochs, --repeats, --ref-*) must be >= 1")
    return args


# ------------------------------------------------------------ reference side


def reference_child(argv: list[str]) -> int:
    """Train ``fastw2v.reference`` on the corpus head; runs in a timed child.

    The vocabulary is the words with at least ``min_count`` occurrences in
    the whole corpus (fastw2v's), ids by descending count; slice tokens
    outside it are dropped, as word2vec drops rare words.  Words/sec counts
    the target positions ``Trainer.fit`` visits (whole batches only) x epochs
    over the wall time of ``fit``.
    """
    spec = json.loads(argv[0])
    t0 = time.perf_counter()
    import numpy as np

    from fastw2v import reference as ref

    t1 = time.perf_counter()
    counts = Counter()
    for tokens in iter_token_chunks(Path(spec["corpus"])):
        counts.update(tokens)
    vocab = sorted((w for w, c in counts.items() if c >= spec["min_count"]),
                   key=lambda w: (-counts[w], w))
    word_to_id = {w: i for i, w in enumerate(vocab)}
    words = head_tokens(Path(spec["corpus"]), spec["ref_tokens"])
    ids = np.array([word_to_id[w] for w in words if w in word_to_id], dtype=np.int64)
    contexts, target = ref.create_contexts_target(ids, spec["window"])
    np.random.seed(spec["seed"])  # the book's global-state randomness
    model_class = ref.CBOW if spec["model"] == "cbow" else ref.SkipGram
    model = model_class(len(vocab), spec["dim"], spec["window"], ids,
                        **_accepted(model_class, sample_size=spec["negative"],
                                    seed=spec["seed"]))
    optimizer_class = ref.Adam if spec["optimizer"] == "adam" else ref.SGD
    optimizer = optimizer_class(**({"lr": spec["lr"]} if spec["lr"] is not None else {}))
    trainer = ref.Trainer(model, optimizer, **_accepted(ref.Trainer, verbose=False))
    fit_kwargs = _accepted(trainer.fit, verbose=False)
    t2 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):  # the book's fit prints progress
        losses = trainer.fit(contexts, target, max_epoch=spec["epochs"],
                             batch_size=spec["batch_size"], **fit_kwargs)
    t3 = time.perf_counter()
    batch = spec["batch_size"]
    processed = len(target) // batch * batch * spec["epochs"]
    losses = list(losses or getattr(trainer, "loss_list", []))
    Path(spec["report"]).write_text(json.dumps({
        "phases": {"import": t1 - t0, "setup": t2 - t1, "train": t3 - t2},
        "vocab_size": len(vocab), "slice_tokens": len(words), "kept_tokens": int(ids.size),
        "target_positions": int(len(target)), "processed_words": processed,
        "words_per_sec": processed / (t3 - t2),
        "loss_first": losses[0] if losses else None, "loss_last": losses[-1] if losses else None,
    }, indent=1))
    return 0


def _accepted(function, **kwargs) -> dict:
    """The keyword arguments ``function`` (or a class's __init__) accepts."""
    params = inspect.signature(function).parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return kwargs
    return {k: v for k, v in kwargs.items() if k in params}


def run_reference(args, corpus: Corpus, work_dir: Path) -> dict:
    """Run ``reference_child`` as a timed child; return its record."""
    report = work_dir / "reference.report.json"
    report.unlink(missing_ok=True)
    spec = {"corpus": str(corpus.path), "ref_tokens": args.ref_tokens, "model": args.model, "dim": args.dim,
            "window": args.window, "negative": args.negative, "min_count": args.min_count,
            "epochs": args.ref_epochs, "batch_size": args.ref_batch_size,
            "optimizer": args.ref_optimizer, "lr": args.ref_lr, "seed": args.seed,
            "report": str(report)}
    code = (f"import sys; sys.path.insert(0, {str(BENCH_DIR)!r}); "
            "import bench_throughput as b; sys.exit(b.reference_child(sys.argv[1:]))")
    result = run_timed([sys.executable, "-c", code, json.dumps(spec)],
                       child_env("reference", 1), work_dir / "reference.log",
                       args.timeout)
    record = {"system": "reference", **result, "error": None}
    if result["returncode"] != 0 or not report.exists():
        log = (work_dir / "reference.log").read_text(errors="replace").strip().splitlines()
        record["error"] = f"exit code {result['returncode']}: " + " | ".join(log[-3:])
        return record
    data = json.loads(report.read_text())
    record.update(data, train_s=data["phases"]["train"],
                  words_per_sec_command=data["processed_words"] / result["wall_s"])
    return record


# ---------------------------------------------------------------- main


def run_trainer_systems(args, corpus: Corpus, systems: list[str], available: dict,
                        work_dir: Path) -> dict:
    """Timed runs of fastw2v and the peers on the whole corpus; medians per system."""
    s = Settings(model=args.model, dim=args.dim, window=args.window,
                 negative=args.negative, sample=args.sample, min_count=args.min_count,
                 epochs=args.epochs, threads=args.threads, alpha=args.alpha,
                 seed=args.seed)
    if args.warmup and "fastw2v" in systems:
        head = write_head(corpus.path, args.scratch / "warmup.txt", WARMUP_TOKENS)
        run_system("fastw2v", dataclasses.replace(s, min_count=1), head, WARMUP_TOKENS,
                   work_dir, "warmup", timeout=args.timeout)
    runs: dict[str, list[dict]] = {name: [] for name in systems}
    for _ in range(args.repeats):
        for name in systems:
            record = run_system(name, s, corpus.path, corpus.tokens, work_dir, name,
                                available[name].get("binary"), args.timeout)
            runs[name].append(record)
            print(f"{name}: " + (f"FAILED {record['error']}" if record["error"] else
                                 f"{record['wall_s']:.2f} s"), file=sys.stderr, flush=True)
    results = {}
    for name, records in runs.items():
        ok = [r for r in records if r["error"] is None]
        train = [r["phases"].get("train") for r in ok]
        results[name] = {
            "words": corpus.tokens * args.epochs,
            "wall_s": median(r["wall_s"] for r in ok),
            "words_per_sec_command": median(r["words_per_sec"] for r in ok),
            "train_s": median(train),
            "words_per_sec": median(corpus.tokens * args.epochs / t
                                    for t in train if t),
            "self_reported": {key: median(r["self_report"].get(key) for r in ok)
                              for key in ("words_per_sec", "train_words_per_sec")},
            "peak_rss_mib": median(r["peak_rss_mib"] for r in ok),
            "phases": {k: median(r["phases"].get(k) for r in ok)
                       for k in dict.fromkeys(k for r in ok for k in r["phases"])},
            "errors": [r["error"] for r in records if r["error"]],
            "runs": records,
        }
    return results


def print_table(args, corpus: Corpus, results: dict) -> None:
    headers = ["system", "words trained", "wall s", "words/s (command)", "train s",
               "words/s (train loop)", "fastw2v/x (train loop)", "peak RSS MiB"]
    base = (results.get("fastw2v") or {}).get("words_per_sec")
    rows = []
    for name, r in results.items():
        if r.get("wall_s") is None or r.get("error"):
            rows.append([name, "failed"] + [None] * (len(headers) - 2))
            continue
        words = r.get("processed_words", r.get("words"))
        ratio = base / r["words_per_sec"] if base and r.get("words_per_sec") else None
        rows.append([name, fmt(words, ",d"), fmt(r["wall_s"], ".2f"),
                     fmt(r.get("words_per_sec_command"), ",.0f"),
                     fmt(r.get("train_s"), ".2f"), fmt(r.get("words_per_sec"), ",.0f"),
                     fmt(ratio, ".1f"), fmt(r["peak_rss_mib"], ".0f")])
    print(f"\n## throughput, {args.model} on {corpus.name} ({corpus.tokens:,} tokens; dim "
          f"{args.dim}, window {args.window}, negative {args.negative}, sample {args.sample:g}, "
          f"min_count {args.min_count}, threads {args.threads}, {args.epochs} epoch(s))\n")
    print(markdown_table(headers, rows))


def notes_for(args) -> list[str]:
    return [
        f"fastw2v (and peers) train the whole corpus for {args.epochs} epoch(s); the reference "
        f"trains its first {args.ref_tokens:,} tokens for {args.ref_epochs} epoch(s) with "
        f"{args.ref_optimizer} (batch {args.ref_batch_size}, single-threaded NumPy)",
        "words/s (train loop): fastw2v and gensim = corpus tokens x epochs / their 'train' "
        "phase; fastText's 'train' phase includes reading the vocabulary; the reference = "
        "target positions visited x epochs / wall time of Trainer.fit; word2vec.c has none",
        "words/s (command) = the same words / wall time of the whole child process",
        "vocabulary for every system: words with count >= min_count in the whole corpus",
        "not identical work per word: word2vec-style trainers shrink the window at random "
        "(mean (window+1)/2 a side) while the reference always uses the full window; the "
        "reference's Embedding gradient and Adam touch the whole (vocab x dim) matrices "
        "every batch, so its speed falls as the vocabulary grows",
    ]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    source = args.corpus or str(default_corpus(args.scratch))
    corpus = prepare(source, args.scratch, args.data_dir)
    work_dir = args.scratch / "runs" / "throughput"
    wanted = ["fastw2v"] + (list(PEERS) if args.peers else [])
    available, notes = check_systems(wanted, args.word2vec_bin)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    systems = [name for name in wanted if name in available]
    results = run_trainer_systems(args, corpus, systems, available, work_dir)
    print(f"reference: training {args.ref_tokens:,} tokens ...", file=sys.stderr, flush=True)
    results["reference"] = run_reference(args, corpus, work_dir)
    if results["reference"]["error"]:
        notes.append(f"reference failed: {results['reference']['error']}")
    print_table(args, corpus, results)
    fast, ref = results.get("fastw2v") or {}, results["reference"]
    ratio = (fast["words_per_sec"] / ref["words_per_sec"]
             if fast.get("words_per_sec") and ref.get("words_per_sec") else None)
    ratio_command = (fast["words_per_sec_command"] / ref["words_per_sec_command"]
                     if fast.get("words_per_sec_command") and ref.get("words_per_sec_command")
                     else None)
    if ratio:
        print(f"\nfastw2v / reference (training loop): {ratio:,.1f}x; "
              f"whole command: {ratio_command:,.1f}x")
    notes = notes_for(args) + notes
    print("\nnotes:\n" + "\n".join(f"- {n}" for n in notes))
    if args.json:
        write_json(args.json, {
            "fastw2v": fast, "reference": ref, "ratio": ratio, "ratio_command": ratio_command,
            "settings": {"corpus": corpus.to_json(), "model": args.model, "dim": args.dim,
                         "window": args.window, "negative": args.negative,
                         "sample": args.sample, "min_count": args.min_count,
                         "threads": args.threads, "epochs": args.epochs,
                         "alpha": args.alpha, "seed": args.seed, "repeats": args.repeats,
                         "reference": {"tokens": args.ref_tokens, "epochs": args.ref_epochs,
                                       "batch_size": args.ref_batch_size,
                                       "optimizer": args.ref_optimizer, "lr": args.ref_lr}},
            "peers": {name: results[name] for name in PEERS if name in results},
            "systems": available, "machine": machine_info(), "notes": notes})
    return 0 if ref.get("words_per_sec") else 1


if __name__ == "__main__":
    sys.exit(main())
