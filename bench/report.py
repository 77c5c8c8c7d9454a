"""The bench's figures as ``docs/performance.md``: a table per source and a growth chart (an
SVG drawn here, like the reports' charts: no plotting library) of each phase's time against
the size, full runs and daily runs side by side."""

from __future__ import annotations

import math
import os
import platform
from datetime import datetime
from html import escape
from pathlib import Path

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


def growth_svg(title: str, unit: str, series: dict[str, list[tuple[float, float]]]) -> str:
    """A log-log chart: one line per series of (size, seconds); a dashed line for a daily run."""
    width, height, left, right, top, bottom = 640, 360, 64, 150, 32, 44
    points = [p for line in series.values() for p in line if p[1] > 0]
    if not points:
        return ""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x_lo, x_hi = math.floor(math.log10(min(xs))), math.ceil(math.log10(max(xs)))
    y_lo, y_hi = math.floor(math.log10(min(ys))), math.ceil(math.log10(max(ys)))
    x_hi, y_hi = max(x_hi, x_lo + 1), max(y_hi, y_lo + 1)

    def x(v: float) -> float:
        return left + (math.log10(v) - x_lo) / (x_hi - x_lo) * (width - left - right)

    def y(v: float) -> float:
        return height - bottom - (math.log10(v) - y_lo) / (y_hi - y_lo) * (height - top - bottom)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
        f'font-size="11"><rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{left}" y="18" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    for e in range(x_lo, x_hi + 1):
        out.append(f'<line x1="{x(10**e):.1f}" y1="{top}" x2="{x(10**e):.1f}" y2="{height - bottom}" stroke="#ddd"/>')
        label = f"{10**e / 1e6:g} M" if e >= 6 else f"{10**e / 1e3:g} k"
        out.append(f'<text x="{x(10**e):.1f}" y="{height - bottom + 14}" text-anchor="middle">{label}</text>')
    for e in range(y_lo, y_hi + 1):
        out.append(f'<line x1="{left}" y1="{y(10**e):.1f}" x2="{width - right}" y2="{y(10**e):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{y(10**e) + 4:.1f}" text-anchor="end">{10**e:g} s</text>')
    out.append(f'<text x="{(left + width - right) / 2}" y="{height - 8}" text-anchor="middle">{escape(unit)}</text>')
    phases = list(dict.fromkeys(name.removeprefix("daily: ") for name in series))  # a daily line: its phase's colour
    for i, (name, line) in enumerate(series.items()):
        line = sorted(p for p in line if p[1] > 0)
        colour = PALETTE[phases.index(name.removeprefix("daily: ")) % len(PALETTE)]
        dash = ' stroke-dasharray="5,4"' if name.startswith("daily") else ""
        path = " ".join(f"{x(a):.1f},{y(b):.1f}" for a, b in line)
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
        out += [f'<circle cx="{x(a):.1f}" cy="{y(b):.1f}" r="3" fill="{colour}"/>' for a, b in line]
        ly = top + 14 * i
        out.append(
            f'<line x1="{width - right + 10}" y1="{ly}" x2="{width - right + 30}" y2="{ly}" stroke="{colour}" '
            f'stroke-width="2"{dash}/><text x="{width - right + 34}" y="{ly + 4}">{escape(name)}</text>'
        )
    out.append("</svg>")
    return "\n".join(out)


def write(docs: Path, dossiers: list[tuple], collections: list[tuple], at_scale: list[tuple] = ()) -> Path:
    """``docs/performance.md`` and its charts from the bench's rows:
    dossiers ``(size, run, phase, seconds, peak GiB, rows)``; collections the same, plus the
    landing's share of DuckDB's own rate on its ``landing vs read_csv`` row; ``at_scale``
    ``(dossiers, collection rows, run, phase, seconds, peak GiB, rows)``: the daily run of a
    warehouse holding both."""
    lines = [
        "# Performance",
        "",
        f"Measured by `make bench-curve` on {datetime.now():%Y-%m-%d}, {_machine()}. Each phase runs in its own "
        "process; *peak* is that process's own maximum resident memory. Regenerate with `make bench-curve` "
        "(this page and its charts are written by `bench/report.py`).",
        "",
        "A run's phases follow each other as in the pipeline's one process (`cchc run`), which imports its modules "
        "at its start and Great Expectations while dbt builds: each phase's process is started while the phase "
        "before it runs, imports those modules, and is timed from the end of the phase before. A run's own start "
        "(Python, the imports, Dagster's definitions) is not in the figures. The dbt build includes the dbt docs, "
        "generated when the project or a table's columns changed.",
        "",
        "A *full* run starts from an empty warehouse against the bench portal as it stood before the last 1 % of "
        "the year's dossier events; the *daily* run that follows brings that 1 % (new dossiers and new versions "
        "of dossiers already landed). The bench portal serves pre-built pages (`bench/portal_pages.py`), so "
        "the ingest figure is the client's own: reading, parsing, scrubbing personal data and landing.",
        "",
    ]
    if dossiers:
        lines += _dossier_section(docs, dossiers)
    if collections:
        lines += _collection_section(docs, collections)
    if at_scale:
        lines += _at_scale_section(at_scale)
    path = docs / "performance.md"
    lines += _notes(path)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


NOTES = "### Read with this page"  # the page's hand-written part: from this heading to its end


