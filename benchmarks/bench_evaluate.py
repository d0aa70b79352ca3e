"""Benchmark: fastw2v's batched evaluate_word_analogies against gensim's, on the same vectors.

The model has `--n-words` keys of `--dim` random float32 dimensions: every word of the
bundled questions-words.txt (lower-cased, so all 19,544 questions are in vocabulary)
plus filler words, shuffled. A planted offset per section makes part of the questions
answerable, so both correct and incorrect answers occur. Each repeat times ours, then
gensim's, each on a fresh object (norm computation included), and checks that every
question is judged the same way. Reports median times and the speedup.

Usage::

    python benchmarks/bench_evaluate.py [--n-words 100000] [--dim 100] [--repeats 3] [--json OUT]
"""

import argparse
import json
import platform
import statistics
import sys
import time

import numpy as np

from fastw2v.evaluation import BUNDLED_ANALOGIES
from fastw2v.keyedvectors import KeyedVectors


def build_model(n_words, dim, seed):
    """Keys (list of str, length n_words) and vectors (n_words, dim) float32 with planted analogies."""
    rng = np.random.default_rng(seed)
    sections, words = {}, {}
    with open(BUNDLED_ANALOGIES, encoding="utf-8") as fin:
        for line in fin:
            if line.startswith(": "):
                current = sections.setdefault(line[2:].strip(), [])
                continue
            quad = line.lower().split()
            current.append(quad)
            words.update(dict.fromkeys(quad))
    if n_words < len(words):
        raise SystemExit(f"--n-words must be at least {len(words)} (the analogy words)")
    keys = list(words) + [f"filler{i}" for i in range(n_words - len(words))]
    keys = [keys[i] for i in rng.permutation(n_words)]
    index = {key: i for i, key in enumerate(keys)}
    vectors = rng.standard_normal((n_words, dim)).astype(np.float32)
    # Plant "b = a + offset(section) + noise" for the first pair of each word, so that a
    # fraction of the questions have the expected answer as nearest neighbour.
    planted = set()
    for quads in sections.values():
        offset = rng.standard_normal(dim).astype(np.float32) * 0.5
        for a, b, c, d in quads:
            for x, y in ((a, b), (c, d)):
                if y not in planted and x != y:
                    noise = rng.standard_normal(dim).astype(np.float32) * 2.5
                    vectors[index[y]] = vectors[index[x]] + offset + noise
                    planted.add(y)
    return keys, vectors


def judged(sections):
    """{(section, quadruple): correct?} for every evaluated question."""
    out = {}
    for section in sections[:-1]:
        for quad in section["correct"]:
            out[(section["section"], quad)] = True
        for quad in section["incorrect"]:
            out[(section["section"], quad)] = False
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-words", type=int, default=100000)
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", metavar="OUT", help="also write the results as JSON here")
    args = parser.parse_args(argv)
    try:
        from gensim.models import KeyedVectors as GensimKeyedVectors
        import gensim
    except ImportError:
        raise SystemExit("gensim is needed for this benchmark (pip install gensim)")

    keys, vectors = build_model(args.n_words, args.dim, args.seed)
    ours_times, gensim_times, identical = [], [], True
    for repeat in range(args.repeats):
        ours_kv = KeyedVectors(vectors, keys)
        start = time.perf_counter()
        ours_score, ours_sections = ours_kv.evaluate_word_analogies(BUNDLED_ANALOGIES)
        ours_times.append(time.perf_counter() - start)

        gensim_kv = GensimKeyedVectors(args.dim)
        gensim_kv.add_vectors(keys, vectors)
        start = time.perf_counter()
        gensim_score, gensim_sections = gensim_kv.evaluate_word_analogies(BUNDLED_ANALOGIES)
        gensim_times.append(time.perf_counter() - start)

        ours_judged, gensim_judged = judged(ours_sections), judged(gensim_sections)
        same = ours_judged == gensim_judged and ours_sections == gensim_sections
        identical &= same
        print(f"repeat {repeat + 1}: fastw2v {ours_times[-1]:.3f} s, gensim {gensim_times[-1]:.3f} s, "
              f"identical answers: {same}", flush=True)

    n_questions = len(ours_judged)
    differing = sum(ours_judged.get(k) != v for k, v in gensim_judged.items())
    result = {
        "n_words": args.n_words, "dim": args.dim, "repeats": args.repeats, "seed": args.seed,
        "questions_evaluated": n_questions, "accuracy": ours_score, "gensim_accuracy": gensim_score,
        "fastw2v_median_s": statistics.median(ours_times), "gensim_median_s": statistics.median(gensim_times),
        "fastw2v_times_s": ours_times, "gensim_times_s": gensim_times,
        "identical_answers": identical, "questions_judged_differently": differing,
        "numpy": np.__version__, "gensim": gensim.__version__, "python": platform.python_version(),
        "machine": platform.machine(), "processor": platform.processor(),
    }
    result["speedup"] = result["gensim_median_s"] / result["fastw2v_median_s"]
    print(f"{n_questions} questions, accuracy {ours_score:.4f} (gensim {gensim_score:.4f})")
    print(f"median: fastw2v {result['fastw2v_median_s']:.3f} s, gensim {result['gensim_median_s']:.3f} s, "
          f"speedup x{result['speedup']:.1f}")
    print(f"identical answers: {identical} ({differing} questions judged differently)")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fout:
            json.dump(result, fout, indent=1)
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
