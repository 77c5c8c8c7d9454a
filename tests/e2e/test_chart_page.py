"""The chart page renders in headless Chromium with no script error and shows every KPI."""

from __future__ import annotations

import re
import shutil
import subprocess

import duckdb

from orchestration.publish import publish

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
]


def test_chart_page_renders_every_kpi(crafted_warehouse, tmp_path):
    chromium = shutil.which("chromium")
    assert chromium, "chromium is installed by `make browser` (part of `make test`)"
    settings = crafted_warehouse.with_(warehouse=tmp_path / "working.duckdb", publish_dir=tmp_path / "published")
    shutil.copy(crafted_warehouse.warehouse, settings.warehouse)
    publish(settings)
    page = settings.publish_dir / "reports" / "2024-BC-6T.html"
    shot = tmp_path / "page.png"
    run = subprocess.run(
        [
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1300,2400",
            "--dump-dom",
            f"file://{page}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert not re.search(r"Uncaught|CONSOLE\(\d+\).*[Ee]rror", run.stderr), run.stderr[-2000:]
    dom = run.stdout
    con = duckdb.connect(str(settings.publish_dir / "warehouse.duckdb"), read_only=True)
    kpis = [
        k
        for (k,) in con.execute("""select kpi_code from marts.kpi_scorecard where period_type = 'report'
                                         and period_key = '2024-BC-6T' and unit_code = 'ALL'""").fetchall()
    ]
    self_reported = {k for (k,) in con.execute("select kpi_code from marts.dim_kpis where is_self_reported").fetchall()}
    con.close()
    sections = dict(re.findall(r'<section class="kpi" data-kpi="([a-z_0-9]+)">(.*?)</section>', dom, re.S))
    assert sorted(sections) == sorted(kpis) and len(kpis) >= 10
    charted = {k for k, body in sections.items() if re.search(r"<svg[^>]*>.*?</svg>", body, re.S)}
    # a KPI counted by reporting period only (the units' own reports) has no monthly chart
    assert charted == set(kpis) - self_reported and set(kpis) & self_reported == {"form_on_time_rate"}
    shot_run = subprocess.run(
        [
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp_path / 'profile2'}",
            "--window-size=1300,2400",
            f"--screenshot={shot}",
            f"file://{page}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shot_run.returncode == 0 and shot.stat().st_size > 20_000  # a rendered page, not a blank one
