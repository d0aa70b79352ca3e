"""Shared helpers for the fastw2v benchmarks.

Four jobs, in this order in the file:

1. Corpus preparation: resolve ``ptb`` / ``wiki17m`` / a path, unpack ``.gz``
   files into a scratch folder, and cut lines longer than 1,000 tokens so that
   every system trains on the same file (gensim silently trains only the first
   10,000 tokens of a line and word2vec.c cuts sentences at 1,000).
2. Running one system as a child process with identical settings, timing the
   whole command and reading the child's peak RSS with ``os.wait4``.
3. Quality: word analogies and WordSim-353 through gensim's ``KeyedVectors``.
4. Child-side entry points for the Python peers (gensim, fastText).  They run
   inside the timed child, so this module imports only the standard library at
   the top; numpy, gensim and fasttext are imported where they are used.
"""

from __future__ import annotations

import dataclasses
import gzip
import importlib.metadata
import importlib.util
import json
import os
import platform
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# One BLAS thread in every benchmark process (set before numpy is imported):
# the evaluation's matrix-vector products gain little from a second thread,
# and on a busy 2-core machine OpenBLAS's spinning threads made it ~3x slower.
for _var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
# The shared data folder sits beside the project root: <root>/../shared/data.
DEFAULT_DATA_DIR = REPO_ROOT.parent / "shared" / "data"
DEFAULT_SCRATCH = Path(tempfile.gettempdir()) / "fastw2v-bench"
NAMED_CORPORA = {"ptb": "ptb.train.txt", "wiki17m": "wiki17m.txt.gz"}
SYSTEMS = ("fastw2v", "gensim", "word2vec.c", "fasttext")
# word2vec.c cuts sentences at MAX_SENTENCE_LENGTH = 1000 tokens; using the
# same cut for every system keeps the training contexts identical.
SPLIT_TOKENS = 1000
# Bytes per read when scanning corpora; 16 MiB keeps numpy's temporaries small.
CHUNK_BYTES = 1 << 24
# Python's bytes.split() whitespace: space, \t, \n, \v, \f, \r.
WHITESPACE = b" \t\n\x0b\x0c\r"


# ---------------------------------------------------------------- corpora


@dataclasses.dataclass(frozen=True)
class TextStats:
    """Whitespace-token statistics of a text file."""

    tokens: int
    lines: int
    max_line_tokens: int


@dataclasses.dataclass(frozen=True)
class Corpus:
    """A prepared corpus.

    ``path`` is the file every system trains on.  ``unsplit_path`` is the
    original long-line file when ``path`` is a copy cut into lines of at most
    ``SPLIT_TOKENS`` tokens, else None.
    """

    name: str
    path: Path
    stats: TextStats
    unsplit_path: Path | None = None

    @property
    def tokens(self) -> int:
        return self.stats.tokens

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "path": str(self.path),
            "unsplit_path": str(self.unsplit_path) if self.unsplit_path else None,
            **dataclasses.asdict(self.stats),
        }


def count_tokens(path: Path) -> TextStats:
    """Count whitespace-separated tokens, lines and the longest line of a file.

    Reads fixed-size byte chunks and counts token starts (a non-space byte
    after a space byte) with numpy, so a 100 MB file takes about a second.
    """
    import numpy as np

    is_space = np.zeros(256, dtype=bool)
    is_space[list(WHITESPACE)] = True
    tokens = lines = longest = line_tokens = 0
    prev_space = True
    last_byte = b"\n"
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            data = np.frombuffer(chunk, dtype=np.uint8)
            space = is_space[data]
            before = np.empty_like(space)
            before[0] = prev_space
            before[1:] = space[:-1]
            starts = np.flatnonzero(~space & before)
            newlines = np.flatnonzero(data == 10)
            tokens += starts.size
            if newlines.size:
                # Token starts before each newline give the tokens per line.
                before_nl = np.searchsorted(starts, newlines)
                per_line = np.diff(before_nl, prepend=0)
                per_line[0] += line_tokens
                longest = max(longest, int(per_line.max()))
                line_tokens = starts.size - int(before_nl[-1])
                lines += newlines.size
            else:
                line_tokens += starts.size
            prev_space = bool(space[-1])
            last_byte = chunk[-1:]
    if last_byte != b"\n":  # an unterminated last line
        lines += 1
    return TextStats(tokens, lines, max(longest, line_tokens))


def _gzip_size(path: Path) -> int:
    """Unpacked size (mod 2**32) from the gzip trailer's ISIZE field."""
    with open(path, "rb") as handle:
        handle.seek(-4, os.SEEK_END)
        return struct.unpack("<I", handle.read(4))[0]


