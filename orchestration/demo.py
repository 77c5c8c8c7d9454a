"""The demo: the bundled sample portal in its own process, the sample exports, and the
settings that point the pipeline at them under ``./data/`` (no configuration needed; a
demo hashing key, said so)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from orchestration.runlog import progress
from orchestration.runner import PUBLISHED, SERVING_FAILED, run_pipeline_outcome
from orchestration.scorecard import print_scorecard
from orchestration.settings import DEMO_HASH_KEY, PROJECT_DIR, Settings
from orchestration.warehouse import raw_zone_of

DEMO_DIR = Path("data")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_sample_portal(dossiers: int, year: int, port: int | None = None) -> tuple[subprocess.Popen, str]:
    """The sample portal in its own process (it has a core to itself while we ingest)."""
    port = port or free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox.portal", "--port", str(port), "--dossiers", str(dossiers), "--year", str(year)],
        cwd=PROJECT_DIR,
        stdout=subprocess.DEVNULL,
    )
    return proc, wait_for_port(proc, port)


def wait_for_port(proc: subprocess.Popen, port: int, seconds: float = 30) -> str:
    """The URL of a server process once it accepts connections on ``port``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return f"http://127.0.0.1:{port}"
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"the server on port {port} did not start") from None
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"the server on port {port} did not answer within {seconds:g} s")


def sample_exports_dir(data_dir: Path) -> Path:
    return data_dir / "sample_exports"


def demo_settings(data_dir: Path, url: str | None = None, year: int = 2024) -> Settings:
    """The demo's settings (none from the environment); ``url`` is the sample portal's. The
    sample exports are read from ``data_dir/sample_exports`` when they have been written."""
    from sandbox.portal import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

    base = Settings.from_env(env={})
    exports = sample_exports_dir(data_dir)
    return base.with_(
        moet_dir=exports / "moet" if (exports / "moet").is_dir() else None,
        payments_dir=exports / "payments" if (exports / "payments").is_dir() else None,
        forms_dir=exports / "forms" if (exports / "forms").is_dir() else None,
        portal_url=url or base.portal_url,
        portal_client_id=DEMO_CLIENT_ID,
        portal_client_secret=DEMO_CLIENT_SECRET,
        warehouse=data_dir / "warehouse.duckdb",
        publish_dir=data_dir / "published",
        hash_key=DEMO_HASH_KEY,
        start_date=date(year - 1, 1, 1),
        file_stable_seconds=0.0,  # the demo wrote its sample exports itself, just before
    )


def run_demo(args, data_dir: Path) -> str:
    """The demo's run; returns the pipeline's outcome (``orchestration.runner``)."""
    if not args.keep:
        # The sample portal is regenerated with this run's size and year: start the working
        # warehouse afresh so two samples never mix (the publication keeps its releases).
        for name in ("warehouse.duckdb", "warehouse.duckdb.wal"):
            (data_dir / name).unlink(missing_ok=True)
        shutil.rmtree(raw_zone_of(data_dir / "warehouse.duckdb"), ignore_errors=True)  # its landed files
        # the units' forms of an earlier demo answered that demo's figures: sent afresh below
        shutil.rmtree(sample_exports_dir(data_dir) / "forms", ignore_errors=True)
    from sandbox.exports import write_sample_exports

    started = time.monotonic()
    write_sample_exports(sample_exports_dir(data_dir), args.year, args.dossiers, args.collections)
    progress(
        None,
        f"demo: sample portal of {args.dossiers:,} dossiers for {args.year}, sample exports under "
        f"{sample_exports_dir(data_dir)} ({time.monotonic() - started:.0f} s); the DEMO hashing key "
        "(never use it in production)",
    )
    proc, url = start_sample_portal(args.dossiers, args.year)
    try:
        settings = demo_settings(data_dir, url, args.year)
        outcome = run_pipeline_outcome(settings)
        if outcome == PUBLISHED:
            # the office sends the pre-filled forms of the sample year; the units fill them
            # in and send them back; the next run reads them (DOMAIN.md 7)
            sent = _units_fill_their_forms(settings, data_dir, args.year)
            progress(None, f"demo: the sample units sent back {sent} report forms; running again to read them")
            settings = demo_settings(data_dir, url, args.year)
            outcome = run_pipeline_outcome(settings)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    if outcome in (PUBLISHED, SERVING_FAILED):
        print_scorecard(settings, "year", "ALL", str(args.year))
        _print_submissions(settings, f"{args.year}-BC-Q1")
    return outcome


def _units_fill_their_forms(settings: Settings, data_dir: Path, year: int) -> int:
    import duckdb

    from orchestration.forms import write_forms
    from sandbox.forms import fill_sample_forms

    drop = sample_exports_dir(data_dir) / "forms"
    blanks_dir = data_dir / "forms_sent"
    for folder in (drop, blanks_dir):
        shutil.rmtree(folder, ignore_errors=True)
    con = duckdb.connect(str(Path(settings.publish_dir) / "warehouse.duckdb"), read_only=True)
    try:
        periods = dict(
            con.execute(
                "select period_key, due_date from marts.dim_reporting_periods where plan_year = ?", [year]
            ).fetchall()
        )
        blanks = write_forms(con, blanks_dir, settings.department_name, sorted(periods))
    finally:
        con.close()
    return len(fill_sample_forms(blanks, drop, periods))


def _print_submissions(settings: Settings, period_key: str) -> None:
    import duckdb

    from orchestration.forms import format_submissions, submissions

    con = duckdb.connect(str(Path(settings.publish_dir) / "warehouse.duckdb"), read_only=True)
    try:
        label = con.execute(
            "select label_vi from marts.dim_reporting_periods where period_key = ?", [period_key]
        ).fetchone()
        print()
        print(format_submissions(period_key, label[0] if label else None, submissions(con, period_key)))
    finally:
        con.close()
