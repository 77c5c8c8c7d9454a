"""Compare two publications' marts row for row (a refactoring check).

    uv run python -m scripts.compare_marts <before>/parquet <after>/parquet

Each mart is read from its Parquet file; columns that change on every run (batch ids,
load and publication times) are left out, and the sample portal's random port is masked
in source URLs, as is the window end (the run's time). Prints, per mart, the rows only in one side; exits 1 when any differ.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

VOLATILE = {"batch_id", "committed_at", "published_at", "release_id", "seen_at", "_loaded_at", "batch_seq"}


def columns(con, path: Path) -> list[str]:
    return [r[0] for r in con.execute(f"describe select * from read_parquet('{path}')").fetchall()]


def masked(name: str) -> str:
    """Source URLs carry the sample portal's random port and the run's window end."""
    if name in ("source_url", "source_location", "record_key"):
        port = f"regexp_replace(cast(\"{name}\" as varchar), 'http://127\\.0\\.0\\.1:[0-9]+', 'http://portal')"
        return f"regexp_replace({port}, '(denNgay|denNgayCapNhat)=[0-9]{{14}}', '\\1=run', 'g') as \"{name}\""
    return f'"{name}"'


def compare(before: Path, after: Path) -> int:
    con = duckdb.connect()
    differing = 0
    names = sorted({p.stem for p in before.glob("*.parquet")} | {p.stem for p in after.glob("*.parquet")})
    for name in names:
        a, b = before / f"{name}.parquet", after / f"{name}.parquet"
        if not a.exists() or not b.exists():
            print(f"{name}: only in {'after' if not a.exists() else 'before'}")
            differing += 1
            continue
        cols_a, cols_b = columns(con, a), columns(con, b)
        if cols_a != cols_b:
            print(f"{name}: columns differ: {cols_a} vs {cols_b}")
            differing += 1
            continue
        keep = ", ".join(masked(c) for c in cols_a if c not in VOLATILE)
        only_a = con.execute(
            f"select count(*) from (select {keep} from read_parquet('{a}') except all "
            f"select {keep} from read_parquet('{b}'))"
        ).fetchone()[0]
        only_b = con.execute(
            f"select count(*) from (select {keep} from read_parquet('{b}') except all "
            f"select {keep} from read_parquet('{a}'))"
        ).fetchone()[0]
        rows = con.execute(f"select count(*) from read_parquet('{a}')").fetchone()[0]
        status = "same" if only_a == only_b == 0 else f"DIFFERENT: {only_a} rows only before, {only_b} only after"
        print(f"{name}: {rows} rows, {status}")
        differing += status != "same"
    return 1 if differing else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("before", type=Path, help="a publication's parquet folder (before the change)")
    ap.add_argument("after", type=Path, help="a publication's parquet folder (after the change)")
    args = ap.parse_args(argv)
    return compare(args.before, args.after)


if __name__ == "__main__":
    sys.exit(main())
