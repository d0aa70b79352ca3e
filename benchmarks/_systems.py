"""The systems compared, and how each one trains as a timed child process.

:class:`Settings` holds what every system is given; :func:`build_command`
turns them into each system's own command line (word2vec.c's flags, fastw2v's
CLI, or a ``python -c`` stub that calls ``_peer_runners`` for gensim and
fastText); :func:`run_system` runs that command through ``_timing.run_timed``
and returns one raw-run record.  :func:`check_systems` says which systems are
installed here.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

from _env import BENCH_DIR, child_env
from _timing import run_timed

SYSTEMS = ("fastw2v", "gensim", "word2vec.c", "fasttext")


@dataclasses.dataclass(frozen=True)
class Settings:
    """Training settings shared by every system (word2vec's names in comments)."""

    model: str = "cbow"          # -cbow 1 | 0
    dim: int = 100               # -size
    window: int = 5              # -window
    negative: int = 5            # -negative; 0 = no negative sampling (then hs must be on)
    hs: bool = False             # -hs 1 | 0: hierarchical softmax, alone with negative 0
    sample: float = 1e-3         # -sample
    min_count: int = 5           # -min-count
    epochs: int = 5              # -iter
    threads: int = 2             # -threads
    alpha: float | None = None   # -alpha; None = each system's default (fastw2v's own
                                 # schedule; word2vec.c's 0.05 CBOW / 0.025 skip-gram
                                 # for the peers, see ``lr``)
    min_alpha: float | None = None  # final rate; None = each system's default
    seed: int = 1
    shared_negatives: bool = False  # fastw2v only: --shared-negatives

    def __post_init__(self):
        if self.negative < 0 or (self.negative == 0 and not self.hs):
            raise ValueError(f"negative={self.negative}: must be >= 1, or 0 with hs=True "
                             "(else nothing is trained)")

    @property
    def lr(self) -> float:
        if self.alpha is not None:
            return self.alpha
        return 0.05 if self.model == "cbow" else 0.025

    @property
    def loss(self) -> str:
        """The output layer in short: ``ns``, ``hs``, or ``hs+ns`` (for titles and file tags)."""
        if not self.hs:
            return "ns"
        return "hs+ns" if self.negative else "hs"


def unsupported(system: str, s: Settings) -> str | None:
    """Why ``system`` cannot train with ``s``, or None if it can."""
    if system == "fasttext" and s.hs and s.negative:
        return "fastText has one loss, hs or ns, not both: give --negative 0 with --hs"
    return None


def _child_stub(function: str) -> list[str]:
    """``python -c`` command calling ``_peer_runners.<function>(argv)`` in a child."""
    code = (f"import sys; sys.path.insert(0, {str(BENCH_DIR)!r}); import _peer_runners; "
            f"sys.exit(_peer_runners.{function}(sys.argv[1:]))")
    return [sys.executable, "-c", code]


def build_command(system: str, s: Settings, corpus: Path, output: Path, report: Path,
                  word2vec_bin: str | None = None) -> list[str]:
    """The command line that trains ``system`` with settings ``s``.

    Every command writes word2vec binary vectors to ``output``; the Python
    systems also write a JSON report with per-phase seconds to ``report``.
    """
    reason = unsupported(system, s)
    if reason:
        raise ValueError(reason)
    if system == "fastw2v":
        return [sys.executable, "-m", "fastw2v", "train", str(corpus), "-o", str(output),
                "--model", s.model, "--dim", str(s.dim), "--window", str(s.window),
                "--negative", str(s.negative), "--sample", str(s.sample),
                "--min-count", str(s.min_count), "--epochs", str(s.epochs),
                "--threads", str(s.threads), "--seed", str(s.seed),
                "--format", "binary", "--quiet", "--report", str(report)] + (
                    ["--alpha", str(s.alpha)] if s.alpha is not None else []) + (
                    ["--min-alpha", str(s.min_alpha)] if s.min_alpha is not None else []) + (
                    ["--shared-negatives"] if s.shared_negatives else []) + (
                    ["--hs"] if s.hs else [])
    if system == "word2vec.c":
        # -debug 1 prints the vocabulary summary but not the progress line.
        return [word2vec_bin or "word2vec", "-train", str(corpus), "-output", str(output),
                "-cbow", "1" if s.model == "cbow" else "0", "-size", str(s.dim),
                "-window", str(s.window), "-negative", str(s.negative), "-hs", str(int(s.hs)),
                "-sample", str(s.sample), "-threads", str(s.threads), "-binary", "1",
                "-iter", str(s.epochs), "-min-count", str(s.min_count),
                "-alpha", str(s.lr), "-debug", "1"]
    if system in ("gensim", "fasttext"):
        spec = {**dataclasses.asdict(s), "lr": s.lr, "corpus": str(corpus),
                "output": str(output), "report": str(report)}
        return _child_stub(f"{system}_child") + [json.dumps(spec)]
    raise ValueError(f"unknown system {system!r}; choose from {', '.join(SYSTEMS)}")


def find_word2vec(explicit: str | None = None) -> str | None:
    """Path of the word2vec.c binary (the ``word2vec`` PyPI package installs it).

    The interpreter's own scripts folder is tried before PATH so a pyenv shim
    (a shell script that execs the binary) does not add its start-up time.
    """
    candidates = [explicit] if explicit else [
        str(Path(sys.executable).parent / "word2vec"), shutil.which("word2vec")]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            try:
                probe = subprocess.run([candidate], capture_output=True, timeout=30)
            except OSError:
                continue
            if b"-train" in probe.stdout + probe.stderr:
                return candidate
    return None


def _dist_version(*names: str) -> str | None:
    for name in names:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def check_systems(names: list[str], word2vec_bin: str | None = None) -> tuple[dict, list[str]]:
    """Which of ``names`` can run here: ``({name: info}, notes on the missing)``."""
    available, notes = {}, []
    for name in names:
        if name == "fastw2v":
            probe = subprocess.run([sys.executable, "-m", "fastw2v", "train", "--help"],
                                   capture_output=True, text=True, env=child_env(name, 1))
            if probe.returncode == 0:
                version = subprocess.run(
                    [sys.executable, "-c", "import fastw2v; print(fastw2v.__version__)"],
                    capture_output=True, text=True, env=child_env(name, 1)).stdout.strip()
                available[name] = {"version": version or None}
            else:
                last = (probe.stderr.strip().splitlines() or ["no output"])[-1]
                notes.append(f"fastw2v skipped: `python -m fastw2v train --help` failed ({last})")
        elif name == "word2vec.c":
            binary = find_word2vec(word2vec_bin)
            if binary:
                available[name] = {"version": _dist_version("word2vec"), "binary": binary}
            else:
                notes.append("word2vec.c skipped: no working `word2vec` binary "
                             "(pip install word2vec, or pass --word2vec-bin)")
        elif name in ("gensim", "fasttext"):
            if importlib.util.find_spec(name) is not None:
                dists = ("fasttext-wheel", "fasttext") if name == "fasttext" else ("gensim",)
                available[name] = {"version": _dist_version(*dists)}
            else:
                package = "fasttext-wheel" if name == "fasttext" else name
                notes.append(f"{name} skipped: not installed (pip install {package})")
        else:
            raise ValueError(f"unknown system {name!r}; choose from {', '.join(SYSTEMS)}")
    return available, notes


def machine_info() -> dict:
    """The CPU, Python and library versions of this machine, for the JSON reports."""
    first = {}  # each field of /proc/cpuinfo as the first CPU gives it
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            first.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    cpu = first.get("model name", platform.processor())
    # hosts that all call themselves "Intel(R) Xeon(R) Processor" differ in the model number
    model = first.get("model")
    return {"python": platform.python_version(), "platform": platform.platform(),
            "cpu": cpu, "cpu_model": model, "cpu_count": os.cpu_count(),
            "numpy": _dist_version("numpy"), "numba": _dist_version("numba")}


def run_system(system: str, s: Settings, corpus_path: Path, tokens: int, work_dir: Path,
               tag: str, word2vec_bin: str | None = None, timeout: float | None = None) -> dict:
    """Train ``system`` once as a timed child and return one raw-run record.

    words/sec = ``tokens`` x epochs / wall time of the whole command, which
    includes start-up, reading, vocabulary building, training and saving.
    """
    output = work_dir / f"{tag}.bin"
    report = work_dir / f"{tag}.report.json"
    log = work_dir / f"{tag}.log"
    for stale in (output, report):
        stale.unlink(missing_ok=True)
    cmd = build_command(system, s, corpus_path, output, report, word2vec_bin)
    result = run_timed(cmd, child_env(system, s.threads), log, timeout)
    record = {"system": system, "model": s.model, "loss": s.loss, "threads": s.threads,
              "epochs": s.epochs, "corpus": str(corpus_path), "tokens": tokens, **result,
              "words_per_sec": tokens * s.epochs / result["wall_s"],
              "output": str(output), "log": str(log), "cmd": cmd,
              "phases": {}, "self_report": {}, "error": None}
    if result["returncode"] != 0 or not output.exists():
        tail = log.read_text(errors="replace").strip().splitlines()[-5:]
        record["error"] = f"exit code {result['returncode']}: " + " | ".join(tail)
    if report.exists():
        data = json.loads(report.read_text())
        phases = {k: float(v) for k, v in data.get("phases", {}).items()}
        if system == "fastw2v" and "total" in phases:
            # what the command's own timer cannot see: interpreter start,
            # imports and exit (an upper bound on the start-up alone)
            phases = {"startup": result["wall_s"] - phases["total"], **phases}
        record["phases"] = phases
        record["self_report"] = {k: v for k, v in data.items() if k != "phases"}
    return record
