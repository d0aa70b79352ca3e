"""A writable folder for Numba's compiled-kernel cache, found before any kernel is defined.

``@njit(cache=True)`` picks a cache folder when the decorator runs, that is on import,
trying in turn (``numba.core.caching._CacheImpl._locator_classes``): ``$NUMBA_CACHE_DIR``,
the module's own ``__pycache__``, then the user-wide cache (``$XDG_CACHE_HOME/numba`` or
``~/.cache/numba``; ``~/Library/Caches/numba`` on macOS). A folder counts only if it can
be created and a file written in it. If none can (a read-only install run by a user
without a writable home, a container run as another user), numba raises RuntimeError
on import, even for ``fastw2v --help``. This module repeats that probe without importing
numba and, when all fail, points ``NUMBA_CACHE_DIR`` at a writable folder of our own,
with one warning.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile

logger = logging.getLogger("fastw2v")

_PACKAGE = os.path.dirname(os.path.abspath(__file__))


def _writable(folder):
    """numba's own test (``_CacheLocator.ensure_cache_path``): create, then write a file."""
    try:
        os.makedirs(folder, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()
    except OSError:
        return False
    return True


def _user_cache_root():
    if sys.platform == "darwin":
        return os.path.expanduser("~/Library/Caches")
    if sys.platform == "win32":
        return os.environ.get("LOCALAPPDATA") or os.path.expanduser("~")
    return os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")


def numba_candidates():
    """The folders numba would try, in its order."""
    folders = []
    if os.environ.get("NUMBA_CACHE_DIR"):
        folders.append(os.environ["NUMBA_CACHE_DIR"])
    folders.append(os.path.join(_PACKAGE, "__pycache__"))
    folders.append(os.path.join(_user_cache_root(), "numba"))
    return folders


def fallback_candidates():
    """Our own folders, tried when all of numba's fail."""
    uid = os.getuid() if hasattr(os, "getuid") else "user"
    return [os.path.join(_user_cache_root(), "fastw2v", "numba"),
            os.path.join(tempfile.gettempdir(), f"fastw2v-numba-{uid}")]


def ensure_cache_dir():
    """Make sure numba finds a writable cache folder; returns the fallback chosen, or None.

    Call before importing any module with ``@njit(cache=True)``.
    """
    if any(_writable(folder) for folder in numba_candidates()):
        return None
    unusable = ", ".join(numba_candidates())
    for folder in fallback_candidates():
        if _writable(folder):
            os.environ["NUMBA_CACHE_DIR"] = folder
            numba = sys.modules.get("numba")
            if numba is not None:  # already imported: its config has read the variable
                numba.config.CACHE_DIR = folder
            logger.warning("fastw2v: no writable Numba cache folder (%s); caching compiled "
                           "kernels in %s", unusable, folder)
            return folder
    logger.warning("fastw2v: no writable folder for Numba's cache (%s, nor %s); importing "
                   "the kernels will fail: set NUMBA_CACHE_DIR to a writable folder",
                   unusable, ", ".join(fallback_candidates()))
    return None
