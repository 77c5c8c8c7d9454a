"""Benchmark: the sample portal at 50,000 and 1,000,000 dossiers, end to end; the
school-collection exports at 5 million and 20 million rows, loaded and transformed; and 500
units' filled report forms of a period, read.

Each phase runs in its own process so its wall time and peak memory (max RSS, from
``wait4``) are its own: ingest (portal -> raw), dbt build (models and dbt tests), quality (GX suites), publish
(marts, Parquet, unit feedback workbooks, Data Docs); a full first run, then the daily run
that brings the last 1 % of the year's dossiers. The portal is the bench portal of pre-built
pages (``bench.portal_pages``), in its own process as a real server would be, so the ingest
figure is the client's. Prints the tables of ``docs/performance.md``; ``--curve`` writes
that page and its charts. Nothing here is a test.

    make bench                                   # both benchmarks at their default sizes
    python -m bench.bench 50000                  # chosen dossier counts only
    python -m bench.bench --collections 5000000  # chosen collection rows only
    python -m bench.bench --forms 500            # chosen numbers of units' forms only
    python -m bench.bench --serving-release data/published/current   # a release into PostgreSQL
    python -m bench.bench --curve                # the growth curve -> docs/performance.md
    python -m bench.bench 1000000 --with-collections 20000000   # the daily run at scale
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import portal_pages, report
from orchestration.defs.dbt.project import DBT_DIR, dbt_build_args, dbt_command, dbt_env, ensure_manifest
from orchestration.settings import Settings

PHASE = """
import contextlib, importlib, json, os, sys, time
from datetime import date
from pathlib import Path
from orchestration.settings import Settings
cfg = json.loads(sys.argv[1])
# What the pipeline's process has loaded when it comes to this phase: it imports its modules
# once, at its start, and GX while dbt builds (expectations.runner.load_gx_in_background).
# A phase of a run is started while the one before it runs, imports them, says so, and
# waits for its turn; the bench times it from the end of the phase before (_Process).
started = time.perf_counter()
for module in cfg.get("preload", ()):
    importlib.import_module(module)
ahead = contextlib.ExitStack()
if cfg["phase"] == "dbt" and cfg.get("wait"):
    # and the dbt process its dbt resource starts at the run's start (runlock.warm_dbt)
    from orchestration.runlock import warm_dbt
    ahead.enter_context(warm_dbt())
if cfg.get("wait"):
    print(f"ready {time.perf_counter() - started:.2f}", flush=True)
    sys.stdin.readline()
settings = Settings(portal_url=cfg["url"], portal_client_id="demo-client",
                    portal_client_secret="demo-secret-not-for-production", warehouse=Path(cfg["warehouse"]),
                    publish_dir=Path(cfg["publish"]), hash_key="bench-key", start_date=date(2023, 1, 1),
                    file_stable_seconds=0.0)
from orchestration.intake import FOLDERS
folders = [f for f in FOLDERS if f in cfg]  # the drop folders this phase is given
settings = settings.with_(**{f"{f}_dir": Path(cfg[f]) for f in folders})
if cfg["phase"] == "intake":
    from orchestration.intake import intake_folder
    from orchestration.warehouse import open_warehouse
    with open_warehouse(settings) as con:
        rows = sum(intake_folder(con, settings, f).rows for f in folders)
    print(json.dumps({"rows": rows}))
