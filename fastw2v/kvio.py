"""The file half of KeyedVectors: the word2vec formats (gensim's signatures) and the native one.

:class:`VectorFiles` is a mixin of :class:`fastw2v.keyedvectors.KeyedVectors`; the
formats themselves are read and written by :mod:`fastw2v.formats` and :mod:`fastw2v.native`.
"""

import logging
import os

import numpy as np

from fastw2v import formats, native, persist

logger = logging.getLogger(__name__)


class VectorFiles:
    """Saving and loading for KeyedVectors (needs the attributes of VectorStore)."""

    def save_word2vec_format(self, fname, fvocab=None, binary=False, total_vec=None, write_header=True,
                             prefix="", append=False, sort_attr="count"):
        """Write word2vec text or binary format, atomically (and a vocabulary file with `fvocab`).

        As gensim: when the `sort_attr` attribute exists (``counts`` by default) keys are
        written by descending value, ties in index order; otherwise in index order.
        See :func:`fastw2v.formats.write_word2vec`.

        Parameters
        ----------
        fname : str or os.PathLike
        fvocab : str or os.PathLike, optional
            Also write ``key count`` lines, as ``word2vec.c -save-vocab`` does.
        binary : bool
        total_vec : int, optional
            Count to write in the header instead of the number of keys.
        write_header : bool
            Without the header the file is GloVe-style text.
        prefix : str
            Written before each key.
        append : bool
            Add to the end of existing files (still rewritten atomically).
        sort_attr : str
            Attribute giving the order; it must exist when `fvocab` is given.

        Raises
        ------
        ValueError
            `fvocab` without the `sort_attr` attribute, a non-numeric `sort_attr`, or keys
            that cannot be written.
        """
        _check_fvocab(fvocab)
        values = self.expandos.get(sort_attr)
        if values is None and fvocab is not None:
            raise ValueError(f"Cannot store vocabulary with '{sort_attr}' because that attribute does not exist")
        order = None
        if values is not None:
            if not np.issubdtype(values.dtype, np.number):
                raise ValueError(f"sort_attr {sort_attr!r} holds {values.dtype} values, not numbers")
            order = np.argsort(-values, kind="stable")  # stable: ties stay in index order
            if np.array_equal(order, np.arange(len(order))):
                order = None
        keys = [key if not isinstance(key, (int, np.integer)) else str(key) for key in self.index_to_key]
        if fvocab is not None:
            rows = range(len(keys)) if order is None else order
            formats.write_vocab_counts(fvocab, [keys[i] for i in rows], values[rows], prefix, append)
        formats.write_word2vec(fname, keys, self._vectors, binary=binary, write_header=write_header,
                               order=order, prefix=prefix, total_vec=total_vec, append=append)

    @classmethod
    def load_word2vec_format(cls, fname, fvocab=None, binary=False, encoding="utf8", unicode_errors="strict",
                             limit=None, datatype=np.float32, no_header=False):
        """Read word2vec text/binary or fastText ``.vec`` format (gensim's signature).

        Counts come from `fvocab` (``key count`` lines, as ``word2vec.c -save-vocab``
        writes; keys missing from it get 0, with a warning). Without it, as gensim does,
        counts are made up in descending order (n - i), so that count-based methods work.

        Parameters
        ----------
        fname : str or os.PathLike
        fvocab : str or os.PathLike, optional
        binary : bool or None
            None detects the format.
        encoding : str
            Encoding of the keys (of both files).
        unicode_errors : str
            As in gensim, ``'strict'`` by default: an undecodable key raises
            :class:`~fastw2v.formats.KeyDecodeError` (a ``UnicodeDecodeError``); pass
            ``'replace'`` (the default of :func:`fastw2v.formats.read_word2vec` and of
            the CLI) or ``'ignore'`` to accept such files.
        limit : int, optional
            Read only the first `limit` vectors; 0, as None, reads them all (as in
            gensim, where ``limit=0`` is no limit).
        datatype : numpy dtype
            float32, or float16 to halve memory.
        no_header : bool
            Text without the ``"<count> <dim>"`` line (GloVe).
        """
        _check_fvocab(fvocab)
        if limit is not None and not isinstance(limit, bool) and limit == 0:
            limit = None
        counts_by_key = None
        if fvocab is not None:
            counts_by_key = formats.read_vocab_counts(fvocab, encoding=encoding, unicode_errors=unicode_errors)
        keys, vectors = formats.read_word2vec(fname, binary=binary, limit=limit, unicode_errors=unicode_errors,
                                              datatype=datatype, encoding=encoding, no_header=no_header)
        return cls(vectors, keys, _file_counts(keys, counts_by_key, fvocab))

    def intersect_word2vec_format(self, fname, lockf=0.0, binary=False, encoding="utf8", unicode_errors="strict"):
        """Take the vectors of a word2vec file for the keys that are also here; add no key.

        Parameters
        ----------
        fname : str or os.PathLike
        lockf : float
            Stored in ``vectors_lockf`` for the merged rows when this object has such an
            array (as gensim); fastw2v itself keeps no lock factors.
        binary, encoding, unicode_errors
            As in :meth:`load_word2vec_format`.

        Returns
        -------
        int
            Number of vectors merged.

        Raises
        ------
        ValueError
            The file's vector size differs.
        """
        keys, vectors = formats.read_word2vec(fname, binary=binary, encoding=encoding,
                                              unicode_errors=unicode_errors)
        if vectors.shape[1] != self.vector_size:
            raise ValueError(f"incompatible vector size {vectors.shape[1]} in file {fname}")
        pairs = [(self.key_to_index[key], i) for i, key in enumerate(keys) if key in self.key_to_index]
        if pairs:
            rows, sources = (list(column) for column in zip(*pairs))
            merged = self._writable_vectors()
            merged[rows] = vectors[sources]
            self._commit_vectors(merged)
            if hasattr(self, "vectors_lockf"):
                self.vectors_lockf[rows] = lockf
        logger.info("merged %d vectors into %s matrix from %s", len(pairs), self._vectors.shape, fname)
        return len(pairs)

    def save(self, path, dtype=None):
        """Save to the native format: directory `path` with vectors.npy, vocab.txt, meta.json.

        Only ``counts`` is saved among the per-key attributes. Nothing is pickled.

        Parameters
        ----------
        path : str or os.PathLike
            Directory (created if needed; its files are replaced atomically).
        dtype : numpy dtype, optional
            Storage dtype; ``np.float16`` halves the size.
        """
        native.save_native(path, self.index_to_key, self._vectors, self.counts, dtype=dtype)

    @classmethod
    def load(cls, path, mmap=True):
        """Load a directory written by :meth:`save`, or the word vectors of a whole model.

        Parameters
        ----------
        path : str or os.PathLike
            A directory of :meth:`save`, or of :meth:`fastw2v.Word2Vec.save`
            (``--save-model``): then its ``model.wv``.
        mmap : bool, None, 'r' or 'c'
            Memory-map vectors.npy read-only (True, ``'r'``) or copy-on-write
            (``'c'``) instead of reading it (False, None); float16 vectors are
            still converted to float32 in memory when similarities are computed;
            editing read-only mapped vectors makes an in-memory copy first.
        """
        if persist.is_model(path):
            path = os.path.join(os.fspath(path), persist.read_meta(path)["data"])
        keys, vectors, counts = native.load_native(path, mmap=mmap)
        return cls(vectors, keys, counts)


def _check_fvocab(fvocab):
    """Refuse a bool or int `fvocab`: `binary` passed in its place (gensim order: fname, fvocab, binary)."""
    if isinstance(fvocab, (bool, int)):
        raise TypeError(f"fvocab must be a path, got {fvocab!r}; pass binary= by keyword "
                        "(the arguments are fname, fvocab, binary, as in gensim)")


def _file_counts(keys, counts_by_key, fvocab):
    """Counts for keys read from a word2vec file: from the vocabulary file, or made up (n - i)."""
    if counts_by_key is None:
        return np.arange(len(keys), 0, -1, dtype=np.int64)
    missing = [key for key in keys if key not in counts_by_key]
    if missing:
        logger.warning("vocabulary file %s is incomplete: %d keys missing (%s...), given count 0",
                       fvocab, len(missing), ", ".join(map(repr, missing[:3])))
    return np.array([counts_by_key.get(key, 0) for key in keys], dtype=np.int64)