def _gunzip(src: Path, dst: Path) -> None:
    with gzip.open(src, "rb") as fin, open(dst, "wb") as fout:
        shutil.copyfileobj(fin, fout, CHUNK_BYTES)


def _split_lines(src: Path, dst: Path, max_tokens: int = SPLIT_TOKENS) -> None:
    """Copy ``src`` to ``dst`` with every line cut into lines of <= max_tokens.

    Line breaks of the source are kept, tokens are joined by one space and
    empty lines are dropped.  Streams the file, so memory stays ~2 chunks.
    """
    pending: list[bytes] = []
    with open(src, "rb") as fin, open(dst, "wb") as fout:

        def emit(final: bool) -> None:
            cut = len(pending) if final else len(pending) - len(pending) % max_tokens
            for start in range(0, cut, max_tokens):
                fout.write(b" ".join(pending[start:start + max_tokens]) + b"\n")
            del pending[:cut]

        for buf, last in _whitespace_pieces(fin, CHUNK_BYTES):
            pieces = buf.split(b"\n")
            for k, piece in enumerate(pieces):
                pending.extend(piece.split())
                emit(final=k < len(pieces) - 1 or last)


def _whitespace_pieces(handle, chunk_bytes: int):
    """Yield ``(buf, last)``: the stream in pieces that end at whitespace, so no token is cut.

    ``last`` is True for the final piece, which ends where the stream does.
    """
    carry = b""
    while True:
        chunk = handle.read(chunk_bytes)
        buf = carry + chunk
        if chunk:  # keep a token cut by the chunk boundary for the next round
            end = len(buf)
            while end and buf[end - 1] not in WHITESPACE:
                end -= 1
            buf, carry = buf[:end], buf[end:]
        yield buf, not chunk
        if not chunk:
            return


def _cached(dst: Path, source: Path, build) -> TextStats:
    """Build ``dst`` from ``source`` unless a valid copy exists; return its stats.

    A copy is valid when its sidecar ``<dst>.meta.json`` records the current
    size and mtime of the source and the size of ``dst``.
    """
    meta_path = dst.with_name(dst.name + ".meta.json")
    src_stat = source.stat()
    key = {"source": str(source), "source_size": src_stat.st_size,
           "source_mtime_ns": src_stat.st_mtime_ns}
    if dst.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("key") == key and meta.get("size") == dst.stat().st_size:
            return TextStats(**meta["stats"])
    dst.parent.mkdir(parents=True, exist_ok=True)
    part = dst.with_name(dst.name + ".part")
    print(f"[prepare] writing {dst} ...", file=sys.stderr, flush=True)
    build(source, part)
    part.replace(dst)
    stats = count_tokens(dst)
    meta = {"key": key, "size": dst.stat().st_size, "stats": dataclasses.asdict(stats)}
    meta_path.write_text(json.dumps(meta, indent=1))
    return stats


def resolve_corpus(name_or_path: str, data_dir: Path = DEFAULT_DATA_DIR) -> Path:
    """Map ``ptb`` / ``wiki17m`` to files of the shared data folder, else a path."""
    if name_or_path in NAMED_CORPORA:
        return Path(data_dir) / NAMED_CORPORA[name_or_path]
    return Path(name_or_path).expanduser()


def prepare(name_or_path: str, scratch: Path = DEFAULT_SCRATCH,
            data_dir: Path = DEFAULT_DATA_DIR, split_tokens: int = SPLIT_TOKENS) -> Corpus:
    """Make a corpus ready for training and return its paths and counts.

    ``ptb`` is used as is.  A ``.gz`` file (``wiki17m``) is unpacked once into
    ``scratch``.  A file with a line longer than ``split_tokens`` tokens gets a
    copy ``<stem>.split1000.txt`` in ``scratch`` cut into lines of that length,
    which all systems then train on; the original stays as ``unsplit_path``.
    Copies are cached and rebuilt only when the source changes.
    """
    source = resolve_corpus(name_or_path, data_dir)
    if not source.is_file():
        raise FileNotFoundError(f"corpus not found: {source}")
    scratch = Path(scratch)
    name = source.name.split(".")[0] if name_or_path not in NAMED_CORPORA else name_or_path
    if source.suffix == ".gz":
        plain = scratch / source.name[: -len(".gz")]
        stats = _cached(plain, source, _gunzip)
        # The gzip trailer stores the unpacked size: a cheap guard on the cache.
        if plain.stat().st_size % 2**32 != _gzip_size(source):
            raise RuntimeError(f"unpacked size of {plain} does not match {source}")
    else:
        plain, stats = source, count_tokens(source)
    if stats.max_line_tokens <= split_tokens:
        return Corpus(name, plain, stats)
    split = scratch / f"{plain.stem}.split{split_tokens}{plain.suffix or '.txt'}"
    split_stats = _cached(split, plain, lambda s, d: _split_lines(s, d, split_tokens))
    if split_stats.tokens != stats.tokens:
        raise RuntimeError(f"{split} has {split_stats.tokens} tokens, {plain} {stats.tokens}")
    return Corpus(name, split, split_stats, unsplit_path=plain)