elif cfg["phase"] == "landing":
    # one CSV landed by the intake, then DuckDB's own reader on the same file into a table
    # of a fresh database: the landing's rate against the engine's, in the same process
    import time
    from connectors.exports import LAYOUTS, plan_csv
    from orchestration.intake import intake_folder, work_dir
    from orchestration.warehouse import connect, open_warehouse
    import duckdb
    # DuckDB's client imports pandas at its first query with parameters (0.3 s, once a
    # process); whichever side ran first paid it, so it is paid before either is timed
    duckdb.connect().execute("select ?", [1])
    started = time.perf_counter()
    with open_warehouse(settings) as con:
        rows = intake_folder(con, settings, "payments").rows
    ours = time.perf_counter() - started
    csv_file = next(Path(cfg["payments"]).iterdir())
    plan = plan_csv(csv_file, LAYOUTS, work_dir(settings))
    started = time.perf_counter()
    ref = connect(Path(cfg["warehouse"]).with_name("reference.duckdb"), memory_limit=settings.duckdb_memory_limit,
                  threads=settings.duckdb_threads)
    ref.execute(f"create table reference as select * from {plan.reader_sql()}")
    ref.close()
    theirs = time.perf_counter() - started
    if plan.path != csv_file:
        plan.path.unlink()
    print(json.dumps({"rows": rows, "ours": ours, "duckdb": theirs}))
elif cfg["phase"] == "PostgreSQL":
    from orchestration.defs.dbt.project import manifest_path
    from orchestration.serving import load_release
    loaded = load_release(cfg["serving_url"], (Path(cfg["publish"]) / "current").resolve(), manifest_path())
    for table, rows in sorted(loaded.tables.items(), key=lambda kv: -kv[1])[:6]:
        seconds = loaded.table_seconds[table]
        print(f"    {table:<28} {rows:>10,} rows {seconds:6.2f} s {rows / max(seconds, 1e-6) / 1e3:8.0f} k rows/s")
    print(json.dumps({"rows": sum(loaded.tables.values())}))
elif cfg["phase"] == "forms":
    from orchestration.intake import intake_folder
    from orchestration.warehouse import open_warehouse
    with open_warehouse(settings) as con:
        result = intake_folder(con, settings, "forms")
    print(json.dumps({"rows": result.rows, "files": result.files_loaded}))
elif cfg["phase"] == "ingest":
    # the portal, and the export folders when the run has them (the ministry's, the payments')
    from orchestration.ingest import client_from_settings, ingest_dossiers, ingest_procedures, ingest_ratings
    from orchestration.intake import intake_folder
    from orchestration.warehouse import open_warehouse
    client = client_from_settings(settings)
    with open_warehouse(settings) as con:
        rows = sum(f(con, client, settings).rows for f in (ingest_procedures, ingest_dossiers, ingest_ratings))
        rows += sum(intake_folder(con, settings, f).rows for f in folders)
    print(json.dumps({"rows": rows}))
elif cfg["phase"] == "dbt":
    # the pipeline's dbt build: the nodes its new data reaches (reach.py), then recorded,
    # then its docs
    from orchestration.defs.dbt.project import ensure_manifest, planned_build, write_docs
    built = planned_build(settings, target=Path(cfg["target"]))
    if built.done.returncode:
        sys.exit(built.done.stdout[-3000:] + built.done.stderr[-2000:])
    print(f"    {built.plan.describe()}")
    # then the docs, as the pipeline's dbt step writes them: when what they show changed
    docs = write_docs(settings, json.loads(ensure_manifest().read_text()), Path(cfg["target"]))
    print(f"    dbt docs {'generated' if docs else 'kept: the same project and tables'}")
    ahead.close()  # the dbt process started ahead reaped: its peak memory is this phase's
    print(json.dumps({"rows": built.plan.total - len(built.plan.left_out)}))
elif cfg["phase"] == "quality":
    from expectations.runner import run_suites
    from expectations.suites import ALL_SUITES
    outcomes = run_suites(settings.warehouse, ALL_SUITES, settings.quality_dir,
                          memory_limit=settings.duckdb_memory_limit, threads=settings.duckdb_threads)
    print(json.dumps({"rows": sum(o.rows for o in outcomes)}))
else:
    from expectations.runner import data_docs_dir
    from orchestration.defs.dbt.project import dbt_docs_path
    from orchestration.publish import publish
    release = publish(settings, data_docs=data_docs_dir(settings.quality_dir), dbt_docs=dbt_docs_path(settings))
    print(json.dumps({"rows": sum(release.tables.values())}))
