"""An unwritable Numba cache must not break ``import fastw2v`` or ``--help`` (issue 13 item 5)."""

import os
import shutil
import subprocess
import sys

import pytest

import fastw2v

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX paths")


def test_no_writable_numba_cache_falls_back_with_one_warning(tmp_path):
    # A read-only install, as any user (root included): the package's __pycache__ is a
    # file, and NUMBA_CACHE_DIR, HOME and XDG_CACHE_HOME all lie under a file.
    site = tmp_path / "site"
    shutil.copytree(os.path.dirname(fastw2v.__file__), site / "fastw2v",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (site / "fastw2v" / "__pycache__").write_text("not a folder")
    blocker = tmp_path / "blocker"
    blocker.write_text("a file")
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site), "NUMBA_CACHE_DIR": str(blocker / "numba"),
           "HOME": str(blocker), "XDG_CACHE_HOME": str(blocker / "cache"), "TMPDIR": str(temp),
           "PYTHONDONTWRITEBYTECODE": "1"}
    code = "import fastw2v, fastw2v.word2vec, fastw2v.corpus; print(fastw2v.__file__)"
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=tmp_path,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(str(site))
    assert proc.stderr.count("no writable Numba cache folder") == 1, proc.stderr
    assert str(temp) in proc.stderr and "Traceback" not in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "fastw2v", "--help"], env=env, capture_output=True, cwd=tmp_path,
                          text=True, timeout=120)
    assert proc.returncode == 0 and "Usage" in proc.stdout, proc.stderr