def iter_token_chunks(path: Path, chunk_bytes: int = 1 << 20):
    """Yield the file's whitespace tokens as lists of str, one list per chunk."""
    with open(path, "rb") as handle:
        for buf, _ in _whitespace_pieces(handle, chunk_bytes):
            yield [t.decode("utf-8", "replace") for t in buf.split()]


def head_tokens(path: Path, n_tokens: int) -> list[str]:
    """The first ``n_tokens`` whitespace tokens of a file (line breaks dropped)."""
    out: list[str] = []
    for tokens in iter_token_chunks(path):
        out.extend(tokens)
        if len(out) >= n_tokens:
            break
    return out[:n_tokens]


def write_head(path: Path, dst: Path, n_tokens: int, line_tokens: int = SPLIT_TOKENS) -> Path:
    """Write the first ``n_tokens`` tokens of ``path`` to ``dst`` (for warm-ups)."""
    words = head_tokens(path, n_tokens)
    dst.parent.mkdir(parents=True, exist_ok=True)
    with open(dst, "w", encoding="utf-8") as handle:
        for start in range(0, len(words), line_tokens):
            handle.write(" ".join(words[start:start + line_tokens]) + "\n")
    return dst


# ---------------------------------------------------------------- systems


@dataclasses.dataclass(frozen=True)
class Settings:
    """Training settings shared by every system (word2vec's names in comments)."""

    model: str = "cbow"          # -cbow 1 | 0
    dim: int = 100               # -size
    window: int = 5              # -window
    negative: int = 5            # -negative (hierarchical softmax always off)
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

    @property
    def lr(self) -> float:
        if self.alpha is not None:
            return self.alpha
        return 0.05 if self.model == "cbow" else 0.025


def child_env(system: str, threads: int) -> dict:
    """Environment for a child: one BLAS thread for peers, N Numba threads."""
    env = dict(os.environ)
    for var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS",
                "VECLIB_MAXIMUM_THREADS", "OMP_NUM_THREADS"):
        env[var] = "1"
    env["NUMBA_NUM_THREADS"] = str(threads)
    if system == "fastw2v":
        # Numba's OpenMP threading layer may read OMP_NUM_THREADS.
        env["OMP_NUM_THREADS"] = str(threads)
    # The working tree's fastw2v and this folder's _common come first.
    path = [str(REPO_ROOT), str(BENCH_DIR)]
    if env.get("PYTHONPATH"):
        path.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(path)
    return env


def _child_stub(function: str) -> list[str]:
    """``python -c`` command calling ``_common.<function>(argv)`` in a child."""
    code = (f"import sys; sys.path.insert(0, {str(BENCH_DIR)!r}); import _common; "
            f"sys.exit(_common.{function}(sys.argv[1:]))")
    return [sys.executable, "-c", code]


def build_command(system: str, s: Settings, corpus: Path, output: Path, report: Path,
                  word2vec_bin: str | None = None) -> list[str]:
    """The command line that trains ``system`` with settings ``s``.

    Every command writes word2vec binary vectors to ``output``; the Python
    systems also write a JSON report with per-phase seconds to ``report``.
    """
    if system == "fastw2v":
        return [sys.executable, "-m", "fastw2v", "train", str(corpus), "-o", str(output),
                "--model", s.model, "--dim", str(s.dim), "--window", str(s.window),
                "--negative", str(s.negative), "--sample", str(s.sample),
                "--min-count", str(s.min_count), "--epochs", str(s.epochs),
                "--threads", str(s.threads), "--seed", str(s.seed),
                "--format", "binary", "--quiet", "--report", str(report)] + (
                    ["--alpha", str(s.alpha)] if s.alpha is not None else []) + (
                    ["--min-alpha", str(s.min_alpha)] if s.min_alpha is not None else []) + (
                    ["--shared-negatives"] if s.shared_negatives else [])
    if system == "word2vec.c":
        # -debug 1 prints the vocabulary summary but not the progress line.
        return [word2vec_bin or "word2vec", "-train", str(corpus), "-output", str(output),
                "-cbow", "1" if s.model == "cbow" else "0", "-size", str(s.dim),
                "-window", str(s.window), "-negative", str(s.negative), "-hs", "0",
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
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"python": platform.python_version(), "platform": platform.platform(),
            "cpu": cpu, "cpu_count": os.cpu_count(),
            "numpy": _dist_version("numpy"), "numba": _dist_version("numba")}