# The phase's work is done and written: the process ends without Python's teardown of every
# module it loaded (0.6 to 1 s once GX's 2,300 are in), a cost of running each phase in a
# process of its own that the pipeline, one process for a whole run, pays once a run.
sys.stdout.flush()
os._exit(0)
"""


GENERATE = """
import json, sys
from pathlib import Path
from sandbox.exports import ExportWriter
cfg = json.loads(sys.argv[1])
writer = ExportWriter(Path(cfg["out"]), collection_rows=cfg["rows"])
writer.write_school_lists()
writer.write_collections()
"""


GENERATE_FORMS = """
import csv, json, sys
from datetime import date, timedelta
from pathlib import Path
from orchestration.forms import Indicator, UnitDue, write_form
from sandbox.forms import fill_form
cfg = json.loads(sys.argv[1])
out = Path(cfg["out"])
names = {r["kpi_code"]: r["name_vi"] for r in csv.DictReader(open("dbt_project/seeds/kpi_definitions.csv"))}
indicators = [Indicator(r["indicator_code"], r["kind"], r["name_vi"] or names[r["kpi_code"]], r["numerator_vi"],
                        r["denominator_vi"]) for r in csv.DictReader(open("dbt_project/seeds/form_indicators.csv"))]
for i in range(cfg["forms"]):
    unit = UnitDue("2024-BC-Q1", "Báo cáo quý I năm 2024", date(2023, 12, 15), date(2024, 3, 9), date(2024, 3, 10),
                   f"000.{i // 100:02d}.{i % 100:02d}.H12", f"Đơn vị {i}", {"declared_received": 120})
    blank = write_form(out / "blank" / f"{i}.xlsx", unit, indicators, "Sở Giáo dục và Đào tạo")
    figures = {"legal_docs_timely_rate": (3, 4), "work_records_online_rate": (40, 52), "declared_received": (120, None),
               "declared_received_online": (90, None), "declared_ended": (100, None)}
    fill_form(blank, figures, date(2024, 3, 1) + timedelta(days=i % 15), out=out / "forms" / f"{i}" / "q1.xlsx")
