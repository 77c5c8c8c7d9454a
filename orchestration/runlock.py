"""One run at a time per warehouse, and child processes that die with their run.

``run_lock`` takes an exclusive lock on ``<warehouse>.lock`` (``flock``: the kernel drops
it when the holder dies, however it dies) before a run writes anything. A second run waits
up to ``CCHC_RUN_LOCK_WAIT_SECONDS`` for it, then stops with ``RunLocked``, which names the
holder. The lock is re-entrant within a process: ``cchc run`` takes it, and the Dagster
run it starts takes it again through the ``settings`` resource (which is how runs started
from the UI, the schedule and the sensor take it too).

``dbt_executable`` is the dbt command the pipeline starts: a tiny wrapper that asks the
kernel to kill dbt when the process that started it dies (``PR_SET_PDEATHSIG``), so a run
killed with ``kill -9`` leaves no ``dbt build`` writing the warehouse behind it, and runs
dbt's command line in that process (``DBT_MAIN``). Once dbt is done and its exit functions
have run (dbt-duckdb's closes the warehouse, logging's flushes the log), the process ends
without Python's teardown of the 1,600 modules dbt loaded: 0.6 to 0.9 s after a build at
1 M dossiers, every run (docs/decisions.md, "dbt ends without Python's teardown").
"""

from __future__ import annotations

import fcntl
import os
import sys
import threading
import time
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path


class RunLocked(RuntimeError):
    """Another run holds the warehouse."""


_held: dict[str, list] = {}  # lock path -> [fd, depth]
_guard = threading.Lock()


def lock_path(warehouse: Path | str) -> Path:
    warehouse = Path(warehouse)
    return warehouse.with_name(warehouse.name + ".lock")


@contextmanager
def run_lock(warehouse: Path | str, wait_seconds: float = 0.0):
    """Hold the warehouse's run lock for the ``with`` block (module doc)."""
    path = lock_path(warehouse)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = str(path.resolve())
    with _guard:
        if key in _held:
            _held[key][1] += 1
            reentered = True
        else:
            reentered = False
    if not reentered:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "unknown"
                    os.close(fd)
                    raise RunLocked(
                        f"another run holds the warehouse {warehouse} ({holder}); waited {wait_seconds:g} s "
                        "(CCHC_RUN_LOCK_WAIT_SECONDS). Nothing was written: try again when it has finished"
                    ) from None
                time.sleep(min(0.5, max(0.01, deadline - time.monotonic())))
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}, since {datetime.now():%Y-%m-%d %H:%M:%S}".encode(), 0)
        with _guard:
            _held[key] = [fd, 1]
    try:
        yield
    finally:
        with _guard:
            entry = _held[key]
            entry[1] -= 1
            if entry[1] == 0:
                del _held[key]
                os.ftruncate(entry[0], 0)
                os.close(entry[0])  # closing the descriptor releases the lock


# dbt's command line in a process killed by the kernel when the run that started it dies
# (PR_SET_PDEATHSIG), so no dbt outlives its run, and that ends, once dbt's exit functions
# have run, without Python's teardown (the module doc).
DBT_MAIN = """
import atexit, ctypes, os, signal, sys
ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
if os.getppid() == 1:
    sys.exit("the run that started dbt has already stopped")
from dbt.cli.main import cli
sys.argv[0] = "dbt"  # the name dbt's messages give the command
code = 0
try:
    cli()
except SystemExit as done:  # how dbt's command line (click) ends, with dbt's exit code
    if isinstance(done.code, int) or done.code is None:
        code = done.code or 0
    else:
        print(done.code, file=sys.stderr)
        code = 1
atexit._run_exitfuncs()  # what a normal exit runs: the warehouse closed, the log flushed
sys.stdout.flush()
sys.stderr.flush()
os._exit(code)
"""
WRAPPER_HEAD = """# Written by orchestration/runlock.py (DBT_MAIN): dbt, killed by the kernel when the run
# that started it dies, ending without Python's teardown.
"""


def _dbt_script() -> str:
    """dbt's own command, beside this Python: what runs off Linux."""
    return str(Path(sys.executable).with_name("dbt"))


def dbt_executable(work_dir: Path) -> str:
    """The dbt command runs start: the wrapper of the module doc on Linux, else dbt itself."""
    if not sys.platform.startswith("linux"):
        return _dbt_script()
    wrapper = Path(work_dir).resolve() / "dbt"  # dbt runs in the project folder: no relative path
    text = f"#!{sys.executable}\n{WRAPPER_HEAD}{DBT_MAIN}"
    if not wrapper.is_file() or wrapper.read_text() != text:
        wrapper.parent.mkdir(parents=True, exist_ok=True)
        tmp = wrapper.with_name(f".dbt.{os.getpid()}")
        tmp.write_text(text)
        tmp.chmod(0o755)
        os.replace(tmp, wrapper)
    return str(wrapper)


def dbt_argv() -> list[str]:
    """The start of a dbt command line outside Dagster (the bench, the tests, the manifest):
    ``DBT_MAIN`` as the wrapper runs it, on Linux; else dbt itself."""
    if not sys.platform.startswith("linux"):
        return [_dbt_script()]
    return [sys.executable, "-c", DBT_MAIN]
