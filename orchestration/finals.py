"""Making a report final (DOMAIN.md 5): its figures are kept as reported.

The figures come from the current publication (what the office reported), and are stored
in the working warehouse (``raw.report_finals``); from then on the scorecard carries them
as ``reported_*`` beside the live ``numerator``/``denominator``. A report already final is
never changed: making it final again keeps the first figures.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb

from orchestration.settings import Settings
from orchestration.warehouse import open_warehouse


class NotPublished(RuntimeError):
    pass


def finalize_report(settings: Settings, period_key: str) -> int:
    """Store the published figures of ``period_key``; returns how many rows were stored now."""
    published = Path(settings.publish_dir) / "warehouse.duckdb"
    if not published.exists():
        raise NotPublished(f"nothing published at {published}: publish before making a report final")
    pub = duckdb.connect(str(published), read_only=True)
    try:
        release_id = pub.execute("select release_id from marts.release_info").fetchone()[0]
        rows = pub.execute(
            """select period_key, unit_code, kpi_code, numerator, denominator
                              from marts.kpi_scorecard where period_type = 'report' and period_key = ?""",
            [period_key],
        ).fetchall()
    finally:
        pub.close()
    if not rows:
        raise NotPublished(f"the publication has no reporting period {period_key!r}")
    now = datetime.now().replace(microsecond=0)
    with open_warehouse(settings) as con:
        before = con.execute("select count(*) from raw.report_finals where period_key = ?", [period_key]).fetchone()[0]
        con.executemany(
            "insert into raw.report_finals values (?, ?, ?, ?, ?, ?, ?) on conflict do nothing",
            [[*r, now, release_id] for r in rows],
        )
        after = con.execute("select count(*) from raw.report_finals where period_key = ?", [period_key]).fetchone()[0]
    return after - before