# Runs inside a small intermediate Python process, see run_timed.
_LAUNCHER = r"""
import json, os, subprocess, sys, threading, time
cmd, log_path, timeout = json.loads(sys.argv[1])
with open(log_path, "ab") as log:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    timer = threading.Timer(timeout, proc.kill) if timeout else None
    if timer:
        timer.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if timer:
        timer.cancel()
print(json.dumps({"returncode": os.waitstatus_to_exitcode(status), "wall_s": wall,
                  "cpu_s": usage.ru_utime + usage.ru_stime,
                  "peak_rss_mib": usage.ru_maxrss / 1024.0}))
"""


def run_timed(cmd: list[str], env: dict, log_path: Path, timeout: float | None = None) -> dict:
    """Run ``cmd`` to completion; return its exit code, wall/CPU seconds and peak RSS.

    The command is started by a small launcher process that times it and
    reaps it with ``os.wait4`` on its pid; that rusage gives the command's
    peak resident set (``ru_maxrss``, KiB on Linux).  The launcher is needed
    because Linux folds the parent's peak RSS into ``ru_maxrss`` at ``exec``
    (the vfork child still runs on the parent's memory map), so a command
    started straight from this process, which holds gensim and loaded vectors,
    would report at least this process's peak.  Through the launcher the floor
    is the launcher's own ~10 MiB.  stdout and stderr go to ``log_path``; a
    command still running after ``timeout`` seconds is killed (exit code -9).
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log_path.write_text("$ " + " ".join(cmd) + "\n")
    launcher = [sys.executable, "-I", "-S", "-c", _LAUNCHER,
                json.dumps([cmd, str(log_path), timeout])]
    stall_before = cpu_stall_us()
    done = subprocess.run(launcher, env=env, stdout=subprocess.PIPE, check=True)
    stall_after = cpu_stall_us()
    result = json.loads(done.stdout)
    result["cpu_stall_pct"] = (None if stall_before is None or stall_after is None else
                               (stall_after - stall_before) / 1e4 / result["wall_s"])
    return result


def cpu_stall_us() -> int | None:
    """Total microseconds some task waited for a CPU (Linux PSI), or None.

    Sampled around each run: the share of the run's wall time with a task
    stalled is a noise gauge; on a machine shared with other work it is high.
    """
    try:
        first = Path("/proc/pressure/cpu").read_text().splitlines()[0]
        return int(first.rsplit("total=", 1)[1])
    except (OSError, IndexError, ValueError):
        return None


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
    record = {"system": system, "model": s.model, "threads": s.threads, "epochs": s.epochs,
              "corpus": str(corpus_path), "tokens": tokens, **result,
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


# ---------------------------------------------------------------- quality


def evaluate(vectors: Path, questions: Path, wordsim: Path, restrict_vocab: int = 30000) -> dict:
    """Analogy accuracy and WordSim-353 Spearman of word2vec binary vectors.

    Uses gensim's ``KeyedVectors`` (case-insensitive analogies over the
    ``restrict_vocab`` most frequent words; questions with a word outside it
    are skipped, so ``analogy_questions`` says how many were scored).
    """
    import logging

    import numpy as np
    from gensim.models import KeyedVectors

    logging.getLogger("gensim").setLevel(logging.ERROR)
    kv = KeyedVectors.load_word2vec_format(str(vectors), binary=True)
    # An all-zero vector (fastText leaves a few rare words at zero) has norm 0;
    # gensim's cosine then divides 0/0 for that word only, harmlessly.
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy, sections = kv.evaluate_word_analogies(str(questions),
                                                        restrict_vocab=restrict_vocab)
        _, spearman, oov = kv.evaluate_word_pairs(str(wordsim))
    total = sections[-1]  # gensim appends the "Total accuracy" section last
    return {"vocab_size": len(kv.index_to_key), "analogy": float(accuracy),
            "analogy_questions": len(total["correct"]) + len(total["incorrect"]),
            "ws353_spearman": float(spearman[0]), "ws353_oov_pct": float(oov)}


# ---------------------------------------------------------------- reporting


def median(values) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def markdown_table(headers: list[str], rows: list[list]) -> str:
    """A Markdown pipe table with columns padded to equal width."""
    cells = [[str(h) for h in headers]] + [["-" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |" for row in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def fmt(value, spec: str) -> str | None:
    return None if value is None else format(value, spec)


def write_json(path: Path, data: dict) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    print(f"wrote {path}", file=sys.stderr)


# ------------------------------------------------- child-side entry points
# These run inside the timed child process (see build_command).  Each takes
# one JSON argument (Settings fields plus lr, corpus, output and report),
# trains, writes word2vec binary vectors and a report of per-phase seconds.


def _write_phases(path: str, phases: dict, **extra) -> None:
    Path(path).write_text(json.dumps({"phases": phases, **extra}, indent=1))


def write_word2vec_binary(path: Path | str, words: list[str], vectors) -> None:
    """Write vectors in word2vec's binary format (header, then word + float32 row)."""
    import numpy as np

    vectors = np.ascontiguousarray(vectors, dtype="<f4")
    with open(path, "wb") as handle:
        handle.write(f"{len(words)} {vectors.shape[1]}\n".encode())
        for word, row in zip(words, vectors):
            handle.write(word.encode("utf-8") + b" " + row.tobytes() + b"\n")


