"""Whole-model persistence: a directory a trained model is saved to and resumed from.

The layout, pickle-free and readable with NumPy alone::

    MODEL/model.json              settings, training state, corpus fingerprint,
                                  and the name of the data folder below
    MODEL/data-XXXX/vectors.npy   input vectors (``wv``), float32 (V, dim)
    MODEL/data-XXXX/vocab.txt     word<TAB>count, one a line, by id
    MODEL/data-XXXX/meta.json     the data folder is a KeyedVectors native
                                  directory (:func:`fastw2v.native.save_native`)
    MODEL/data-XXXX/syn1neg.npy   negative sampling's output vectors, float32 (V, dim)
    MODEL/data-XXXX/syn1.npy      hierarchical softmax's inner-node vectors,
                                  float32 (V - 1, dim)
                                  (each output matrix only where the model has that layer)

A save writes a new data folder in full (each file fsync'ed), then replaces
``model.json`` atomically: that rename is the commit. Until it, the old
``model.json`` names the old, complete folder; after it, the new one. Old
folders are deleted only once the new ``model.json`` is in place, so a save
interrupted at any point (Ctrl-C, a full disk, a crash) leaves the previous
model loadable.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile

import numpy as np

from . import native
from .atomic import OutputPathError, atomic_write, is_temp_name
from .vecmath import all_finite

MODEL_FORMAT = "fastw2v-model"
MODEL_VERSION = 1
MODEL_FILE = "model.json"
_DATA_PREFIX = "data-"
#: The output matrices a model may have, by file name stem (gensim's names).
OUTPUTS = ("syn1neg", "syn1")


class ModelFormatError(ValueError):
    """A model directory is missing, damaged, or of another format; the message names it."""


#: A data folder's name: the prefix and :func:`tempfile.mkdtemp`'s 8 random characters.
_DATA_NAME = re.compile(re.escape(_DATA_PREFIX) + r"[a-z0-9_]{8}")
#: The files a data folder holds (:func:`fastw2v.native.save_native`'s, and the
#: output matrices); a folder holding anything else is not one of ours.
_DATA_FILES = native.NATIVE_FILES | {name + ".npy" for name in OUTPUTS}


def is_model(path):
    """True if ``path`` is a directory holding a fastw2v model (its ``model.json``, of our format).

    (Another program's ``model.json`` is not one: saved over, it was lost.)
    """
    meta_path = os.path.join(os.fspath(path), MODEL_FILE)
    if not os.path.isfile(meta_path):
        return False
    try:
        with open(meta_path, "rb") as fin:
            meta = json.loads(fin.read(1 << 20).decode("utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and meta.get("format") == MODEL_FORMAT


def _is_data_folder(folder):
    """True if ``folder`` is a data folder a save wrote or began: named as a save names
    them (``data-`` and :func:`tempfile.mkdtemp`'s 8 characters), only our files in it.

    Partial writes leave ``.NAME.XXXX.tmp`` files (:func:`fastw2v.atomic.atomic_write`).
    Only such folders are taken as ours and removed: a user's ``data-raw/``
    beside a model, holding the corpus, was deleted by the next save.
    """
    if not (_DATA_NAME.fullmatch(os.path.basename(folder)) and os.path.isdir(folder)
            and not os.path.islink(folder)):
        return False
    return all(name in _DATA_FILES or is_temp_name(name) for name in os.listdir(folder))


def check_target(path):
    """Refuse, before any work, a model path that :func:`save_model` could not or must not write.

    Accepted: a model directory (replaced), an empty directory, or a new path
    in a writable folder. Refused with :class:`fastw2v.atomic.OutputPathError`:
    a file, a directory holding anything else, a missing or read-only folder.
    """
    path = os.fspath(path)
    if not os.path.lexists(path):
        parent = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(parent):
            raise OutputPathError(f"{path}: the folder {parent} does not exist")
        if not os.access(parent, os.W_OK | os.X_OK):
            raise OutputPathError(f"{path}: the folder {parent} is not writable")
        return
    if not os.path.isdir(path):
        raise OutputPathError(f"{path} exists and is not a directory; "
                              "a model is saved to a directory")
    if is_model(path):
        return
    if os.path.isfile(os.path.join(path, MODEL_FILE)):
        raise OutputPathError(f"{path} holds a {MODEL_FILE} that is not a fastw2v model's; "
                              "choose a new or empty directory")
    if not all(_is_data_folder(os.path.join(path, name)) or is_temp_name(name, of=MODEL_FILE)
               for name in os.listdir(path)):
        raise OutputPathError(f"{path} is a directory that holds other files, not a "
                              "fastw2v model; choose a new or empty directory")


def save_model(path, keys, syn0, outputs, counts, meta):
    """Save a model to directory ``path`` (see the module docstring), atomically.

    Parameters
    ----------
    path : str or os.PathLike
        A new path, an empty directory, or a model directory to replace.
    keys : list of str
    syn0 : ndarray of float32, shape (V, dim)
    outputs : dict
        The output matrices by name (:data:`OUTPUTS`); float32, ``dim`` columns.
    counts : ndarray of int64, shape (V,)
    meta : dict
        JSON-serialisable: settings, training state, corpus fingerprint.

    Raises
    ------
    fastw2v.atomic.OutputPathError
        ``path`` is a file, or a directory with other content.
    OSError
        The disk is full or not writable; the previous model is kept.
    """
    path = os.fspath(path)
    check_target(path)
    os.makedirs(path, exist_ok=True)
    data = tempfile.mkdtemp(prefix=_DATA_PREFIX, dir=path)
    try:
        native.save_native(data, keys, syn0, counts)
        for name, matrix in outputs.items():
            if name not in OUTPUTS:
                raise ValueError(f"unknown output matrix {name!r}")
            with atomic_write(os.path.join(data, name + ".npy")) as fout:
                np.save(fout, matrix, allow_pickle=False)
        record = {"format": MODEL_FORMAT, "version": MODEL_VERSION,
                  "data": os.path.basename(data), "outputs": sorted(outputs), **meta}
        with atomic_write(os.path.join(path, MODEL_FILE), "w") as fout:
            json.dump(record, fout, indent=1)
            fout.write("\n")
    except BaseException:
        shutil.rmtree(data, ignore_errors=True)
        raise
    for name in os.listdir(path):  # older folders, and leftovers of interrupted saves
        folder = os.path.join(path, name)
        if name != os.path.basename(data) and _is_data_folder(folder):
            shutil.rmtree(folder, ignore_errors=True)
        elif is_temp_name(name, of=MODEL_FILE):  # a partial model.json of an interrupted save
            with contextlib.suppress(OSError):
                os.unlink(folder)


def read_meta(path):
    """The parsed ``model.json`` of model directory ``path``, checked for format and version."""
    path = os.fspath(path)
    meta_path = os.path.join(path, MODEL_FILE)
    if not os.path.isdir(path):
        raise ModelFormatError(f"{path}: no such model directory")
    if not os.path.isfile(meta_path):
        raise ModelFormatError(f"{path}: not a fastw2v model (no {MODEL_FILE}); "
                               "a model is a directory written by Word2Vec.save or --save-model")
    try:
        with open(meta_path, "rb") as fin:
            meta = json.loads(fin.read().decode("utf-8"))
    except ValueError as exc:
        raise ModelFormatError(f"{meta_path}: damaged (invalid JSON: {exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != MODEL_FORMAT:
        raise ModelFormatError(f"{meta_path}: not a fastw2v model file")
    if meta.get("version") != MODEL_VERSION:
        raise ModelFormatError(f"{meta_path}: model format version {meta.get('version')!r}; "
                               f"this fastw2v reads version {MODEL_VERSION}")
    data = meta.get("data")
    if not isinstance(data, str) or not data.startswith(_DATA_PREFIX) or os.sep in data:
        raise ModelFormatError(f"{meta_path}: damaged (no data folder named)")
    outputs = meta.get("outputs")
    if not isinstance(outputs, list) or not outputs or not set(outputs) <= set(OUTPUTS):
        raise ModelFormatError(f"{meta_path}: damaged (output matrices {outputs!r})")
    return meta


def load_model(path, mmap=None):
    """Load model directory ``path``.

    Parameters
    ----------
    path : str or os.PathLike
    mmap : {None, 'r', 'c'}
        None reads both matrices into memory; ``'r'`` maps them read-only
        (query only, no training); ``'c'`` maps them copy-on-write (training
        changes memory, never the files).

    Returns
    -------
    (meta, keys, syn0, outputs, counts)
        ``outputs``: the output matrices by name, as saved.

    Raises
    ------
    ModelFormatError
        The directory is not a model, or its files are missing, damaged or disagree.
    """
    if mmap not in (None, "r", "c"):
        raise ValueError(f"mmap must be None, 'r' or 'c', not {mmap!r}")
    path = os.fspath(path)
    meta = read_meta(path)
    data = os.path.join(path, meta["data"])
    try:
        keys, syn0, counts = native.load_native(data, mmap=True)
        outputs = {name: np.load(os.path.join(data, name + ".npy"), mmap_mode="r",
                                 allow_pickle=False) for name in meta["outputs"]}
    except (OSError, ValueError) as exc:  # VectorsFormatError is a ValueError
        raise ModelFormatError(f"{path}: damaged model: {exc}") from None
    rows = {"syn1neg": syn0.shape[0], "syn1": syn0.shape[0] - 1}
    for name, matrix in outputs.items():
        if (syn0.dtype != np.float32 or matrix.dtype != np.float32
                or matrix.shape != (rows[name], syn0.shape[1])):
            raise ModelFormatError(f"{path}: damaged model: the input vectors are {syn0.dtype} "
                                   f"{syn0.shape}, {name} {matrix.dtype} {matrix.shape}")
    if counts is None:
        raise ModelFormatError(f"{path}: damaged model: the vocabulary has no counts")
    if mmap != "r":
        syn0 = _materialise(syn0, mmap)
        outputs = {name: _materialise(matrix, mmap) for name, matrix in outputs.items()}
        # training refuses to write a diverged model, so inf or NaN here is damage;
        # left in, a resumed run would report it as divergence
        for name, matrix in (("syn0", syn0), *outputs.items()):
            if not all_finite(matrix):
                raise ModelFormatError(f"{path}: damaged model: {name} holds inf or NaN")
    return meta, keys, syn0, outputs, counts


def _materialise(array, mmap):
    """A writable version of a read-only map: copy-on-write (``'c'``) or in memory (None)."""
    if mmap == "c":
        return np.load(array.filename, mmap_mode="c", allow_pickle=False)
    return np.array(array)