def _notes(page: Path) -> list[str]:
    """The notes written by hand under ``NOTES`` in the page as it stands, carried over when
    the bench writes the page again (else they went with every ``make bench-curve``)."""
    try:
        text = page.read_text(encoding="utf-8")
    except OSError:
        return []
    at = text.find(f"\n{NOTES}\n")
    return ["", *text[at + 1 :].rstrip("\n").split("\n")] if at >= 0 else []


def _at_scale_section(rows: list[tuple]) -> list[str]:
    """The daily run of a warehouse holding dossiers and school collections, phase by phase
    beside the full run, with its share of the full run's time."""
    out = []
    for dossiers, collections in dict.fromkeys((r[0], r[1]) for r in rows):
        get = {(r[2], r[3]): r for r in rows if r[:2] == (dossiers, collections)}
        phases = list(dict.fromkeys(r[3] for r in rows if r[:2] == (dossiers, collections)))
        out += [
            f"## The daily run at {dossiers:,} dossiers and {collections:,} school-collection rows",
            "",
            "The full run lands the year's dossiers but the last 1 % and every export but one school's own "
            "workbook; the daily run brings that 1 % and that workbook.",
            "",
            "| phase | full | daily | daily / full | peak memory (full, daily) |",
            "|---|---:|---:|---:|---:|",
        ]
        totals = {"full": 0.0, "daily": 0.0}
        for phase in phases:
            full, daily = get.get(("full", phase)), get.get(("daily", phase))
            if not full or not daily:
                continue
            totals["full"] += full[4]
            totals["daily"] += daily[4]
            out.append(
                f"| {phase} | {full[4]:.1f} s | {daily[4]:.1f} s | {daily[4] / full[4]:.1%} "
                f"| {full[5]:.2f} GiB, {daily[5]:.2f} GiB |"
            )
        if totals["full"]:
            out.append(
                f"| **end to end** | **{totals['full']:.1f} s** | **{totals['daily']:.1f} s** "
                f"| **{totals['daily'] / totals['full']:.1%}** | |"
            )
        out.append("")
    return out


def _machine() -> str:
    return f"{os.cpu_count()} cores, Python {platform.python_version()}"


def _dossier_section(docs: Path, rows: list[tuple]) -> list[str]:
    phases = list(dict.fromkeys(r[2] for r in rows))
    sizes = sorted({r[0] for r in rows})
    get = {(r[0], r[1], r[2]): r for r in rows}
    out = [
        "## Portal dossiers",
        "",
        "| dossiers | run | " + " | ".join(phases) + " | end to end | peak memory |",
        "|---:|---|" + "---:|" * (len(phases) + 2),
    ]
    for n in sizes:
        for run in ("full", "daily"):
            cells = [get.get((n, run, p)) for p in phases]
            pipeline = [c for c in cells if c and c[2] != "load PostgreSQL"]
            if not pipeline:
                continue
            total = sum(c[3] for c in pipeline)
            full = sum(c[3] for c in (get.get((n, "full", p)) for p in phases) if c and c[2] != "load PostgreSQL")
            share = f" ({total / full:.0%} of full)" if run == "daily" and full else ""
            out.append(
                f"| {n:,} | {run} | "
                + " | ".join(f"{c[3]:.1f} s" if c else "" for c in cells)
                + f" | **{total:.1f} s**{share} | {max(c[4] for c in cells if c):.2f} GiB |"
            )
    ingest = [r for r in rows if r[2] == "ingest" and r[1] == "full" and r[5]]
    if ingest:
        out += [
            "",
            "Ingest rate (records into raw per second, full run): "
            + ", ".join(f"{r[0]:,} dossiers: {r[5] / r[3] / 1e3:.1f} k/s" for r in sorted(ingest))
            + ".",
        ]
    series = {
        f"{'daily: ' if run == 'daily' else ''}{p}": [(n, get[(n, run, p)][3]) for n in sizes if (n, run, p) in get]
        for run in ("full", "daily")
        for p in phases
        if p != "load PostgreSQL"
    }
    (docs / "performance-dossiers.svg").write_text(
        growth_svg("Portal dossiers: time per phase", "dossiers", series), encoding="utf-8"
    )
    return [*out, "", "![time per phase against the number of dossiers](performance-dossiers.svg)", ""]


def _collection_section(docs: Path, rows: list[tuple]) -> list[str]:
    out = [
        "## School collections",
        "",
        "| collection rows | run | phase | time | peak memory | rows landed | rate |",
        "|---:|---|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        n, run, name, wall, rss, count = r[:6]
        rate = f"{count / wall / 1e6:.2f} M rows/s" if count else ""
        if name == "landing vs read_csv":
            rate += f" ({r[6]:.0%} of DuckDB's own `read_csv` into a table)"
        out.append(f"| {n:,} | {run} | {name} | {wall:.1f} s | {rss:.2f} GiB | {count or ''} | {rate} |")
    series = {
        name: [(r[0], r[3]) for r in rows if r[2] == name and r[1] == "full"]
        for name in dict.fromkeys(r[2] for r in rows if r[1] == "full" and r[2] != "landing vs read_csv")
    }
    (docs / "performance-collections.svg").write_text(
        growth_svg("School collections: time per phase", "collection rows", series), encoding="utf-8"
    )
    return [*out, "", "![time per phase against the number of collection rows](performance-collections.svg)", ""]
