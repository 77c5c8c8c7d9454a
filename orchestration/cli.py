"""``cchc``: the command line, a thin wrapper over the Dagster definitions.

- ``cchc demo``      starts the bundled sample portal, runs the whole pipeline under
                     ``./data/`` and prints the scorecard.
- ``cchc run``       runs the whole pipeline once against the configured sources; exits
                     non-zero when publication was blocked.
- ``cchc scorecard`` prints the published scorecard.
- ``cchc report``    writes the report of a reporting period (.xlsx and .html) again.
- ``cchc portal``    serves the sample portal (for ``make dev`` and for trying a client).
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from orchestration.runlock import RunLocked, run_lock
from orchestration.settings import DEMO_HASH_KEY, PROJECT_DIR, Settings

log = logging.getLogger("cchc")

DEMO_DIR = Path("data")
EXIT_LOCKED = 3  # another run holds the warehouse; nothing was written


# ---------------------------------------------------------------------------- running
def run_pipeline(settings: Settings, suites=None, job_name: str | None = None, run_config: dict | None = None) -> bool:
    """Run the pipeline job (or another job) in process; print why when it failed. True
    when published."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    from dagster import DagsterInstance

    from orchestration.definitions import PIPELINE_JOB, build_definitions

    # One run at a time: taken before anything is written (a second run waits or stops here).
    with run_lock(settings.warehouse, settings.run_lock_wait_seconds):
        defs = build_definitions(settings, suites=suites)
        job = defs.resolve_job_def(job_name or PIPELINE_JOB)
        instance = DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else DagsterInstance.ephemeral()
        started = time.monotonic()
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}, **(run_config or {})},
        )
    elapsed = time.monotonic() - started
    if result.success:
        log.info("pipeline finished in %.1fs; publication at %s", elapsed, settings.publish_dir)
        return True
    print("\nPUBLICATION BLOCKED: the previous publication stays in place.", file=sys.stderr)
    for check in result.get_asset_check_evaluations():
        if check.passed:
            continue
        meta = {k: getattr(v, "value", v) for k, v in (check.metadata or {}).items()}
        count = meta.get("failed_row_count", meta.get("dagster_dbt/failed_row_count", "?"))
        severity = "warning" if str(check.severity).endswith("WARN") else "rule"
        print(
            f"  {severity} {check.check_name} on {check.asset_key.to_user_string()}: {count} rows failed",
            file=sys.stderr,
        )
        for failure in meta.get("failed_expectations") or []:
            print(
                f"    {failure['expectation']} ({failure['column']}): {failure['rows']} rows, "
                f"e.g. {failure['examples'][:3]}",
                file=sys.stderr,
            )
        for example in dbt_failure_examples(settings, check.check_name):
            print(f"    e.g. {example}", file=sys.stderr)
    for event in result.get_step_failure_events():
        error = event.step_failure_data.error
        message = error.message.strip().splitlines()[0] if error else "unknown error"
        print(f"  step {event.step_key} failed: {message}", file=sys.stderr)
    return False


def dbt_failure_examples(settings: Settings, test_name: str, limit: int = 3) -> list[tuple]:
    """A few failing rows of a dbt test (dbt stores them: ``+store_failures``)."""
    import duckdb

    try:
        con = duckdb.connect(str(settings.warehouse), read_only=True)
    except duckdb.Error:
        return []
    try:
        return con.execute(f'select * from dbt_test__audit."{test_name}" limit {limit}').fetchall()
    except duckdb.Error:
        return []
    finally:
        con.close()


