"""How a mart comes into a release started from the current one (orchestration/publish.py,
``release_mart``): kept when its fingerprint is the current release's, replaced file by file
when it has a ``source_file`` column (rows of no file included), row by row otherwise, and
written anew when its columns changed or the replaced rows do not print as the working mart.
The bookkeeping columns never reach the release."""

from __future__ import annotations

import duckdb

from orchestration.publish import release_mart


def _rows(con, table: str) -> list[tuple]:
    return con.execute(f"select * from {table} order by all").fetchall()


FACT = ("fct", "source_file varchar, source_row integer, amount bigint")
DIM = ("dim", '"code ""x""" varchar, amount bigint')  # no source file; a name to quote


def _pair(tmp_path, working_rows: list[tuple], release_rows: list[tuple], mart=FACT) -> duckdb.DuckDBPyConnection:
    """A release holding ``release_rows``, the working warehouse ``working_rows`` (with a
    bookkeeping column), attached as the publication attaches it."""
    name, columns = mart
    marks = ", ".join("?" * len(release_rows[0]))
    working = duckdb.connect(str(tmp_path / "working.duckdb"))
    working.execute("create schema marts")
    working.execute(f"create table marts.{name} ({columns}, _checked_at int)")
    working.executemany(f"insert into marts.{name} values ({marks}, 7)", working_rows)
    working.close()
    con = duckdb.connect(str(tmp_path / "release.duckdb"))
    con.execute("create schema marts")
    con.execute(f"create table marts.{name} ({columns})")
    con.executemany(f"insert into marts.{name} values ({marks})", release_rows)
    con.execute(f"attach '{tmp_path / 'working.duckdb'}' as working (read_only)")
    return con


def test_only_the_files_whose_rows_changed_are_replaced(tmp_path):
    unchanged = [("a.csv", 1, 100), ("a.csv", 2, 200)]
    release = [*unchanged, ("b.csv", 1, 5), (None, 1, 9), ("gone.csv", 1, 1)]
    working = [*unchanged, ("b.csv", 1, 6), ("b.csv", 2, 7), (None, 1, 9), (None, 2, 10), ("new.csv", 1, 3)]
    con = _pair(tmp_path, working, release)
    fingerprint, rows, how = release_mart(con, "release", "fct", before="an older release's print")
    assert how == "by parts" and rows == 7
    assert _rows(con, "marts.fct") == sorted(working, key=lambda r: (r[0] is None, r))
    assert fingerprint.startswith("7 rows, ") and fingerprint.endswith(
        "(source_file VARCHAR, source_row INTEGER, amount BIGINT)"
    )
    # a.csv's rows were not touched: still the release's first two rows, in place
    assert con.execute("select source_file, source_row from marts.fct limit 2").fetchall() == [
        ("a.csv", 1),
        ("a.csv", 2),
    ]
    # the same rows again: kept, with the same fingerprint
    assert release_mart(con, "release", "fct", before=fingerprint) == (fingerprint, 7, "kept")


def test_a_mart_whose_columns_changed_is_written_whole(tmp_path):
    con = _pair(tmp_path, [("a.csv", 1, 100)], [("a.csv", 1, 100)])
    con.execute("alter table marts.fct alter amount type integer")
    _, _, how = release_mart(con, "release", "fct", before=None)
    assert how == "written"
    assert con.execute(
        "select data_type from duckdb_columns() where column_name = 'amount' and database_name = current_database()"
    ).fetchone() == ("BIGINT",)
    assert "_checked_at" not in [c[0] for c in con.execute("select * from marts.fct limit 0").description]


