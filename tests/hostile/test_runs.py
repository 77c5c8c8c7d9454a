"""Runs as real processes: a second run on a busy warehouse writes nothing and says why;
a run killed with ``kill -9`` takes its dbt with it, the dbt process started ahead
included; a dbt command handed to that process runs as it would in its own."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

import pytest

from orchestration.defs.dbt.project import DBT_DIR
from orchestration.runlock import WARM_ENV, RunLocked, dbt_argv, run_lock, warm_dbt
from orchestration.settings import PROJECT_DIR
from sandbox.portal import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

HOLD = (
    "import sys, time\n"
    "from orchestration.runlock import run_lock\n"
    "with run_lock(sys.argv[1]):\n"
    "    print('held', flush=True)\n"
    "    time.sleep(float(sys.argv[2]))\n"
)


def hold_lock(warehouse: Path, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(warehouse), str(seconds)], cwd=PROJECT_DIR, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "held"
    return proc


def cchc(*args: str, env: dict, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "orchestration.cli", *args],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_env(tmp_path: Path, portal_url: str = "http://127.0.0.1:9") -> dict:
    return {
        **os.environ,
        "CCHC_WAREHOUSE": str(tmp_path / "warehouse.duckdb"),
        "CCHC_PUBLISH_DIR": str(tmp_path / "published"),
        "CCHC_HASH_KEY": "k",
        "CCHC_PORTAL_URL": portal_url,
        "CCHC_PORTAL_CLIENT_ID": DEMO_CLIENT_ID,
        "CCHC_PORTAL_CLIENT_SECRET": DEMO_CLIENT_SECRET,
        "CCHC_START_DATE": "2023-01-01",
        "CCHC_DUCKDB_MEMORY_LIMIT": "1GB",
    }


def test_a_second_run_exits_at_once_and_writes_nothing(tmp_path):
    holder = hold_lock(tmp_path / "warehouse.duckdb", 60)
    try:
        started = time.monotonic()
        done = cchc("run", env=run_env(tmp_path))
        assert time.monotonic() - started < 30
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 3, done.stderr
    assert "another run holds the warehouse" in done.stderr and f"pid {holder.pid}" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "warehouse.duckdb").exists() and not (tmp_path / "published").exists()


def test_a_second_run_may_wait_for_the_first(tmp_path):
    holder = hold_lock(tmp_path / "warehouse.duckdb", 1.5)
    try:
        with pytest.raises(RunLocked), run_lock(tmp_path / "warehouse.duckdb", wait_seconds=0.2):
            pass
        started = time.monotonic()
        with run_lock(tmp_path / "warehouse.duckdb", wait_seconds=30):
            waited = time.monotonic() - started
    finally:
        holder.wait()
    assert 0.5 < waited < 10


def test_a_dagster_run_started_elsewhere_takes_the_lock_too(tmp_path):
    """The schedule, the sensor and the UI start runs without the command line: the settings
    resource takes the lock, so such a run also stops before it writes."""
    from orchestration.definitions import PIPELINE_JOB, build_definitions
    from orchestration.settings import Settings

    settings = Settings(
        warehouse=tmp_path / "warehouse.duckdb",
        hash_key="k",
        portal_client_id="c",
        portal_client_secret="s",
        portal_url="http://127.0.0.1:9",
    )
    holder = hold_lock(settings.warehouse, 120)
    try:
        job = build_definitions(settings).resolve_job_def(PIPELINE_JOB)
        result = job.execute_in_process(raise_on_error=False)
    finally:
        holder.kill()
        holder.wait()
    assert not result.success
    assert not settings.warehouse.exists()


def _children(pid: int) -> list[tuple[int, str]]:
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            out.append((int(entry.name), cmdline))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_dbt_dies_with_a_run_killed_during_the_build(tmp_path, make_portal):
    server = make_portal(300)
    proc = subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", "run"],
        cwd=PROJECT_DIR,
        env=run_env(tmp_path, server.url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    dbt, ahead = None, []
    deadline = time.monotonic() + 240
    try:
        while dbt is None and time.monotonic() < deadline and proc.poll() is None:
            dbt = next((pid for pid, cmd in _children(proc.pid) if "dbt" in cmd and " build " in f"{cmd} "), None)
            time.sleep(0.05)
        assert dbt is not None, "the run reached dbt build"
        # the dbt process the run started ahead (runlock.warm_dbt) runs the build
        ahead = [pid for pid, cmd in _children(proc.pid) if "serve_warm" in cmd]
        assert len(ahead) == 1
        assert _takes_a_command(ahead[0], deadline)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        gone_by = time.monotonic() + 3
        while (_alive(dbt) or _alive(ahead[0])) and time.monotonic() < gone_by:
            time.sleep(0.05)
        assert not _alive(dbt), "dbt's command outlived its run"
        assert not _alive(ahead[0]), "the dbt process started ahead outlived its run"
    finally:
        if proc.poll() is None:
            proc.kill()
        for pid in (dbt, *ahead):
            if pid is not None and _alive(pid):
                os.kill(pid, signal.SIGKILL)


def _takes_a_command(pid: int, deadline: float) -> bool:
    """Whether the dbt process started ahead took a command by ``deadline``: it moves to the
    command's folder, the project's, when it does."""
    while os.readlink(f"/proc/{pid}/cwd") != str(DBT_DIR) and time.monotonic() < deadline:
        time.sleep(0.02)
    return os.readlink(f"/proc/{pid}/cwd") == str(DBT_DIR)


def _debug(tmp_path: Path) -> subprocess.CompletedProcess:
    """``dbt debug --connection`` through the wrapper: dbt reads its warehouse's path from the
    environment and its profile from the folder it is started in, and ends with 1 (the
    warehouse's folder does not exist)."""
    env = {
        **os.environ,
        "CCHC_WAREHOUSE": str(tmp_path / "missing" / "warehouse.duckdb"),
        "CCHC_DUCKDB_MEMORY_LIMIT": "1GB",
        "CCHC_DUCKDB_THREADS": "1",
        "DBT_USE_COLORS": "false",
    }
    args = [*dbt_argv(), "debug", "--connection", "--project-dir", ".", "--profiles-dir", "."]
    return subprocess.run(args, cwd=DBT_DIR, env=env, capture_output=True, text=True, timeout=120)


def _said(done: subprocess.CompletedProcess) -> list[str]:
    return [re.sub(r"^\d\d:\d\d:\d\d  ", "", line) for line in done.stdout.splitlines()]


def test_a_dbt_command_is_run_by_the_dbt_process_started_ahead(tmp_path):
    """The wrapper hands its command, folder, environment and streams to the process started
    ahead, which runs it and ends with its exit code; the next command, with none left, runs
    in the wrapper, and says the same."""
    with warm_dbt() as ahead:
        assert ahead is not None and WARM_ENV in os.environ
        handed = _debug(tmp_path)
        assert ahead.wait(timeout=30) == 1, f"the process ahead ran the command: {handed.stderr[-2000:]}"
        itself = _debug(tmp_path)
    assert handed.returncode == itself.returncode == 1
    assert f"  path: {tmp_path / 'missing' / 'warehouse.duckdb'}" in _said(handed)
    assert "Using profiles dir at ." in _said(handed)
    assert _said(handed) == _said(itself)
    assert "Cannot open file" in handed.stdout


def test_the_dbt_process_started_ahead_dies_with_the_command_it_took(tmp_path):
    """dagster-dbt, or a kill, ending the wrapper ends the dbt it handed its command to."""
    with warm_dbt() as ahead:
        wrapper = subprocess.Popen(
            [*dbt_argv(), "parse", "--vars", "{}", "--target-path", str(tmp_path / "target")],
            cwd=DBT_DIR,
            env={**os.environ, "CCHC_WAREHOUSE": str(tmp_path / "warehouse.duckdb")},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            assert _takes_a_command(ahead.pid, time.monotonic() + 60)
            wrapper.kill()
            wrapper.wait()
            assert ahead.wait(timeout=5) == -signal.SIGKILL
        finally:
            if wrapper.poll() is None:
                wrapper.kill()


def test_an_unused_dbt_process_started_ahead_is_stopped_with_its_run():
    with warm_dbt() as ahead:
        address = Path(os.environ[WARM_ENV])
        assert ahead.poll() is None
    assert ahead.poll() is not None
    assert WARM_ENV not in os.environ and not address.parent.exists()


def test_the_dbt_wrapper_says_its_version_without_starting_dbt():
    """dagster-dbt asks ``dbt --version`` before each command: the wrapper answers with the
    installed versions, without dbt's check of the latest release on PyPI."""
    done = subprocess.run([*dbt_argv(), "--version"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0
    assert f"installed: {version('dbt-core')}" in done.stdout and f"duckdb: {version('dbt-duckdb')}" in done.stdout
    assert "latest" not in done.stdout


def test_the_dbt_wrapper_path_is_absolute_whatever_the_warehouse_path(tmp_path, monkeypatch):
    """dagster-dbt starts dbt in the project folder: a relative warehouse folder (as in
    `make dev`'s data/warehouse.duckdb) must still name the wrapper absolutely."""
    from orchestration.runlock import dbt_executable

    monkeypatch.chdir(tmp_path)
    path = Path(dbt_executable(Path("data") / "bin"))
    assert path.is_absolute() and path.is_file() and os.access(path, os.X_OK)
