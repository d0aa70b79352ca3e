"""Corpus preparation: every system trains on the same file.

Resolve ``ptb`` / ``wiki17m`` / a path, unpack ``.gz`` files into a scratch
folder, and cut lines longer than 1,000 tokens so that every system trains on
the same contexts (gensim silently trains only the first 10,000 tokens of a
line and word2vec.c cuts sentences at 1,000).  Copies are cached beside a
``.meta.json`` sidecar and rebuilt only when the source changes.  Also the
first tokens of a corpus, for warm-up runs and the NumPy reference.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import os
import shutil
import struct
import sys
from pathlib import Path

from _env import DEFAULT_DATA_DIR, DEFAULT_SCRATCH

NAMED_CORPORA = {"ptb": "ptb.train.txt", "wiki17m": "wiki17m.txt.gz"}
# word2vec.c cuts sentences at MAX_SENTENCE_LENGTH = 1000 tokens; using the
# same cut for every system keeps the training contexts identical.
SPLIT_TOKENS = 1000
# Bytes per read when scanning corpora; 16 MiB keeps numpy's temporaries small.
CHUNK_BYTES = 1 << 24
# Python's bytes.split() whitespace: space, \t, \n, \v, \f, \r.
WHITESPACE = b" \t\n\x0b\x0c\r"


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
