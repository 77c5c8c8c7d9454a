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

``warm_dbt`` starts a dbt process ahead (``serve_warm``): it imports dbt (1.6 s of every
dbt command) while the run's ingest works, then waits for the run's next dbt command. That
command's wrapper hands it its command line, folder, environment and standard streams
(``hand_over``) and waits for its exit code, passing on the signals it gets; the process
ahead runs dbt as the wrapper would have, and dies with the wrapper as with the run. With
no process ahead, or one already taken, the wrapper runs dbt itself (docs/decisions.md,
"dbt is imported before its turn").
"""

from __future__ import annotations

import atexit
import ctypes
import fcntl
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager, suppress
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
# (PR_SET_PDEATHSIG), so no dbt outlives its run, run by the dbt process started ahead for
# the run when there is one, else here (the module doc).
DBT_MAIN = """
import sys
from orchestration.runlock import dbt_main, die_with_run, end_now
if not die_with_run():
    sys.exit("the run that started dbt has already stopped")
end_now(dbt_main())
"""


def die_with_run() -> bool:
    """Have the kernel kill this process when the thread that started it ends
    (``PR_SET_PDEATHSIG``); False when that one has already gone."""
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    return os.getppid() != 1


def end_now(code: int) -> None:
    """End this process with ``code`` once its output is out, without Python's teardown of
    dbt's modules (the module doc)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def dbt_main() -> int:
    """The wrapper's dbt command: ``--version`` answered here, anything else handed to the
    dbt process started ahead (``hand_over``) or run here; its exit code."""
    if sys.argv[1:] == ["--version"]:
        # what dagster-dbt asks before each command: the installed versions, without
        # importing dbt (1.6 s) or dbt's check of the latest release on PyPI (the warehouse
        # talks to its sources and to nothing else)
        from importlib.metadata import version

        print(f"Core:\n  - installed: {version('dbt-core')}\n\nPlugins:\n  - duckdb: {version('dbt-duckdb')}")
        return 0
    code = hand_over()
    return run_dbt_cli() if code is None else code


def run_dbt_cli() -> int:
    """dbt's command line (``sys.argv``) in this process; its exit code once dbt's exit
    functions have run (dbt-duckdb's closes the warehouse, logging's flushes the log). The
    caller ends the process with ``end_now``: no teardown of dbt's modules."""
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
    atexit._run_exitfuncs()  # what a normal exit runs
    return code


WARM_ENV = "CCHC_DBT_WARM"  # the socket of the dbt process started ahead for this run
WARM_MAIN = "import sys\nfrom orchestration.runlock import serve_warm\nserve_warm(int(sys.argv[1]), sys.argv[2])\n"
_TAKEN = b"T"  # the process ahead has the command: what the wrapper waits for before the exit code


@contextmanager
def warm_dbt():
    """A dbt process started now (``serve_warm``) for the next dbt command this process
    starts, found through ``WARM_ENV``; stopped at the end of the block, dbt run or not.
    Only where the wrapper runs dbt (Linux), and one at a time: yields the process, or None
    (also when it cannot be started: dbt then starts in its wrapper, as without it). The
    kernel ties the process's life to the thread that enters the block (``PR_SET_PDEATHSIG``
    follows the thread): the run's thread, which waits for dbt."""
    if not sys.platform.startswith("linux") or os.environ.get(WARM_ENV):
        yield None
        return
    folder = tempfile.mkdtemp(prefix="cchc-dbt-")  # the socket's folder, this user's alone
    address = os.path.join(folder, "dbt.sock")
    try:
        # listening before the process starts: a command that comes at once waits for its imports
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
            listener.bind(address)
            listener.listen(1)
            ahead = subprocess.Popen(
                [sys.executable, "-c", WARM_MAIN, str(listener.fileno()), address],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                pass_fds=(listener.fileno(),),
            )
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)
        yield None
        return
    os.environ[WARM_ENV] = address
    try:
        yield ahead
    finally:
        os.environ.pop(WARM_ENV, None)
        if ahead.poll() is None:
            ahead.kill()
        ahead.wait()
        shutil.rmtree(folder, ignore_errors=True)


def serve_warm(listening: int, address: str) -> None:
    """The dbt process started ahead: dies with the run (``PR_SET_PDEATHSIG``), imports dbt,
    and takes one command (``hand_over``) on the socket ``listening`` (bound at ``address``):
    the command's streams become this process's, then dbt runs as in the wrapper, and its
    exit code goes back."""
    if not die_with_run():
        return
    listener = socket.socket(fileno=listening)
    import dbt.cli.main  # noqa: F401  (what this process is started ahead for)

    conn, _ = listener.accept()
    listener.close()  # one command: a second one finds no process and runs dbt itself
    shutil.rmtree(os.path.dirname(address), ignore_errors=True)  # the socket's folder (warm_dbt)
    head, fds, _, _ = socket.recv_fds(conn, 8, 3)
    size, payload = int.from_bytes(head, "big"), b""
    while len(payload) < size:
        chunk = conn.recv(size - len(payload))
        if not chunk:
            os._exit(1)  # the wrapper went before it said what to run
        payload += chunk
    command = json.loads(payload)
    for target, fd in enumerate(fds):  # stdin, stdout, stderr: the wrapper's
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(command["cwd"])
    os.environ.clear()
    os.environ.update(command["env"])
    sys.argv = command["argv"]
    conn.sendall(_TAKEN)
    # the wrapper's end closes when it dies (dagster-dbt or a kill): dbt goes with it
    done = threading.Event()
    threading.Thread(target=_end_with, args=(conn, done), daemon=True).start()
    code = run_dbt_cli()
    sys.stdout.flush()  # dbt's output out before the wrapper, given the exit code, ends
    sys.stderr.flush()
    done.set()  # from here the wrapper ends because it has the exit code
    conn.sendall(bytes([code & 0xFF]))
    end_now(code)


def _end_with(conn: socket.socket, done: threading.Event) -> None:
    conn.recv(1)  # nothing is sent this way: it returns when the wrapper has gone
    if not done.is_set():
        os.kill(os.getpid(), signal.SIGKILL)


def hand_over() -> int | None:
    """The wrapper's side: give this dbt command (arguments, folder, environment, standard
    streams) to the process started ahead (``WARM_ENV``), pass on SIGINT and SIGTERM to it,
    and return its exit code; None when there is none to take it (dbt runs here)."""
    address = os.environ.get(WARM_ENV)
    if not address:
        return None
    env = {name: value for name, value in os.environ.items() if name != WARM_ENV}
    payload = json.dumps({"argv": ["dbt", *sys.argv[1:]], "cwd": os.getcwd(), "env": env}).encode()
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(address)
        socket.send_fds(conn, [len(payload).to_bytes(8, "big")], [0, 1, 2])
        conn.sendall(payload)
        if conn.recv(1) != _TAKEN:  # it was gone, or it took another command first
            conn.close()
            return None
    except OSError:
        conn.close()
        return None
    pid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))[0]

    def pass_on(number: int, _frame) -> None:
        with suppress(ProcessLookupError):  # it has just ended: its exit code is on its way
            os.kill(pid, number)

    for sig in (signal.SIGINT, signal.SIGTERM):  # dagster-dbt stops dbt with these
        signal.signal(sig, pass_on)
    code = conn.recv(1)
    if not code:
        print("dbt's process ended without an exit code", file=sys.stderr)
        return 1
    return code[0]


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