"""


def bench_forms(forms: int, workdir: Path) -> list[tuple]:
    """Units' report forms: ``forms`` pre-filled forms written and filled as units would,
    then read by the intake (small workbooks many to a bounded child) and landed."""
    wall, _, _ = _measure(
        [sys.executable, "-c", GENERATE_FORMS, json.dumps({"out": str(workdir), "forms": forms})], cwd=Path.cwd()
    )
    print(f"  {forms:>11,} filled forms generated in {wall:.1f} s", flush=True)
    cfg = {
        "url": "",
        "warehouse": str(workdir / "warehouse.duckdb"),
        "publish": str(workdir / "published"),
        "forms": str(workdir / "forms"),
        "phase": "forms",
    }
    wall, rss, text = _measure([sys.executable, "-c", PHASE, json.dumps(cfg)])
    got = json.loads(text.strip().splitlines()[-1])
    print(
        f"  {forms:>11,} forms read and landed   {wall:8.1f} s {rss:8.2f} GiB ({got['files']} files, {got['rows']} rows)"
    )
    return [(forms, "intake (read, land)", wall, rss, got["rows"])]


class _Process:
    """A phase's process: started now, timed from when it is told to go (``run``). With
    ``ahead``, it imports what the pipeline's process holds by then (``PRELOADED``) and waits:
    started while the phase before it runs, as the pipeline's one process has its modules
    loaded before a phase begins."""

    def __init__(self, cmd: list[str], env: dict | None = None, cwd: Path | None = None, ahead: bool = False):
        self.cmd, self.ahead, self.imports = cmd, ahead, 0.0
        self.err = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed when it has run)
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE if ahead else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self.err,
            env=env,
            cwd=cwd,
            text=True,
        )

    def ready(self) -> None:
        """Wait until its imports are done (the run's first phase: a run's start is not timed)."""
        line = self.proc.stdout.readline()
        if not line.startswith("ready "):
            self.run(time.monotonic())  # it ended before: its error is raised there
            raise RuntimeError(f"{' '.join(self.cmd[:3])} ended before its turn")
        self.imports = float(line.split()[1])

    def run(self, since: float) -> tuple[float, float, str]:
        """Tell it to go; its wall time from ``since``, its own peak RSS (``wait4``: this child
        only) and stdout."""
        try:
            if self.ahead:
                self.proc.stdin.write("go\n")
                self.proc.stdin.close()
            out = self.proc.stdout.read()
            _, status, usage = os.wait4(self.proc.pid, 0)
            elapsed = time.monotonic() - since
            if os.waitstatus_to_exitcode(status) != 0:
                self.err.seek(0)
                raise RuntimeError(f"{' '.join(self.cmd[:3])} failed:\n{out[-2000:]}\n{self.err.read()[-2000:]}")
        finally:
            self.err.close()
        if out.startswith("ready "):
            first, _, out = out.partition("\n")
            self.imports = float(first.split()[1])
        return elapsed, usage.ru_maxrss / 1024 / 1024, out  # ru_maxrss is KiB on Linux


def _measure(cmd: list[str], env: dict | None = None, cwd: Path | None = None) -> tuple[float, float, str]:
    """Run a process now; its wall time, its own peak RSS and stdout (``_Process``)."""
    return _Process(cmd, env, cwd).run(time.monotonic())


PIPELINE = ("ingest", "dbt build", "quality", "publish")  # the phases of a run, in order
# What the pipeline's process (``cchc run``, one process a run) has imported when it comes to
# each phase: its modules at its start, GX while dbt builds (load_gx_in_background)
PRELOADED = {
    "ingest": ("orchestration.ingest", "orchestration.intake", "orchestration.warehouse"),
    "dbt": ("orchestration.defs.dbt.project",),
    "quality": ("expectations.runner", "expectations.suites", "great_expectations"),
    "publish": ("expectations.runner", "orchestration.defs.dbt.project", "orchestration.publish"),
}
DAILY_SHARE = 0.01  # what a daily run brings: the last 1 % of the year's dossier events


def bench(dossiers: int, workdir: Path, serving: bool = True, collections: int = 0) -> list[tuple]:
    """A full first run against the pre-built portal as it stood before the last 1 % of the
    year's events, then the daily run that brings them (new dossiers and new versions of
    ones already landed), phase by phase. With ``collections``, the warehouse also holds that
    many school-collection rows (and the school lists) from the full run on, and the daily
    run brings one new export file as well: a school's own workbook."""
    warehouse, publish = workdir / "warehouse.duckdb", workdir / "published"
    rows = []
    started = time.monotonic()
    portal_pages.build(dossiers)
    print(f"  {dossiers:>9,} pre-built portal pages ready in {time.monotonic() - started:.1f} s", flush=True)
    folders, held_back = {}, None
    if collections:
        exports = _generate_collections(collections, workdir)
        payments = workdir / "payments"
        payments.mkdir()
        *first, held_back = sorted((exports / "payments").iterdir(), key=lambda p: (p.suffix == ".xlsx", p.name))
        for path in first:
            (payments / path.name).hardlink_to(path)
        folders = {"moet": str(exports / "moet"), "payments": str(payments)}

    def step(name):
        return "dbt" if name == "dbt build" else name.split()[-1]

    def ahead(name, cfg):  # a phase's process, started while the one before it runs
        cfg = {**cfg, "phase": step(name), "preload": PRELOADED[step(name)], "wait": True}
        return _Process([sys.executable, "-c", PHASE, json.dumps(cfg)], ahead=True)

    def phase(run, name, process, since):
        wall, rss, out = process.run(since)
        lines = out.rstrip().splitlines()
        info = json.loads(lines[-1])
        if name == "dbt build":
            lines = [*lines[:-1], *_slowest_nodes(workdir / "target"), ""]
        rows.append((dossiers, run, name, wall, rss, info.get("rows", "")))
        rate = f" {info['rows'] / wall / 1e3:6.1f} k records/s" if name == "ingest" else ""
        imports = f" (imports {process.imports:.1f} s, while the phase before ran)" if process.ahead else ""
        print(f"  {dossiers:>9,} {run:<6} {name:<16} {wall:8.1f} s {rss:8.2f} GiB{rate}{imports}", flush=True)
        for line in lines[:-1]:
            print(line, flush=True)

    for run, visible in (("full", 1 - DAILY_SHARE), ("daily", 1.0)):
        if run == "daily" and held_back is not None:
            (workdir / "payments" / held_back.name).hardlink_to(held_back)
        portal, url = portal_pages.start(dossiers, visible)
        try:
            cfg = {
                "url": url,
                "warehouse": str(warehouse),
                "publish": str(publish),
                "target": str(workdir / "target"),
                **folders,
            }
            following = ahead(PIPELINE[0], cfg)
            try:
                following.ready()  # the run's start (the pipeline's imports) is not a phase
                since = time.monotonic()
                for i, name in enumerate(PIPELINE):
                    current = following
                    following = ahead(PIPELINE[i + 1], cfg) if i + 1 < len(PIPELINE) else None
                    phase(run, name, current, since)
                    since = time.monotonic()
            finally:
                if following is not None:  # a phase failed: the next one, waiting, goes with it
                    following.proc.kill()
                    following.proc.wait()
            if serving and run == "full":
                cfg = {**cfg, "phase": "PostgreSQL", "serving_url": _postgres(workdir)}
                loading = _Process([sys.executable, "-c", PHASE, json.dumps(cfg)])
                phase(run, "load PostgreSQL", loading, time.monotonic())
        finally:
            portal.terminate()
            portal.wait(timeout=10)
    return rows


