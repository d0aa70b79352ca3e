"""The cluster mode on many machines, on paper: when do more workers stop paying?

A round of :mod:`fastw2v.distributed` costs each worker ``R / r`` seconds
of training (``R`` words a round, ``r`` words a second) and the driver, for
each of ``W`` workers, ``b`` bytes through its network link (the worker's
packed changes in, the combined change out) and ``c`` seconds of combining,
plus a fixed latency ``L`` (Dask's task round trip). Everything goes
through the driver (a star), so the exchange grows with ``W``::

    t_train    = R / r
    t_exchange = W (b / B + c) + L            (B: the driver's bandwidth, bytes/s)
    t_round    = max(t_train, t_exchange)     with overlap (the default)
               = t_train + t_exchange         in lockstep (overlap=False)
    words/s    = W R / t_round

With overlap the workers never wait until ``t_exchange`` outgrows
``t_train``: up to ``W* = (R / r - L) / (b / B + c)`` workers the cluster
trains ``W`` times one worker's words/s, and beyond it no faster at all
(``R / (b / B + c)``). Assumptions: ``b`` is what a 2-worker run on one
machine measured for the same round length (each worker's changed rows;
the rows a round touches grow with ``R`` but stop at the vocabulary, so
``b`` does too); ``c`` grows linearly with the workers' rows; workers are
alike (the slowest sets the round); the network is the driver's link alone.
Quality is not modelled: more workers drift further (bench_cluster.py
measures it).

Inputs are bench_cluster.py's JSON (``--json``: the median per round
length over the cluster runs of the smallest worker count), or given on
the command line; ``--rate`` replaces the measured words/s of a worker (a
16-core worker trains several times a one-thread worker's words).

Example::

    python benchmarks/cluster_model.py --json scratch/cluster.json --rule hot
    python benchmarks/cluster_model.py --round-words 4000000 --rate 12e6 --bytes 60e6 --combine 0.02
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import fmt, markdown_table, median  # noqa: E402

#: Driver link speeds the table shows, in Gbit/s.
BANDWIDTHS = (10, 25, 100)

#: Worker counts the table shows.
WORKERS = (2, 8, 16, 32, 64)

#: Dask's round trip for a round's tasks when nothing is sent (measured on
#: one machine it is a few milliseconds; across machines add the ping).
LATENCY = 0.01


def predict(workers, round_words, rate, nbytes, combine, bandwidth, latency, overlap=True):
    """Predicted words/s of the cluster and its efficiency (of ``workers * rate``)."""
    train = round_words / rate
    exchange = workers * (nbytes / bandwidth + combine) + latency
    round_time = max(train, exchange) if overlap else train + exchange
    speed = workers * round_words / round_time
    return speed, speed / (workers * rate)


def break_even(round_words, rate, nbytes, combine, bandwidth, latency):
    """``W*``: the most workers an overlapped round keeps busy."""
    return max(0.0, round_words / rate - latency) / (nbytes / bandwidth + combine)


def measured(path, rule):
    """Per round length: (R, r, b, c) medians over the smallest worker count's runs of ``rule``."""
    runs = [r for r in json.loads(Path(path).read_text())["runs"]
            if r["kind"] == "cluster" and r.get("rule") == rule]
    if not runs:
        raise SystemExit(f"{path} has no cluster runs with rule {rule!r}")
    fewest = min(r["workers"] for r in runs)
    out = {}
    for r in runs:
        if r["workers"] == fewest:
            out.setdefault(r["round_words"], []).append(r)
    table = []
    for round_words, rs in sorted(out.items()):
        w = fewest
        rate = median(round_words * x["rounds"] / x["compute_seconds"] for x in rs)
        nbytes = median(x["bytes_per_round"] / w for x in rs)
        combine = median(x.get("combine_seconds", 0.0) / x["rounds"] / w for x in rs)
        table.append((round_words, rate, nbytes, combine))
    return table


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--json", type=Path, help="bench_cluster.py's --json output")
    p.add_argument("--rule", default="hot", help="which runs of the JSON (default: hot)")
    p.add_argument("--round-words", type=float, help="R: words a worker trains a round")
    p.add_argument("--rate", type=float, help="r: words a second a worker trains")
    p.add_argument("--bytes", type=float, help="b: bytes a worker moves a round (in and out)")
    p.add_argument("--combine", type=float, default=0.0,
                   help="c: driver seconds a round per worker (default: measured, else 0)")
    p.add_argument("--latency", type=float, default=LATENCY,
                   help=f"L: seconds a round (default: {LATENCY})")
    args = p.parse_args(argv)
    if args.json:
        inputs = measured(args.json, args.rule)
        if args.rate:
            inputs = [(rw, args.rate, b, c) for rw, _, b, c in inputs]
        if args.combine:
            inputs = [(rw, r, b, args.combine) for rw, r, b, _ in inputs]
    elif args.round_words and args.rate and args.bytes:
        inputs = [(args.round_words, args.rate, args.bytes, args.combine)]
    else:
        p.error("give --json, or --round-words, --rate and --bytes")
    rows = []
    for round_words, rate, nbytes, combine in inputs:
        for gbit in BANDWIDTHS:
            bandwidth = gbit * 1e9 / 8
            cells = []
            for w in WORKERS:
                speed, eff = predict(w, round_words, rate, nbytes, combine, bandwidth, args.latency)
                cells.append(f"{speed / 1e6:.1f}M ({eff:.0%})")
            star = break_even(round_words, rate, nbytes, combine, bandwidth, args.latency)
            rows.append([fmt(round_words, ",.0f"), fmt(rate / 1e6, ".2f") + "M",
                         fmt(nbytes / 2**20, ".1f"), fmt(combine * 1e3, ".1f"), f"{gbit}",
                         *cells, fmt(star, ".0f")])
    print(markdown_table(["R words", "r words/s", "b MiB", "c ms", "Gbit/s",
                          *[f"{w} workers" for w in WORKERS], "W*"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
