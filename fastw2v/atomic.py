"""Writing files atomically, and checking an output path before any work is done.

:func:`atomic_write` writes to a temporary file in the destination folder, flushes and
fsyncs it, and only then renames it over the destination, so a crash, a full disk or an
exception never leaves a half-written file behind: the path holds its old content or the
complete new one; :func:`atomic_directory` does the same for a new directory, which
appears complete or not at all. :func:`resolve_output` refuses, with a one-line reason, a path that
must not be written (a folder, a device, a read-only file, a missing folder, a name that
is too long); :func:`atomic_write` calls it first, and the command line calls it before
training so that a long run does not end on an unwritable output.
"""

import contextlib
import os
import shutil
import stat
import tempfile

#: A temporary file is named ``.<at most this many characters of the name>.<8 random>.tmp``:
#: at most 4 * 40 + 14 bytes, so any name the folder accepts leaves room for it.
_TEMP_NAME_CHARS = 40
#: File-name limit where ``pathconf`` cannot tell (Linux, macOS and Windows all allow 255).
_DEFAULT_NAME_MAX = 255

_UMASK = None


class OutputPathError(OSError):
    """An output path cannot or must not be written; the message says why."""


def _temp_prefix(path):
    return f".{os.path.basename(path)[:_TEMP_NAME_CHARS]}."


def is_temp_name(name, of=None):
    """True if ``name`` is a temporary file or folder of this module's writes (``.NAME.XXXX.tmp``).

    What an interrupted write leaves; with ``of``, only one of writing ``of``.
    """
    prefix = "." if of is None else _temp_prefix(of)
    return name.startswith(prefix) and name.endswith(".tmp")