def _dbt_build(settings: Settings, workdir: Path) -> list[str]:
    """The pipeline's ``dbt build`` as a command of its own (its target folder in ``workdir``)."""
    return dbt_command(dbt_build_args(settings), target=workdir / "target")


def _slowest_nodes(target: Path, count: int = 6) -> list[str]:
    """The dbt nodes that took longest in the last build (its ``run_results.json``)."""
    try:
        results = json.loads((target / "run_results.json").read_text())["results"]
    except (OSError, ValueError, KeyError):
        return []
    slowest = sorted(results, key=lambda r: -r.get("execution_time", 0))[:count]
    return [f"    {r['unique_id'].split('.')[2][:44]:<44} {r['execution_time']:6.1f} s" for r in slowest]


def _postgres(workdir: Path) -> str:
    """A PostgreSQL server for the serving load (the pgserver wheel of the dev dependencies)."""
    import pgserver

    return pgserver.get_server(workdir / "pg", cleanup_mode="stop").get_uri()


def bench_serving_release(release: Path, workdir: Path) -> list[tuple]:
    """Load an existing release (e.g. the demo's: ``data/published/current``, the sample
    year with 2.5 million school-collection rows) into a fresh PostgreSQL."""
    cfg = {
        "url": "",
        "warehouse": "",
        "publish": str(release.parent if release.name == "current" else release),
        "phase": "PostgreSQL",
        "serving_url": _postgres(workdir),
    }
    if release.name != "current":
        (workdir / "pub").mkdir()
        (workdir / "pub" / "current").symlink_to(release.resolve())
        cfg["publish"] = str(workdir / "pub")
    wall, rss, out = _measure([sys.executable, "-c", PHASE, json.dumps(cfg)])
    lines = out.rstrip().splitlines()
    rows = json.loads(lines[-1])["rows"]
    print(
        f"  release {release}: {rows:,} rows loaded into PostgreSQL in {wall:.1f} s ({rows / wall / 1e3:.0f} k rows/s)"
    )
    for line in lines[:-1]:
        print(line)
    return [(rows, "load PostgreSQL", wall, rss, rows)]


