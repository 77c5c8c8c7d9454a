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


# every request leaves for nowhere: a page that needs the network shows it
OFFLINE_FLAGS = [
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
    "--host-resolver-rules=MAP * ~NOTFOUND",
]


def test_data_docs_render_offline(crafted_warehouse, tmp_path):
    """The published Data Docs show every suite and its results with the network blocked:
    no script, no stylesheet or font from a CDN."""
    from expectations.runner import data_docs_dir, run_suites
    from expectations.suites import ALL_SUITES

    chromium = shutil.which("chromium")
    assert chromium, "chromium is installed by `make browser` (part of `make test`)"
    outcomes = run_suites(crafted_warehouse.warehouse, ALL_SUITES, tmp_path / "quality", memory_limit="1GB")
    page = data_docs_dir(tmp_path / "quality") / "index.html"
    html = page.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html), "nothing is fetched from another host"
    assert "<script" not in html
    run = subprocess.run(
        [chromium, *CHROMIUM_FLAGS, *OFFLINE_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
         f"file://{page}"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    dom = run.stdout
    for outcome in outcomes:
        assert f'id="s-{outcome.suite.name}"' in dom, outcome.suite.name
    assert dom.count("<tr>") > len(outcomes) * 2  # each suite's expectations, one row each
    assert f"{sum(o.passed for o in outcomes)}/{len(outcomes)} bộ kiểm tra đạt" in dom
