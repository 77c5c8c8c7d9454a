"""``cchc``: the command line, a thin wrapper over the Dagster definitions.

- ``cchc demo``      starts the bundled sample portal, runs the whole pipeline under
                     ``./data/`` and prints the scorecard.
- ``cchc run``       runs the whole pipeline once against the configured sources; exits
                     non-zero when publication was blocked.
- ``cchc scorecard`` prints the published scorecard.
- ``cchc report``    writes the report of a reporting period (.xlsx and .html) again.
- ``cchc forms``     writes the units' pre-filled report forms of a period into a folder,
                     or (``--status``) prints who has sent the period's form, who is late
                     and who is missing.
- ``cchc rollback``  switches the publication back to the previous release (files and the
                     serving database together).
- ``cchc serving init`` creates the serving database's read-only role for BI tools.
- ``cchc portal``    serves the sample portal (for ``make dev`` and for trying a client).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from orchestration.demo import DEMO_DIR, demo_settings, run_demo
from orchestration.runlock import RunLocked, run_lock
from orchestration.runlog import setup_console
from orchestration.runner import BLOCKED, PUBLISHED, SERVING_FAILED, SOURCE_FAILED, run_pipeline, run_pipeline_outcome
from orchestration.scorecard import print_scorecard, unknown_choice
from orchestration.settings import Settings, load_dotenv

# The exit codes of ``cchc run`` and ``cchc demo`` (README "Runs and exit codes", --help)
EXIT_PUBLISHED = 0
EXIT_BLOCKED = 1  # a blocking rule or a build step failed; nothing was published
EXIT_CONFIG = 2  # configuration missing or wrong; nothing was started
EXIT_LOCKED = 3  # another run holds the warehouse; nothing was written
EXIT_SERVING = 4  # the files were published; the serving database keeps its previous release
EXIT_SOURCE = 5  # a source could not be read (portal refused or unreachable, …); nothing was published
OUTCOME_EXIT = {
    PUBLISHED: EXIT_PUBLISHED,
    SERVING_FAILED: EXIT_SERVING,
    BLOCKED: EXIT_BLOCKED,
    SOURCE_FAILED: EXIT_SOURCE,
}
EXIT_CODES_HELP = """exit codes of run and demo:
  0  published
  1  not published: a blocking rule or a build step failed (printed); the previous publication stays
  2  configuration missing or wrong (CCHC_HASH_KEY, the portal's client id and secret, a bad value)
  3  another run holds the warehouse; nothing was written
  4  the files were published, the serving database (CCHC_SERVING_URL) was not: it keeps its previous release
  5  a source could not be read (the portal refused the credentials or could not be reached); nothing published
"""


def cmd_demo(args) -> int:
    data_dir = Path(args.data_dir).resolve()
    with run_lock(data_dir / "warehouse.duckdb"):
        return OUTCOME_EXIT[run_demo(args, data_dir)]


def cmd_run(args) -> int:
    # a .env file's values join the environment (the environment wins), so the resources
    # keep the secrets as EnvVars that Dagster resolves (orchestration/resources.py)
    for name, value in load_dotenv(Path.cwd() / ".env").items():
        os.environ.setdefault(name, value)
    try:
        settings = Settings.from_env(dict(os.environ))
    except ValueError as exc:
        print(f"cchc run: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    problem = missing_configuration(settings)
    if problem:
        print(f"cchc run: {problem}", file=sys.stderr)
        return EXIT_CONFIG
    run_config = {"ops": {"cchc_dbt": {"config": {"full_refresh": True}}}} if args.full_refresh else None
    outcome = run_pipeline_outcome(settings, run_config=run_config)
    if outcome in (PUBLISHED, SERVING_FAILED):
        print_scorecard(settings)
    return OUTCOME_EXIT[outcome]


def missing_configuration(settings: Settings) -> str | None:
    """What ``cchc run`` cannot start without, found before anything runs."""
    if not settings.hash_key:
        return (
            "CCHC_HASH_KEY is not set. It keys the pseudonyms of personal data and must stay "
            "the same for the life of the warehouse; set it (e.g. in .env) and run again."
        )
    missing = [
        name
        for name, value in (
            ("CCHC_PORTAL_CLIENT_ID", settings.portal_client_id),
            ("CCHC_PORTAL_CLIENT_SECRET", settings.portal_client_secret),
        )
        if not value
    ]
    if missing:
        return (
            f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set: the portal's client "
            f"credentials (issued by the portal's operator for {settings.portal_url}); set them (e.g. in .env) "
            "and run again."
        )
    return None


def cmd_scorecard(args) -> int:
    settings = Settings.from_env()
    if args.demo:
        settings = settings.with_(publish_dir=DEMO_DIR / "published")
    problem = unknown_choice(settings, args.period_type, args.unit, args.period)
    if problem:
        print(f"cchc scorecard: {problem}", file=sys.stderr)
        return 2
    print_scorecard(settings, args.period_type, args.unit, args.period)
    return 0


def cmd_report(args) -> int:
    from orchestration.publish import publish_report
    from orchestration.reports import header_from, write_report
    from orchestration.reports.data import UnknownPeriod

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
        done = [Path(settings.publish_dir) / "reports" / f"{args.period}{suffix}" for suffix in (".xlsx", ".html")]
        if all(path.exists() for path in done):  # the new release has the period's report already
            print(f"report written: {done[0]}\ncharts written: {done[1]}")
            return 0
    try:
        if args.out:
            # into a folder the user names, whole files only (written aside, then renamed)
            out = Path(args.out)
            out.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=out, prefix=".report-") as tmp:
                written = write_report(published, args.period, Path(tmp), header_from(settings))
                xlsx, page = (out / path.name for path in written)
                for path, target in zip(written, (xlsx, page), strict=True):
                    os.replace(path, target)
        else:
            # never into a published release: a new release with the report, switched in
            xlsx, page = publish_report(settings, args.period)
    except UnknownPeriod as exc:
        print(f"cchc report: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    print(f"report written: {xlsx}\ncharts written: {page}")
    return 0


def cmd_forms(args) -> int:
    import duckdb

    from orchestration.forms import format_submissions, known_period, submissions, write_forms

    settings = demo_settings(DEMO_DIR.resolve()) if args.demo else Settings.from_env()
    args.period = args.period.strip().upper()
    published = Path(settings.publish_dir) / "warehouse.duckdb"
    if not published.exists():
        print(f"cchc forms: nothing published yet at {published}; run cchc run (or cchc demo) first", file=sys.stderr)
        return 1
    con = duckdb.connect(str(published), read_only=True)
    try:
        if not known_period(con, args.period):
            periods = [
                k for (k,) in con.execute("select period_key from marts.dim_reporting_periods order by 1").fetchall()
            ]
            print(
                f"cchc forms: {args.period!r} is not an official reporting period; the publication's: "
                f"{', '.join(periods)} (seed reporting_periods)",
                file=sys.stderr,
            )
            return EXIT_CONFIG
        if args.status:
            label = con.execute(
                "select label_vi from marts.dim_reporting_periods where period_key = ?", [args.period]
            ).fetchone()[0]
            print(format_submissions(args.period, label, submissions(con, args.period)))
            return 0
        out = Path(args.out) if args.out else Path("forms")
        written = write_forms(con, out, settings.department_name, [args.period])
    finally:
        con.close()
    if not written:
        print(f"cchc forms: no unit is due for {args.period} in the publication; nothing written", file=sys.stderr)
        return 1
    print(f"{len(written)} pre-filled forms for {args.period} written under {out / args.period}")
    return 0


def cmd_rollback(args) -> int:
    """Switch the publication back to the previous release: the files, and the serving
    database with them when one is configured."""
    from orchestration.publish import rollback_files
    from orchestration.serving import ServingError, rollback

    settings = Settings.from_env()
    try:
        release_id = rollback_files(Path(settings.publish_dir))
    except FileNotFoundError as exc:
        print(f"cchc rollback: {exc}", file=sys.stderr)
        return 1
    print(f"the files now publish release {release_id} (the release before is kept as previous)")
    if settings.serving_url:
        try:
            served = rollback(settings.serving_url, settings.serving_timeout_seconds)
        except ServingError as exc:
            print(f"cchc rollback: the files were switched back, the serving database was not: {exc}", file=sys.stderr)
            return EXIT_SERVING
        print(f"the serving database now serves release {served}")
    return 0


def cmd_serving(args) -> int:
    from orchestration.serving import ServingError, init_roles, safe_target

    settings = Settings.from_env()
    if not settings.serving_url:
        print("cchc serving init: CCHC_SERVING_URL is not set (a libpq URL of the pipeline's role)", file=sys.stderr)
        return 2
    if not settings.serving_reader_password:
        print(
            "cchc serving init: CCHC_SERVING_READER_PASSWORD is not set (the password BI tools log in with as "
            f"{settings.serving_reader_role})",
            file=sys.stderr,
        )
        return 2
    try:
        init_roles(
            settings.serving_url,
            settings.serving_reader_role,
            settings.serving_reader_password,
            settings.serving_timeout_seconds,
        )
    except ServingError as exc:
        print(f"cchc serving init: {exc}", file=sys.stderr)
        return EXIT_SERVING
    print(
        f"read-only role {settings.serving_reader_role} ready on {safe_target(settings.serving_url)}: it may select "
        "from schema marts (and every later release), and write nothing"
    )
    return 0


def cmd_portal(args) -> int:
    from sandbox.portal import main as portal_main

    portal_main(["--port", str(args.port), "--dossiers", str(args.dossiers), "--year", str(args.year)])
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="cchc",
        description="CCHC KPI warehouse of a Sở GD&ĐT",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument(
        "-v", "--verbose", action="store_true", help="print every detail line (dbt, Dagster, stack traces) as well"
    )
    sub = ap.add_subparsers(dest="command", required=True)
    _add_parser = sub.add_parser

    def add_parser(name, **kwargs):  # every command's help shows its options' defaults
        parser = _add_parser(name, formatter_class=_HelpFormatter, **kwargs)
        parser.add_argument(
            "-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="print every detail line as well"
        )
        return parser

    sub.add_parser = add_parser

    p = sub.add_parser(
        "demo", help="run everything on the bundled sample sources under ./data/", epilog=EXIT_CODES_HELP
    )
    p.add_argument("--dossiers", type=int, default=50_000, help="dossiers of the sample portal")
    p.add_argument("--year", type=int, default=2024, help="the sample year")
    p.add_argument("--collections", type=int, default=2_500_000, help="school-collection rows in the sample CSVs")
    p.add_argument("--data-dir", default=str(DEMO_DIR), help="where the demo's warehouse and publication go")
    p.add_argument(
        "--keep", action="store_true", help="keep the working warehouse of the last demo (an incremental rerun)"
    )
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("run", help="run the whole pipeline once against the configured sources", epilog=EXIT_CODES_HELP)
    p.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild the incremental dbt models from raw (default: only what is new)",
    )
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("scorecard", help="print the published scorecard")
    p.add_argument(
        "--period-type",
        default="year",
        choices=["month", "quarter", "year", "report", "school_year"],
        help="the kind of period",
    )
    p.add_argument("--unit", default="ALL", help="a unit code (Mã đơn vị or Mã trường), or ALL for the department")
    p.add_argument("--period", default=None, help="one period key, e.g. 2024-Q1 or 2024-BC-Q1 (default: every period)")
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
    p.add_argument(
        "--out",
        default=None,
        help="write the report into this folder (default: into a new release of the publication; a published "
        "release is never changed)",
    )
    p.add_argument("--demo", action="store_true", help="use the demo's publication")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser(
        "forms",
        help="write the units' pre-filled report forms of a period, or print who has sent them (--status)",
    )
    p.add_argument("--period", required=True, help="an official reporting period, e.g. 2024-BC-Q1")
    p.add_argument("--status", action="store_true", help="print the period's submission table (late, missing, …)")
    p.add_argument(
        "--out", default=None, help="folder to write the forms in (default ./forms); <out>/<period>/<unit>.xlsx"
    )
    p.add_argument("--demo", action="store_true", help="use the demo's publication")
    p.set_defaults(func=cmd_forms)

    p = sub.add_parser(
        "rollback", help="switch the publication back to the previous release (files and serving database together)"
    )
    p.set_defaults(func=cmd_rollback)

    p = sub.add_parser("serving", help="the PostgreSQL serving database (CCHC_SERVING_URL)")
    p.add_argument(
        "action",
        choices=["init"],
        help="init: create the read-only role BI tools use (CCHC_SERVING_READER_ROLE, default cchc_reader; "
        "password from CCHC_SERVING_READER_PASSWORD)",
    )
    p.set_defaults(func=cmd_serving)

    p = sub.add_parser("portal", help="serve the sample portal")
    p.add_argument("--port", type=int, default=8765, help="the port to listen on (127.0.0.1)")
    p.add_argument("--dossiers", type=int, default=50_000, help="dossiers of the sample portal")
    p.add_argument("--year", type=int, default=2024, help="the sample year")
    p.set_defaults(func=cmd_portal)

    args = ap.parse_args(argv)
    setup_console(verbose=getattr(args, "verbose", False))
    try:
        return args.func(args)
    except RunLocked as exc:
        print(f"cchc {args.command}: {exc}", file=sys.stderr)
        return EXIT_LOCKED


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Options with their defaults (unless the help says it already, or the option is a
    switch or required); the exit codes' table as written."""

    def _get_help_string(self, action):
        text = action.help or ""
        if "default" in text or action.required or action.default in (None, False, argparse.SUPPRESS):
            return text
        return super()._get_help_string(action)


if __name__ == "__main__":
    sys.exit(main())
