"""One run at a time per warehouse, and child processes that die with their run.

``run_lock`` takes an exclusive lock on ``<warehouse>.lock`` (``flock``: the kernel drops
it when the holder dies, however it dies) before a run writes anything. A second run waits
up to ``CCHC_RUN_LOCK_WAIT_SECONDS`` for it, then stops with ``RunLocked``, which names the
holder. The lock is re-entrant within a process: ``cchc run`` takes it, and the Dagster
run it starts takes it again through the ``settings`` resource (which is how runs started
from the UI, the schedule and the sensor take it too).

``dbt_executable`` is the dbt command the pipeline starts: a tiny wrapper that asks the
kernel to kill dbt when the process that started it dies (``PR_SET_PDEATHSIG``), so a run
killed with ``kill -9`` leaves no ``dbt build`` writing the warehouse behind it.
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


WRAPPER = """#!{python}
# Written by orchestration/runlock.py: dbt, killed by the kernel when the run that
# started it dies (PR_SET_PDEATHSIG), so no dbt outlives its run.
import ctypes, os, signal, sys
ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
if os.getppid() == 1:
    sys.exit("the run that started dbt has already stopped")
os.execv({dbt!r}, [{dbt!r}, *sys.argv[1:]])
"""


def dbt_executable(work_dir: Path) -> str:
    """The dbt command runs start: the wrapper of the module doc on Linux, else dbt itself."""
    real = str(Path(sys.executable).with_name("dbt"))
    if not sys.platform.startswith("linux"):
        return real
    wrapper = Path(work_dir).resolve() / "dbt"  # dbt runs in the project folder: no relative path
    text = WRAPPER.format(python=sys.executable, dbt=real)
    if not wrapper.is_file() or wrapper.read_text() != text:
        wrapper.parent.mkdir(parents=True, exist_ok=True)
        tmp = wrapper.with_name(f".dbt.{os.getpid()}")
        tmp.write_text(text)
        tmp.chmod(0o755)
        os.replace(tmp, wrapper)
    return str(wrapper)