def test_the_release_own_part_prints_spare_reading_it_and_are_checked(tmp_path):
    """The part prints the current release recorded stand for reading its copy of the mart;
    prints that do not describe it (a part said unchanged that is not) write the mart whole."""
    from orchestration.publish import _part_prints

    unchanged = [("a.csv", 1, 100), ("a.csv", 2, 200)]
    release = [*unchanged, ("b.csv", 1, 5)]
    working = [*unchanged, ("b.csv", 1, 6)]
    con = _pair(tmp_path, working, release)
    held = _part_prints(con, "select * from marts.fct")
    _, rows, how = release_mart(con, "release", "fct", before="older", held_parts=held)
    assert (how, rows) == ("by parts", 3) and _rows(con, "marts.fct") == sorted(working)
    # a release whose a.csv lost a row, with prints that say it did not: written whole
    con.execute("delete from marts.fct where source_file = 'a.csv' and source_row = 2")
    con.execute("update marts.fct set amount = 5 where source_file = 'b.csv'")
    _, _, how = release_mart(con, "release", "fct", before="older", held_parts=held)
    assert how == "written" and _rows(con, "marts.fct") == sorted(working)


def test_a_mart_without_files_is_replaced_row_by_row(tmp_path):
    """fct_dossiers has no source file: the rows that changed, left or came are replaced, the
    others stay where they are (a daily run changes 1 % of a million rows)."""
    unchanged = [("a", 1), ("b", 2), (None, None)]
    release = [*unchanged, ("c", 3), ("gone", 4)]
    working = [*unchanged, ("c", 30), ("new", 5), ("new", 6)]
    con = _pair(tmp_path, working, release, DIM)
    fingerprint, rows, how = release_mart(con, "release", "dim", before="an older release's print")
    assert (how, rows) == ("by rows", 6) and _rows(con, "marts.dim") == sorted(working, key=lambda r: (r[0] is None, r))
    assert con.execute('select "code ""x""" from marts.dim limit 3').fetchall() == [("a",), ("b",), (None,)]
    assert release_mart(con, "release", "dim", before=fingerprint) == (fingerprint, 6, "kept")
    assert con.execute("select count(*) from duckdb_tables() where temporary").fetchone() == (0,)


def test_rows_repeated_a_different_number_of_times_write_the_mart_whole(tmp_path):
    """Rows are matched by their hash: a row the release holds twice and the working mart
    once prints differently after the replacement, so the mart is written whole."""
    con = _pair(tmp_path, [("a", 1), ("b", 2)], [("a", 1), ("a", 1), ("b", 2)], DIM)
    _, rows, how = release_mart(con, "release", "dim", before="older")
    assert (how, rows) == ("written", 2) and _rows(con, "marts.dim") == [("a", 1), ("b", 2)]


def test_descriptions_reach_the_release_and_only_the_changed_ones_are_set_again(tmp_path):
    """A mart kept from the current release holds its comments; a description changed in dbt
    since, or a mart made anew (``create table as`` drops them), gets the working one."""
    from orchestration.publish import copy_comments

    con = _pair(tmp_path, [("a", 1)], [("a", 1)], DIM)
    con.close()
    with duckdb.connect(str(tmp_path / "working.duckdb")) as working:
        working.execute("comment on table marts.dim is 'Danh mục — a dimension'")
        working.execute('comment on column marts.dim."code ""x""" is \'Mã — code\'')
        working.execute("comment on column marts.dim.amount is 'Số tiền — amount'")
        working.execute("comment on column marts.dim._checked_at is 'bookkeeping'")
    con = duckdb.connect(str(tmp_path / "release.duckdb"))
    con.execute(f"attach '{tmp_path / 'working.duckdb'}' as working (read_only)")
    con.execute("comment on column marts.dim.amount is 'Số tiền — amount'")  # already held
    assert copy_comments(con, "working", ["dim"]) == 2
    assert copy_comments(con, "working", ["dim"]) == 0  # nothing new: nothing set
    comments = dict(
        con.execute(
            "select column_name, comment from duckdb_columns() where database_name = current_database()"
        ).fetchall()
    )
    assert comments == {'code "x"': "Mã — code", "amount": "Số tiền — amount"}
    assert con.execute("select comment from duckdb_tables() where database_name = current_database()").fetchone() == (
        "Danh mục — a dimension",
    )