def print_scorecard(
    settings: Settings, period_type: str = "year", unit: str = "ALL", period_key: str | None = None
) -> None:
    import duckdb

    path = Path(settings.publish_dir) / "warehouse.duckdb"
    if not path.exists():
        print(f"nothing published yet at {path}", file=sys.stderr)
        return
    con = duckdb.connect(str(path), read_only=True)
    try:
        # school_digital_level2_share (counted by school year) follows with the school year
        # each period shows (marts.period_school_years: the report reads the same)
        rows = con.execute(
            """select s.period_key, s.kpi_code, k.name_vi, s.numerator, s.denominator, s.value, s.target,
                      s.met, s.status
               from marts.kpi_scorecard as s left join marts.dim_kpis as k using (kpi_code)
               where s.unit_code = $unit
                 and ((s.period_type = $type and ($key is null or s.period_key = $key))
                      or ($type <> 'school_year' and s.period_type = 'school_year'
                          and s.period_key in (select school_year from marts.period_school_years
                                               where period_type = $type and ($key is null or period_key = $key))))
               order by s.period_type = 'school_year', s.period_key, s.kpi_code""",
            {"unit": unit, "type": period_type, "key": period_key},
        ).fetchall()
        quarantined = con.execute("select count(*) from marts.quarantine").fetchone()[0]
        rejected = con.execute("""select q.record_key, q.reason_vi, json_extract_string(q.record, '$.reason')
                                  from marts.quarantine as q where q.source_name = 'files' order by 1""").fetchall()
        files = con.execute("""select count(*), coalesce(sum(rows_read), 0) from marts.reconciliation
                               where source_file is not null""").fetchone()
    finally:
        con.close()
    print(f"\nKPI scorecard (Bảng chỉ số CCHC) - {unit}, by {period_type}")
    print(
        f"{'period':<10} {'kpi_code':<34} {'numerator':>10} {'denominator':>12} {'value':>8} {'target':>7}  met  chỉ số"
    )
    for key, kpi, name, num, den, value, target, met, status in rows:
        val = f"{100 * value:7.2f}%" if value is not None else "    n/a"
        tgt = f"{100 * target:6.1f}%" if target is not None else "     - "
        flag = {True: "yes", False: "NO", None: "-"}[met] if status == "ok" else status
        print(
            f"{key:<10} {kpi:<34} {num if num is not None else '-':>10} "
            f"{den if den is not None else '-':>12} {val:>8} {tgt:>7}  {flag:<4} {name or ''}"
        )
    print(f"\nquarantined records (hồ sơ bị cách ly): {quarantined}")
    print(f"files loaded (tệp đã nạp): {files[0]} with {files[1]} rows")
    for key, reason_vi, detail in rejected:
        print(f"REJECTED FILE (tệp bị từ chối): {key.rsplit('@', 1)[0]}: {reason_vi} ({detail})")
    print(f"published warehouse: {path}")


# ---------------------------------------------------------------------------- demo
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_sample_portal(dossiers: int, year: int, port: int | None = None) -> tuple[subprocess.Popen, str]:
    """The sample portal in its own process (it has a core to itself while we ingest)."""
    port = port or _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox.portal", "--port", str(port), "--dossiers", str(dossiers), "--year", str(year)],
        cwd=PROJECT_DIR,
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc, url
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError("the sample portal did not start") from None
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the sample portal did not answer within 30 s")


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
        portal_url=url or base.portal_url,
        portal_client_id=DEMO_CLIENT_ID,
        portal_client_secret=DEMO_CLIENT_SECRET,
        warehouse=data_dir / "warehouse.duckdb",
        publish_dir=data_dir / "published",
        hash_key=DEMO_HASH_KEY,
        start_date=date(year - 1, 1, 1),
        file_stable_seconds=0.0,  # the demo wrote its sample exports itself, just before
    )


def cmd_demo(args) -> int:
    data_dir = Path(args.data_dir).resolve()
    with run_lock(data_dir / "warehouse.duckdb"):
        return _demo(args, data_dir)


def _demo(args, data_dir: Path) -> int:
    if not args.keep:
        # The sample portal is regenerated with this run's size and year: start the working
        # warehouse afresh so two samples never mix (the publication keeps its releases).
        for name in ("warehouse.duckdb", "warehouse.duckdb.wal"):
            (data_dir / name).unlink(missing_ok=True)
    print(f"cchc demo: sample portal with {args.dossiers} dossiers for {args.year}; data under {data_dir}")
    from sandbox.exports import write_sample_exports

    started = time.monotonic()
    moet, payments = write_sample_exports(sample_exports_dir(data_dir), args.year, args.dossiers, args.collections)
    print(f"cchc demo: sample exports in {moet} and {payments} ({time.monotonic() - started:.1f}s)")
    print("cchc demo: using the DEMO hashing key (CCHC_HASH_KEY is ignored here; never use the demo key in production)")
    proc, url = start_sample_portal(args.dossiers, args.year)
    try:
        settings = demo_settings(data_dir, url, args.year)
        ok = run_pipeline(settings)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print_scorecard(settings, "year", "ALL", str(args.year))
    return 0 if ok else 1


