"""The storage half of KeyedVectors: keys, vectors, per-key attributes, and editing them.

:class:`VectorStore` holds the row-per-key matrix, the ``index_to_key`` / ``key_to_index``
pair, gensim's per-key attributes (``expandos``; ``'count'`` is the one fastw2v fills and
saves) and the caches derived from the vectors (float32 copy, norms, unit vectors). Every
change to the vectors, whether a new array or rows written in place, goes through
:meth:`VectorStore._commit_vectors`, which drops those caches, so scores are never
computed from stale norms. :class:`fastw2v.keyedvectors.KeyedVectors` adds the queries.

Editing follows gensim 4.4 (``add_vector``, ``add_vectors``, ``__setitem__``,
``set_vecattr``, ``sort_by_descending_frequency``, ``resize_vectors``), with checks where
gensim would silently corrupt its state: wrong vector shapes raise ``ValueError``, and a
key repeated within one batch is added once.
"""

from numbers import Integral

import numpy as np

#: What can be a key: gensim's key types (bool excluded: True would alias the int 1).
KEY_TYPES = (str, int, np.integer)


def is_key(value):
    """True if `value` can be a key (a str or an int, not a bool)."""
    return isinstance(value, KEY_TYPES) and not isinstance(value, (bool, np.bool_))


def storage_dtype(dtype):
    """float16 is kept (half the memory); every other dtype is stored as float32."""
    return np.dtype(np.float16) if np.dtype(dtype) == np.float16 else np.dtype(np.float32)


def _attribute_dtype(kind):
    """numpy dtype for a per-key attribute whose values are of Python/numpy type `kind`."""
    if kind is int:
        return np.dtype(np.int64)  # 64-bit everywhere (numpy's int is 32-bit on Windows)
    if kind is str or kind is np.str_:
        return np.dtype(object)    # not numpy's fixed-width strings: they waste memory
    return np.dtype(kind)


def _blank(size, dtype):
    """An attribute array of `size` unset values: zeros, or None for object attributes."""
    return np.full(size, None if dtype == object else 0, dtype=dtype)


def _key_index(keys):
    """``{key: index}`` for a list of keys; None marks a free preallocated slot."""
    index = {}
    for i, key in enumerate(keys):
        if key is None:
            continue
        if key in index:
            raise ValueError(f"duplicate key {key!r} in index_to_key")
        index[key] = i
    return index


