"""What an operator sees when ``cchc run`` cannot go on: a short block with the step, the
cause in one line in the source's words and the run log's path; no stack trace on the
console (it is in the run log); the exit code README documents."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

from orchestration.cli import EXIT_CONFIG, EXIT_SOURCE
from orchestration.settings import PROJECT_DIR
from sandbox.portal import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET


def _cchc_run(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CCHC_")}
    base.update(
        CCHC_HASH_KEY="test-hash-key",
        CCHC_WAREHOUSE=str(tmp_path / "warehouse.duckdb"),
        CCHC_PUBLISH_DIR=str(tmp_path / "published"),
        CCHC_START_DATE="2023-01-01",
        **env,
    )
    return subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "run"],
        cwd=tmp_path,  # no .env here
        env={**base, "PYTHONPATH": str(PROJECT_DIR)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def _log_of(stderr: str) -> str:
    line = next(line for line in stderr.splitlines() if line.strip().startswith("full log:"))
    return Path(line.split("full log:", 1)[1].strip()).read_text(encoding="utf-8")


def test_wrong_credentials_are_one_line_that_names_the_settings(make_portal, tmp_path):
    portal = make_portal(n_dossiers=50)
    wrong = "not-the-secret-" + "x" * 12
    done = _cchc_run(tmp_path, CCHC_PORTAL_URL=portal.url, CCHC_PORTAL_CLIENT_ID=DEMO_CLIENT_ID,
                     CCHC_PORTAL_CLIENT_SECRET=wrong)  # fmt: skip
    assert done.returncode == EXIT_SOURCE, done.stderr
    err = done.stderr
    assert "Traceback" not in err and "DagsterExecutionStepExecutionError" not in err
    assert (
        "step raw__portal_procedures failed: the portal refused the client credentials (HTTP 401 from "
        f"{portal.url}/oauth/token): check CCHC_PORTAL_CLIENT_ID and CCHC_PORTAL_CLIENT_SECRET" in err
    )
    assert "RUN FAILED: a source could not be read" in err
    assert len(err.strip().splitlines()) <= 12, err
    assert wrong not in err + done.stdout
    log = _log_of(err)
    assert "Stack Trace" in log and "PortalError" in log  # the whole story is in the run log
    assert wrong not in log
    assert not (tmp_path / "published" / "current").exists()


def test_an_unreachable_portal_says_so_with_its_address(tmp_path):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    done = _cchc_run(tmp_path, CCHC_PORTAL_URL=url, CCHC_PORTAL_CLIENT_ID=DEMO_CLIENT_ID,
                     CCHC_PORTAL_CLIENT_SECRET=DEMO_CLIENT_SECRET, CCHC_PORTAL_TIME_BUDGET_SECONDS="3")  # fmt: skip
    assert done.returncode == EXIT_SOURCE, done.stderr
    err = done.stderr
    assert "Traceback" not in err
    assert f"failed: cannot reach the portal at {url} (CCHC_PORTAL_URL): connection refused, " in err, err
    assert len(err.strip().splitlines()) <= 16, err


def test_missing_credentials_are_found_before_the_run_starts(tmp_path):
    done = _cchc_run(tmp_path, CCHC_PORTAL_URL="http://127.0.0.1:9", CCHC_PORTAL_CLIENT_ID=DEMO_CLIENT_ID)
    assert done.returncode == EXIT_CONFIG
    assert done.stderr.strip().splitlines() == [
        "cchc run: CCHC_PORTAL_CLIENT_SECRET is not set: the portal's client credentials (issued by the portal's "
        "operator for http://127.0.0.1:9); set them (e.g. in .env) and run again."
    ]
    assert not (tmp_path / "warehouse.duckdb").exists()


def test_a_good_run_prints_a_line_per_phase_in_viet_nam_time(make_portal, tmp_path):
    """The console: a line per phase with its counts (dbt a line per layer, a line while
    publishing), times in Viet Nam time, no colour codes; dbt's per-model lines and
    Dagster's events are in the run log only."""
    from datetime import datetime, timedelta, timezone

    portal = make_portal(n_dossiers=200)
    done = _cchc_run(tmp_path, CCHC_PORTAL_URL=portal.url, CCHC_PORTAL_CLIENT_ID=DEMO_CLIENT_ID,
                     CCHC_PORTAL_CLIENT_SECRET=DEMO_CLIENT_SECRET)  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stderr.strip().splitlines()
    assert 10 <= len(lines) <= 20, done.stderr
    assert "\x1b[" not in done.stderr + done.stdout
    hour_vn = datetime.now(timezone(timedelta(hours=7))).hour
    for line in lines:
        assert re.match(r"\[\d\d:\d\d:\d\d\] ", line), line
        assert int(line[1:3]) in (hour_vn, (hour_vn - 1) % 24), line  # Viet Nam time, whatever the machine's zone
    said = "\n".join(lines)
    for phase in ("portal.ho-so: ", "dbt staging: ", "dbt marts: ", "dbt tests: ", "checks: Great Expectations",
                  "publishing: ", "published release ", "run finished in "):  # fmt: skip
        assert phase in said, phase
    log = Path(said.rsplit("full log: ", 1)[1].rstrip(")")).read_text(encoding="utf-8")
    assert " of " in log and "START sql" in log and "dagster STEP_SUCCESS" in log  # the detail, kept