def bench_collections(rows: int, workdir: Path) -> list[tuple]:
    """School collections: the sample exports' generator writes ``rows`` collection rows (a
    UTF-8 CSV with BOM and ',', a Windows-1258 one with ';', titles and footers, three
    .xlsx) and the two school lists; then the intake loads them (CSV through DuckDB's
    reader, student codes hashed) and dbt builds every model over them."""
    exports, warehouse = _generate_collections(rows, workdir), workdir / "warehouse.duckdb"
    settings = Settings(warehouse=warehouse)
    env = {**os.environ, **dbt_env(settings)}
    cfg = {
        "url": "",
        "warehouse": str(warehouse),
        "publish": str(workdir / "published"),
        "moet": str(exports / "moet"),
        "payments": str(exports / "payments"),
    }
    dbt = _dbt_build(settings, workdir)
    out = []
    for run, name, cmd, kw in (
        ("full", "intake (load)", [sys.executable, "-c", PHASE, json.dumps({**cfg, "phase": "intake"})], {}),
        ("full", "dbt build", dbt, {"env": env, "cwd": DBT_DIR}),
        ("rerun", "intake (load)", [sys.executable, "-c", PHASE, json.dumps({**cfg, "phase": "intake"})], {}),
    ):
        wall, rss, text = _measure(cmd, **kw)
        loaded = json.loads(text.strip().splitlines()[-1])["rows"] if "intake" in name else ""
        out.append((rows, run, name, wall, rss, loaded))
        rate = f"{loaded / wall / 1e6:6.2f} M rows/s" if loaded else ""
        print(f"  {rows:>11,} {run:<6} {name:<16} {wall:8.1f} s {rss:8.2f} GiB {rate}", flush=True)
    out.append(_landing_against_duckdb(rows, exports, workdir))
    return out


def _generate_collections(rows: int, workdir: Path) -> Path:
    """The school lists and ``rows`` school-collection rows in ``workdir/exports``."""
    exports = workdir / "exports"
    # generated in a child process: Linux carries a process's peak RSS across fork and exec,
    # so a heavy parent would inflate every phase's figure
    wall, _, _ = _measure([sys.executable, "-c", GENERATE, json.dumps({"out": str(exports), "rows": rows})])
    size = sum(p.stat().st_size for p in (exports / "payments").iterdir()) / 2**30
    print(f"  {rows:>11,} collection rows generated in {wall:.1f} s ({size:.2f} GiB of files)", flush=True)
    return exports


def _landing_against_duckdb(rows: int, exports: Path, workdir: Path) -> tuple:
    """The largest collection CSV landed alone, and DuckDB's own ``read_csv`` of it into a
    table, in the same process: the landing's share of the engine's own rate."""
    largest = max((p for p in (exports / "payments").iterdir() if p.suffix == ".csv"), key=lambda p: p.stat().st_size)
    alone = workdir / "landing" / "payments"
    alone.mkdir(parents=True)
    (alone / largest.name).hardlink_to(largest)
    cfg = {"url": "", "warehouse": str(workdir / "landing" / "warehouse.duckdb"), "publish": "", "payments": str(alone)}
    wall, rss, text = _measure([sys.executable, "-c", PHASE, json.dumps({**cfg, "phase": "landing"})])
    got = json.loads(text.strip().splitlines()[-1])
    ours, theirs = got["rows"] / got["ours"], got["rows"] / got["duckdb"]
    print(
        f"  {rows:>11,} landing one CSV ({got['rows']:,} rows): ours {ours / 1e6:.2f} M rows/s, DuckDB read_csv "
        f"into a table {theirs / 1e6:.2f} M rows/s, ratio {ours / theirs:.0%}",
        flush=True,
    )
    return (rows, "full", "landing vs read_csv", got["ours"], rss, got["rows"], ours / theirs)


