"""Where the benchmarks find things, and the environment their processes run in.

Every benchmark script imports it before anything loads numpy: importing it
sets one BLAS thread for the whole process.  It imports only the standard
library.
"""

from __future__ import annotations

import os
import tempfile
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


def child_env(system: str, threads: int) -> dict:
    """Environment for a timed child: one BLAS thread for peers, N Numba threads.

    ``PYTHONPATH`` puts the working tree's fastw2v and this folder first, so a
    child imports the code under test and the benchmark modules.
    """
    env = dict(os.environ)
    for var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS",
                "VECLIB_MAXIMUM_THREADS", "OMP_NUM_THREADS"):
        env[var] = "1"
    env["NUMBA_NUM_THREADS"] = str(threads)
    if system == "fastw2v":
        # Numba's OpenMP threading layer may read OMP_NUM_THREADS.
        env["OMP_NUM_THREADS"] = str(threads)
    path = [str(REPO_ROOT), str(BENCH_DIR)]
    if env.get("PYTHONPATH"):
        path.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(path)
    return env