class VectorStore:
    """Rows of vectors addressed by keys; the base class of KeyedVectors.

    Not used directly: see :class:`fastw2v.keyedvectors.KeyedVectors` for the two ways
    to construct one.
    """

    # ------------------------------------------------------------------ construction

    def _init_from_arrays(self, vectors, index_to_key, counts=None):
        self.expandos = {}
        self.mapfile_path = None
        self.index_to_key = index_to_key
        self.next_index = len(self.index_to_key)
        self.vectors = vectors
        self.counts = counts

    def _init_empty(self, vector_size, count=0, dtype=np.float32, mapfile_path=None):
        for name, value, low in (("vector_size", vector_size, 1), ("count", count, 0)):
            if not isinstance(value, Integral) or isinstance(value, bool) or value < low:
                raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
        self.expandos = {}
        self.mapfile_path = mapfile_path
        # gensim preallocates `count` free slots (key None, zero vector); add_vector and
        # add_vectors fill them in order (next_index) before growing the arrays.
        self.index_to_key = [None] * int(count)
        self.next_index = 0
        self.vectors = np.zeros((int(count), int(vector_size)), dtype=storage_dtype(dtype))

    # ------------------------------------------------------------------ keys

    @property
    def index_to_key(self):
        """list: the key of each row. Assigning a new list rebuilds ``key_to_index``."""
        return self._index_to_key

    @index_to_key.setter
    def index_to_key(self, keys):
        keys = list(keys)
        self.key_to_index = _key_index(keys)
        self._index_to_key = keys

    def __len__(self):
        return len(self._index_to_key)

    def get_index(self, key, default=None):
        """Row index of `key`; an int that is not a key but is in range is an index itself.

        Raises
        ------
        KeyError
            ``"Key 'xyz' not present in vocabulary"``, unless `default` is given.
        """
        index = self.key_to_index.get(key, -1) if is_key(key) else -1
        if index >= 0:
            return index
        if isinstance(key, (int, np.integer)) and is_key(key) and 0 <= key < len(self):
            return int(key)
        if default is not None:
            return default
        raise KeyError(f"Key '{key}' not present in vocabulary")

    def has_index_for(self, key):
        """True if `key` is a key (or an index) of this object."""
        return self.get_index(key, -1) >= 0

    def __contains__(self, key):
        return self.has_index_for(key)

    # ------------------------------------------------------------------ vectors and caches

    @property
    def vectors(self):
        """numpy.ndarray, shape (n, dim): the stored vectors (float32 or float16)."""
        return self._vectors

    @vectors.setter
    def vectors(self, value):
        value = np.asarray(value)
        if value.dtype not in (np.float32, np.float16):
            value = value.astype(np.float32)
        if value.ndim != 2 or value.shape[0] != len(self):
            raise ValueError(f"vectors must have shape ({len(self)}, dim), got {value.shape}")
        self._commit_vectors(value)

    def _commit_vectors(self, value):
        """Store `value` (already checked) and drop every cache derived from the vectors."""
        self._vectors = value
        self._v32 = None     # float32 copy, only for float16 storage
        self._norms = None   # (n,) float32 L2 norms
        self._unit = None    # (m, dim) float32 unit vectors of the first m keys

    def _writable_vectors(self):
        """The vectors, copied first if read-only (a memory-mapped file), for writing rows."""
        if self._vectors.flags.writeable:
            return self._vectors
        return np.array(self._vectors)

    def _vectors32(self):
        """The vectors as float32, shape (n, dim) (a cached copy for float16 storage)."""
        if self._vectors.dtype == np.float32:
            return self._vectors
        if self._v32 is None:
            self._v32 = self._vectors.astype(np.float32)
        return self._v32

    @property
    def vector_size(self):
        """int: dimensionality of the vectors."""
        return self._vectors.shape[1]

    @property
    def norms(self):
        """numpy.ndarray, shape (n,), float32: L2 norm of each vector (computed once).

        Assign None (gensim's idiom after editing vectors) to drop it and the other caches.
        """
        if self._norms is None:
            self._norms = np.linalg.norm(self._vectors32(), axis=1)
        return self._norms

    @norms.setter
    def norms(self, value):
        if value is not None:
            raise ValueError("norms are derived from the vectors; assign None to recompute them")
        self._commit_vectors(self._vectors)

    def fill_norms(self, force=False):
        """Compute the norms now (gensim compatibility; they are otherwise computed on use)."""
        if force:
            self._commit_vectors(self._vectors)
        return self.norms

    # ------------------------------------------------------------------ per-key attributes

    @property
    def counts(self):
        """numpy.ndarray, shape (n,), int64, or None: corpus frequency of each key.

        The ``'count'`` attribute of :meth:`get_vecattr`; the only one saved by :meth:`save`.
        """
        return self.expandos.get("count")

    @counts.setter
    def counts(self, value):
        if value is None:
            self.expandos.pop("count", None)
            return
        value = np.asarray(value, dtype=np.int64)
        if value.shape != (len(self),):
            raise ValueError(f"counts has shape {value.shape}, expected ({len(self)},)")
        self.expandos["count"] = value

    def allocate_vecattrs(self, attrs=None, types=None):
        """Make the arrays of per-key attributes exist and have one entry per key.

        New entries are 0 (None for object attributes, where gensim puts 0).

        Parameters
        ----------
        attrs : list of str, optional
            Attributes to create if missing (default: resize the existing ones).
        types : list of type, optional
            Value type of each of `attrs` (int is stored as int64, str as object).

        Raises
        ------
        TypeError
            An attribute exists with a type that cannot hold the given one.
        """
        if attrs is None:
            attrs = list(self.expandos)
            types = [self.expandos[attr].dtype for attr in attrs]
        size = len(self)
        for attr, kind in zip(attrs, types):
            dtype = _attribute_dtype(kind)
            old = self.expandos.get(attr)
            if old is None:
                self.expandos[attr] = _blank(size, dtype)
                continue
            if not np.issubdtype(dtype, old.dtype):
                raise TypeError(f"attribute {attr!r} holds {old.dtype}, cannot store {dtype} in it")
            if len(old) != size:
                grown = _blank(size, old.dtype)
                keep = min(len(old), size)
                grown[:keep] = old[:keep]
                self.expandos[attr] = grown

    def set_vecattr(self, key, attr, val):
        """Set attribute `attr` of `key` to `val` (the array is created on first use)."""
        index = self.get_index(key)
        self.allocate_vecattrs([attr], [type(val)])
        self.expandos[attr][index] = val

    def get_vecattr(self, key, attr):
        """Value of attribute `attr` (such as ``'count'``) of `key`.

        Raises
        ------
        KeyError
            Unknown key, or an attribute that is not stored.
        """
        index = self.get_index(key)
        if attr not in self.expandos:
            raise KeyError(f"attribute {attr!r} is not stored for these vectors")
        return self.expandos[attr][index]

    # ------------------------------------------------------------------ adding and replacing

    def _as_rows(self, keys, weights):
        """Check a batch: (list of keys, float array of shape (len(keys), vector_size)).

        One key may come with a vector of shape (vector_size,) or (1, vector_size).
        """
        single = is_key(keys)
        keys = [keys] if single else list(keys)
        for key in keys:
            if not is_key(key):
                raise ValueError(f"keys must be str or int, got {type(key).__name__}: {key!r}")
        try:
            weights = np.asarray(weights, dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise ValueError(f"vectors must be numbers of one shape: {err}") from None
        if single and weights.ndim == 1:
            weights = weights[None, :]
        if weights.size == 0 and not keys:
            weights = weights.reshape(0, self.vector_size)
        if weights.shape != (len(keys), self.vector_size):
            raise ValueError(f"expected {len(keys)} vectors of size {self.vector_size} "
                             f"(shape ({len(keys)}, {self.vector_size})), got shape {weights.shape}")
        return keys, weights

    def _plan_writes(self, keys, replace):
        """Decide where each key of a batch goes, as if the keys were added one by one.

        Returns ``(targets, new_keys)``: ``targets`` maps row index -> position in the batch
        of the vector to write there (for a key given twice, the last occurrence when
        replacing, else the first); ``new_keys`` lists ``(key, row index)`` to add. New keys
        take the free preallocated slots from ``next_index`` on, then rows at the end.
        """
        targets, new_keys, placed = {}, [], {}
        slot, end = self.next_index, len(self)
        for position, key in enumerate(keys):
            index = self.key_to_index.get(key, placed.get(key))
            if index is None:
                if slot < len(self) and self._index_to_key[slot] is None:
                    index, slot = slot, slot + 1
                else:
                    index, end = end, end + 1
                placed[key] = index
                new_keys.append((key, index))
                targets[index] = position
            elif replace:
                targets[index] = position
        return targets, new_keys

    def add_vectors(self, keys, weights, extras=None, replace=False):
        """Add keys with their vectors; existing keys keep theirs unless `replace`.

        Parameters
        ----------
        keys : str, int, or sequence of them
        weights : array-like, shape (len(keys), vector_size), or (vector_size,) for one key
            Cast to the storage dtype.
        extras : dict of str to array-like, optional
            Per-key attribute values, one per key (written where the vector is written).
        replace : bool
            Replace the vectors (and extras) of keys already present.

        Raises
        ------
        ValueError
            Keys that are not str/int, or weights of the wrong shape (nothing is changed).
        TypeError
            An extra whose type does not fit its existing attribute (nothing is changed).
        """
        keys, weights = self._as_rows(keys, weights)
        extras = {attr: np.asarray(values) for attr, values in (extras or {}).items()}
        for attr, values in extras.items():
            if values.shape[:1] != (len(keys),):
                raise ValueError(f"extras[{attr!r}] has {values.shape[:1]} values for {len(keys)} keys")
        self.allocate_vecattrs(list(extras), [values.dtype.type for values in extras.values()])
        targets, new_keys = self._plan_writes(keys, replace)
        if not targets:
            return
        vectors = self._writable_vectors()
        grow = max([index + 1 for _, index in new_keys], default=0) - len(self)
        if grow > 0:
            vectors = np.concatenate([vectors, np.zeros((grow, self.vector_size), dtype=vectors.dtype)])
            self._index_to_key.extend([None] * grow)
        for key, index in new_keys:
            self._index_to_key[index] = key
            self.key_to_index[key] = index
            self.next_index = max(self.next_index, index + 1)
        rows, positions = list(targets), list(targets.values())
        vectors[rows] = weights[positions]
        self.allocate_vecattrs()
        for attr, values in extras.items():
            self.expandos[attr][rows] = values[positions]
        self._commit_vectors(vectors)

    def add_vector(self, key, vector):
        """Add one key and its vector (into the next free preallocated slot, if any).

        Returns
        -------
        int
            The row index of the new vector.

        Raises
        ------
        ValueError
            `key` is already present (use ``kv[key] = vector`` to replace its vector).
        """
        if key in self.key_to_index:
            raise ValueError(f"key {key!r} is already present; use kv[key] = vector to replace it")
        self.add_vectors(key, vector)
        return self.key_to_index[key]

    def __setitem__(self, keys, weights):
        """``kv[key] = vector`` or ``kv[list_of_keys] = vectors``: add or replace vectors."""
        self.add_vectors(keys, weights, replace=True)

    # ------------------------------------------------------------------ reordering and resizing

    def _permute(self, order):
        """Reorder rows, keys and attributes so that new row i is old row ``order[i]``."""
        self.index_to_key = [self._index_to_key[i] for i in order]
        for attr in self.expandos:
            self.expandos[attr] = self.expandos[attr][order]
        self._commit_vectors(np.ascontiguousarray(self._vectors[order]))

    def sort_by_descending_frequency(self):
        """Reorder the keys by descending ``'count'``.

        Ties are put in reverse index order, as gensim does (``np.lexsort`` on the negated
        counts and negated indices), so the result is the same key order as gensim's.

        Raises
        ------
        KeyError
            No ``'count'`` attribute.
        """
        if not len(self):
            return
        if self.counts is None:
            raise KeyError("sort_by_descending_frequency needs counts (the 'count' attribute)")
        order = np.lexsort((-np.arange(len(self)), -self.counts))
        self._permute(order)

    def resize_vectors(self, seed=0):
        """Give the vectors one row per key after keys were added to ``index_to_key``.

        Existing rows are kept; new rows are drawn, as gensim does, uniformly in
        [-1/vector_size, 1/vector_size) from ``numpy.random.default_rng(seed)`` (small
        random vectors, the usual word2vec initialisation). Attributes are resized too.
        """
        n, dim = len(self), self.vector_size
        if self._vectors.shape[0] != n:
            fresh = np.random.default_rng(seed).random((n, dim), dtype=np.float32)
            fresh *= 2.0   # [0, 2)
            fresh -= 1.0   # [-1, 1)
            fresh /= dim   # [-1/dim, 1/dim)
            keep = min(n, self._vectors.shape[0])
            fresh[:keep] = self._vectors[:keep]
            self._commit_vectors(fresh.astype(self._vectors.dtype, copy=False))
        self.allocate_vecattrs()