def gensim_child(argv: list[str]) -> int:
    """Train gensim ``Word2Vec`` from ``corpus_file`` (its fastest input path)."""
    spec = json.loads(argv[0])
    t0 = time.perf_counter()
    from gensim.models import Word2Vec

    t1 = time.perf_counter()
    model = Word2Vec(vector_size=spec["dim"], window=spec["window"], negative=spec["negative"],
                     hs=0, sample=spec["sample"], min_count=spec["min_count"],
                     sg=int(spec["model"] == "skipgram"), alpha=spec["lr"],
                     seed=spec["seed"], workers=spec["threads"], epochs=spec["epochs"],
                     **({} if spec["min_alpha"] is None else {"min_alpha": spec["min_alpha"]}))
    model.build_vocab(corpus_file=spec["corpus"])
    t2 = time.perf_counter()
    # The same call Word2Vec(corpus_file=...) makes after building the vocabulary.
    model.train(corpus_file=spec["corpus"], total_examples=model.corpus_count,
                total_words=model.corpus_total_words, epochs=model.epochs)
    t3 = time.perf_counter()
    model.wv.save_word2vec_format(spec["output"], binary=True)
    t4 = time.perf_counter()
    _write_phases(spec["report"], {"import": t1 - t0, "vocab": t2 - t1, "train": t3 - t2,
                                   "save": t4 - t3}, vocab_size=len(model.wv.index_to_key))
    return 0


def fasttext_child(argv: list[str]) -> int:
    """Train fastText as plain word2vec: subwords off (minn = maxn = 0).

    With no subwords and wordNgrams = 1 the binding sets bucket = 0, so a
    word's vector is exactly its row of the input matrix, written directly.
    """
    spec = json.loads(argv[0])
    # fastText keeps a word with probability sqrt(t/f) + t/f, so t = 0 would
    # discard every word; "no subsampling" is t = 1 (keep probability >= 1).
    sample = spec["sample"] if spec["sample"] > 0 else 1.0
    t0 = time.perf_counter()
    import fasttext
    import numpy as np

    t1 = time.perf_counter()
    model = fasttext.train_unsupervised(
        input=spec["corpus"], model=spec["model"], dim=spec["dim"], ws=spec["window"],
        neg=spec["negative"], t=sample, minCount=spec["min_count"],
        epoch=spec["epochs"], thread=spec["threads"], lr=spec["lr"], minn=0, maxn=0,
        wordNgrams=1, loss="ns", verbose=0)  # this binding takes no seed
    t2 = time.perf_counter()
    words = model.get_words(on_unicode_error="replace")
    matrix = model.get_input_matrix()[: len(words)]
    if words and not np.allclose(model.get_word_vector(words[0]), matrix[0]):
        raise RuntimeError("fastText input row differs from get_word_vector; subwords on?")
    write_word2vec_binary(spec["output"], words, matrix)
    t3 = time.perf_counter()
    # fastText builds its vocabulary inside train_unsupervised: "train" includes it.
    _write_phases(spec["report"], {"import": t1 - t0, "train": t2 - t1, "save": t3 - t2},
                  vocab_size=len(words))
    return 0