def resolve_output(path):
    """The regular file that writing `path` will create or replace, checked before any write.

    Symbolic links are followed, so the link stays and its target gets the new content
    (as ``cp`` or a shell redirection do). Refused, with a one-line reason: a folder or a
    path ending in a separator, anything that is not a regular file (a device such as
    ``/dev/null``, a FIFO, a socket: renaming over it would replace it), a file without
    write permission (even for root: read-only is the owner's wish), a missing or
    unwritable folder, and a name longer than the folder allows.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    str
        The absolute real path to write.

    Raises
    ------
    OutputPathError
    """
    path = os.fspath(path)
    if not path:
        raise OutputPathError("the output path is empty; give a file name")
    if path.endswith(os.sep) or (os.altsep and path.endswith(os.altsep)):
        raise OutputPathError(f"{path}: names a folder; give a file name")
    real = os.path.realpath(path)
    try:
        # the path itself first: the kernel follows links that realpath cannot
        # (/dev/stdout into a pipe is /proc/self/fd/1, whose target, "pipe:[N]",
        # is no path: it passed as a new file, and the write failed after training)
        try:
            st = os.stat(path)
        except FileNotFoundError:
            st = os.stat(real)
    except FileNotFoundError:
        st = None
    except OSError as exc:  # a symlink loop, a component that is a file, ...
        raise OutputPathError(f"{path}: {exc.strerror or exc}") from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise OutputPathError(f"{path} is a directory")
        if not stat.S_ISREG(st.st_mode):
            raise OutputPathError(f"{path} is not a regular file (a device, FIFO or socket); "
                                  "only regular files are written")
        if not st.st_mode & 0o222 or not os.access(real, os.W_OK):
            raise OutputPathError(f"{path} is read-only; make it writable or choose another name")
    folder, name = os.path.split(real)
    if not os.path.isdir(folder):
        raise OutputPathError(f"output folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputPathError(f"output folder {folder} is not writable")
    try:
        name_max = os.pathconf(folder, "PC_NAME_MAX")
    except (AttributeError, ValueError, OSError):
        name_max = _DEFAULT_NAME_MAX
    if len(os.fsencode(name)) > name_max:
        raise OutputPathError(f"{path}: file name too long (the folder allows {name_max} bytes)")
    return real


def _umask():
    """The process umask (os.umask can only be read by setting it: done once, restored at once)."""
    global _UMASK
    if _UMASK is None:
        _UMASK = os.umask(0o022)
        os.umask(_UMASK)
    return _UMASK


def _fsync_dir(folder):
    """Make a rename inside `folder` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_write(path, mode="wb", encoding=None):
    """Open a temporary file next to `path`; on success rename it over `path`.

    The temporary file lives in the destination folder (``os.replace`` is only atomic within
    one file system), is flushed and fsync'ed before the rename, and is deleted if the
    ``with`` block raises, so `path` holds either its old content or the complete new one.

    `path` is first checked by :func:`resolve_output`: through a symbolic link the link's
    target is written; devices, FIFOs and read-only files are refused.

    Parameters
    ----------
    path : str or os.PathLike
        Destination file.
    mode : {'wb', 'w'}
        Binary or text mode for the yielded file object.
    encoding : str, optional
        Encoding for text mode (default UTF-8).

    Yields
    ------
    file object
        The open temporary file.
    """
    path = resolve_output(path)
    if "b" not in mode and encoding is None:
        encoding = "utf-8"
    folder = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(path), suffix=".tmp", dir=folder)
    try:
        try:
            file_mode = os.stat(path).st_mode & 0o7777
        except FileNotFoundError:
            file_mode = 0o666 & ~_umask()  # what open(path, 'w') would give
        os.chmod(tmp, file_mode)  # mkstemp creates 0o600; give the usual permissions
        with os.fdopen(fd, mode, encoding=encoding) as fout:
            fd = None
            yield fout
            fout.flush()
            os.fsync(fout.fileno())
        os.replace(tmp, path)
    except BaseException:
        if fd is not None:
            os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(folder)


@contextlib.contextmanager
def atomic_directory(path):
    """Build a new directory under a temporary name next to `path`; on success rename it to `path`.

    The directory appears complete or not at all: if the ``with`` block raises, the
    temporary directory and everything written into it are deleted. Write the files in
    it with :func:`atomic_write` so that each is fsync'ed before the rename.

    Parameters
    ----------
    path : str or os.PathLike
        The directory to create, or to replace as a whole (:func:`_exchange`).

    Yields
    ------
    str
        The temporary directory to fill.
    """
    path = os.fspath(path)
    parent = os.path.dirname(os.path.abspath(path))
    tmp = tempfile.mkdtemp(prefix=_temp_prefix(path), suffix=".tmp", dir=parent)
    replacing = os.path.isdir(path) and bool(os.listdir(path))
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp creates 0o700
        if replacing:
            _exchange(tmp, path)  # tmp now holds the old directory
        else:
            os.rename(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _fsync_dir(parent)
    if replacing:
        shutil.rmtree(tmp, ignore_errors=True)


#: ``renameat2``'s flag that swaps two paths, and the "current directory" fd (Linux).
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(new, path):
    """Put directory ``new`` at ``path`` and the old ``path`` at ``new``, in one step if possible.

    On Linux ``renameat2(RENAME_EXCHANGE)`` swaps them atomically: ``path``
    holds the old directory or the new one, never a mix of their files (a
    directory rewritten file by file did: new vectors under the old words,
    after a failure halfway). Elsewhere, two renames: a crash between them
    leaves ``path`` missing and both directories beside it.
    """
    import ctypes
    import errno

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        renameat2 = None
    if renameat2 is not None:
        if renameat2(_AT_FDCWD, os.fsencode(new), _AT_FDCWD, os.fsencode(path),
                     _RENAME_EXCHANGE) == 0:
            return
        code = ctypes.get_errno()
        if code not in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
            raise OSError(code, os.strerror(code), path)
    old = tempfile.mkdtemp(prefix=_temp_prefix(path), suffix=".old.tmp",
                           dir=os.path.dirname(os.path.abspath(path)))
    os.rmdir(old)
    os.rename(path, old)
    try:
        os.rename(new, path)
    except BaseException:
        os.rename(old, path)  # the old directory back where it was
        raise
    os.rename(old, new)