def cmd_run(args) -> int:
    settings = Settings.from_env()
    if not settings.hash_key:
        print(
            "cchc run: CCHC_HASH_KEY is not set. It keys the pseudonyms of personal data and must stay "
            "the same for the life of the warehouse; set it (e.g. in .env) and run again.",
            file=sys.stderr,
        )
        return 2
    ok = run_pipeline(settings)
    if ok:
        print_scorecard(settings)
    return 0 if ok else 1


def cmd_scorecard(args) -> int:
    settings = Settings.from_env()
    if args.demo:
        settings = settings.with_(publish_dir=DEMO_DIR / "published")
    print_scorecard(settings, args.period_type, args.unit, args.period)
    return 0


def cmd_report(args) -> int:
    from orchestration.reports import header_from, write_report

    settings = demo_settings(DEMO_DIR.resolve()) if args.demo else Settings.from_env()
    published = Path(settings.publish_dir) / "warehouse.duckdb"
    if not published.exists():
        print(f"nothing published yet at {published}", file=sys.stderr)
        return 1
    if args.final:
        from orchestration.definitions import FINALIZE_JOB

        if not run_pipeline(
            settings,
            job_name=FINALIZE_JOB,
            run_config={"ops": {"raw__report_finals": {"config": {"period_key": args.period}}}},
        ):
            return 1
        print(f"report {args.period} is final: its figures are kept as reported from now on")
    target = (Path(settings.publish_dir) / "current").resolve() / "reports"
    try:
        xlsx, page = write_report(published, args.period, target, header_from(settings))
    except ValueError as exc:
        print(f"cchc report: {exc}", file=sys.stderr)
        return 1
    print(f"report written: {xlsx}\ncharts written: {page}")
    return 0


def cmd_portal(args) -> int:
    from sandbox.portal import main as portal_main

    portal_main(["--port", str(args.port), "--dossiers", str(args.dossiers), "--year", str(args.year)])
    return 0


def main(argv: list[str] | None = None) -> int:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in ("cchc", "orchestration", "connectors", "expectations"):
        logging.getLogger(name).addHandler(handler)
        logging.getLogger(name).setLevel(logging.INFO)
    ap = argparse.ArgumentParser(prog="cchc", description="CCHC KPI warehouse of a Sở GD&ĐT")
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="run everything on the bundled sample sources under ./data/")
    p.add_argument("--dossiers", type=int, default=50_000)
    p.add_argument("--year", type=int, default=2024)
    p.add_argument("--collections", type=int, default=2_500_000, help="school-collection rows in the sample CSVs")
    p.add_argument("--data-dir", default=str(DEMO_DIR))
    p.add_argument(
        "--keep", action="store_true", help="keep the working warehouse of the last demo (an incremental rerun)"
    )
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("run", help="run the whole pipeline once against the configured sources")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("scorecard", help="print the published scorecard")
    p.add_argument("--period-type", default="year", choices=["month", "quarter", "year", "report", "school_year"])
    p.add_argument("--unit", default="ALL")
    p.add_argument("--period", default=None, help="one period key, e.g. 2024-Q1 or 2024-BC-Q1")
    p.add_argument("--demo", action="store_true", help="read the demo's publication")
    p.set_defaults(func=cmd_scorecard)

    p = sub.add_parser("report", help="write the report of an official reporting period from the publication")
    p.add_argument(
        "--period",
        required=True,
        help="a period key: an official reporting period (2024-BC-Q1) or a calendar one (2024-Q1, 2024-03)",
    )
    p.add_argument(
        "--final",
        action="store_true",
        help="make the report final: keep its published figures as reported, rebuild and publish",
    )
    p.add_argument("--demo", action="store_true", help="use the demo's publication")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("portal", help="serve the sample portal")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--dossiers", type=int, default=50_000)
    p.add_argument("--year", type=int, default=2024)
    p.set_defaults(func=cmd_portal)

    args = ap.parse_args(argv)
    try:
        return args.func(args)
    except RunLocked as exc:
        print(f"cchc {args.command}: {exc}", file=sys.stderr)
        return EXIT_LOCKED


if __name__ == "__main__":
    sys.exit(main())
