"""Running a command as a timed child: wall and CPU seconds, peak RSS, CPU stall.

:func:`run_timed` is how every benchmark times a system (see ``_systems.run_system``)
or the NumPy reference (``bench_throughput.py``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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
