"""The published scorecard as the command line prints it (``cchc scorecard``, and after a
run): one unit, one kind of period, with the school year each period shows for the KPIs
counted by school year (``marts.period_school_years``, as the report)."""

from __future__ import annotations

import sys
from pathlib import Path

from orchestration.settings import Settings


def unknown_choice(settings: Settings, period_type: str, unit: str, period_key: str | None) -> str | None:
    """Why a unit or period asked for is not in the publication (naming the ones that are),
    or None when both are there (or nothing is published yet)."""
    import duckdb

    path = Path(settings.publish_dir) / "warehouse.duckdb"
    if not path.exists():
        return None
    con = duckdb.connect(str(path), read_only=True)
    try:
        units = [u for (u,) in con.execute("select distinct unit_code from marts.kpi_scorecard order by 1").fetchall()]
        periods = [
            p
            for (p,) in con.execute(
                "select distinct period_key from marts.kpi_scorecard where period_type = ? order by 1", [period_type]
            ).fetchall()
        ]
    finally:
        con.close()

    def some(values: list[str]) -> str:
        return ", ".join(values[:12]) + (f", … ({len(values)} in all)" if len(values) > 12 else "")

    if unit not in units:
        return f"unit {unit!r} is not in the published scorecard; units: {some(units)}"
    if period_key is not None and period_key not in periods:
        return (
            f"no {period_type} period {period_key!r} in the published scorecard; {period_type} periods: {some(periods)}"
        )
    return None


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
    print(
        f"quarantined records (hồ sơ bị cách ly): {quarantined:,}; files loaded (tệp đã nạp): {files[0]} "
        f"with {files[1]:,} rows; published warehouse: {path}"
    )
    for key, reason_vi, detail in rejected:
        print(f"REJECTED FILE (tệp bị từ chối): {key.rsplit('@', 1)[0]}: {reason_vi} ({detail})")