CURVE_DOSSIERS = [10_000, 100_000, 1_000_000, 3_000_000]
CURVE_COLLECTIONS = [1_000_000, 5_000_000, 20_000_000, 50_000_000]
AT_SCALE = (1_000_000, 20_000_000)  # the curve's daily run at scale: (dossiers, collection rows)


def main(argv: list[str]) -> None:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m bench.bench", description=__doc__.splitlines()[0])
    ap.add_argument("dossiers", type=int, nargs="*", help="dossier counts (default 50000 1000000)")
    ap.add_argument("--collections", type=int, nargs="+", default=[], help="school-collection rows")
    ap.add_argument("--forms", type=int, nargs="+", default=[], help="units' filled report forms of one period")
    ap.add_argument(
        "--with-collections",
        type=int,
        default=0,
        metavar="ROWS",
        help="the dossier benches' warehouse also holds ROWS school-collection rows, and their daily run brings one "
        "new export file (the daily run at scale: 1000000 --with-collections 20000000)",
    )
    ap.add_argument(
        "--curve",
        action="store_true",
        help=f"the growth curve: dossiers {CURVE_DOSSIERS} and collection rows {CURVE_COLLECTIONS} unless sizes "
        "are given; writes docs/performance.md and its charts",
    )
    ap.add_argument(
        "--serving-release",
        default=None,
        help="a published release to load into PostgreSQL (default with no arguments: data/published/current "
        "when make demo has written it)",
    )
    args = ap.parse_args(argv)
    sizes, collections, forms = args.dossiers, args.collections, args.forms
    serving_release = Path(args.serving_release) if args.serving_release else None
    if args.curve and not sizes and not collections:
        sizes, collections, scale = CURVE_DOSSIERS, CURVE_COLLECTIONS, [AT_SCALE]
    else:  # --with-collections: the chosen dossier counts run at scale instead
        scale = [(n, args.with_collections) for n in sizes if args.with_collections]
        sizes = [] if args.with_collections else sizes
    if not argv:
        sizes, collections, forms = [50_000, 1_000_000], [5_000_000, 20_000_000], [500]
        demo = Path("data/published/current")
        serving_release = demo if demo.exists() else None
    ensure_manifest()
    print(f"benchmark on {os.cpu_count()} cores; dossiers {sizes}; collection rows {collections}")
    results, coll_results, at_scale = [], [], []
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix=f"cchc-bench-{n}-") as tmp:
            results += bench(n, Path(tmp), serving=not args.curve)
    for n, rows in scale:  # the curve's daily run at scale: dossiers and collections in one warehouse
        with tempfile.TemporaryDirectory(prefix=f"cchc-bench-{n}-{rows}-") as tmp:
            at_scale += [(n, rows, *r[1:]) for r in bench(n, Path(tmp), serving=False, collections=rows)]
    for n in collections:
        with tempfile.TemporaryDirectory(prefix=f"cchc-bench-coll-{n}-") as tmp:
            coll_results += bench_collections(n, Path(tmp))
    if serving_release is not None:
        with tempfile.TemporaryDirectory(prefix="cchc-bench-serving-") as tmp:
            bench_serving_release(serving_release, Path(tmp))
    form_results = []
    for n in forms:
        with tempfile.TemporaryDirectory(prefix=f"cchc-bench-forms-{n}-") as tmp:
            form_results += bench_forms(n, Path(tmp))
    if results or coll_results or at_scale:
        docs = Path("docs") if args.curve else Path(tempfile.mkdtemp(prefix="cchc-bench-report-"))
        print("\n" + report.write(docs, results, coll_results, at_scale).read_text(encoding="utf-8"))
    if form_results:
        print("\n| forms | phase | wall (s) | peak RSS (GiB) | rows landed |")
        print("|---:|---|---:|---:|---:|")
        for n, name, wall, rss, count in form_results:
            print(f"| {n:,} | {name} | {wall:.1f} | {rss:.2f} | {count} |")


if __name__ == "__main__":
    main(sys.argv[1:])
