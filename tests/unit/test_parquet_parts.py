"""A fact's Parquet file by parts (orchestration/parquet_parts.py): each source file's rows in
row groups of their own; a later file re-encodes the changed files' rows only and splices
the others' row groups from the published file, byte for byte; DuckDB and pyarrow read the
result as the rows it was written from; a file it cannot splice from is written anew."""

from __future__ import annotations

import json

import duckdb
import pyarrow.parquet as pq
import pytest

from expectations.runner import PRINT_COLUMNS
from orchestration.parquet_parts import (
    CC_META,
    RG_COLUMNS,
    Unspliceable,
    decode_struct,
    encode_struct,
    read_footer,
    write_by_parts,
)
from orchestration.parquet_parts import CM_BLOOM_LENGTH as BLOOM_LENGTH
from orchestration.parquet_parts import CM_BLOOM_OFFSET as BLOOM

QUERY = "select * from fct"
ODD = "b'; drop table fct; --/../../escape\nnext"  # a source file's name is data, never SQL or a path


def _con(tmp_path, rows_by_part: dict) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute(
        "create or replace table fct (source_file varchar, source_row bigint, student_key varchar, amount bigint)"
    )
    for part, rows in rows_by_part.items():
        con.execute(
            "insert into fct select ?, i, md5(? || i::varchar), i * 1000 from range(?) as t(i)",
            [part, str(part), rows],
        )
    con.execute("set preserve_insertion_order = false")  # as the pipeline's connections: any row order
    return con


def _parts(con) -> dict:
    found = con.execute(f"select source_file, {PRINT_COLUMNS} from ({QUERY}) as q group by 1").fetchall()
    return {part: (n, h) for part, n, h in found}


def _same_rows(con, path) -> None:
    """DuckDB and pyarrow both read ``path`` as exactly the rows of ``QUERY``."""
    diff = f"select count(*) from (({QUERY}) except all (select * from '{path}'))"
    assert con.execute(diff).fetchone() == (0,)
    assert (
        con.execute(f"select count(*) from '{path}'").fetchone() == con.execute("select count(*) from fct").fetchone()
    )
    table = pq.read_table(path)
    assert sorted(table.to_pylist(), key=json.dumps) == sorted(
        (
            dict(zip(("source_file", "source_row", "student_key", "amount"), r, strict=True))
            for r in con.execute(QUERY).fetchall()
        ),
        key=json.dumps,
    )


def _blooms(path) -> list[list[bytes]]:
    """Each row group's column chunks' bloom filter bytes (where the footer says they are)."""
    data, found = path.read_bytes(), []
    for group in read_footer(path).row_groups:
        chunks = next(v for fid, _, v in group if fid == RG_COLUMNS)[1]
        metas = [next(v for fid, _, v in chunk if fid == CC_META) for chunk in chunks]
        fields = [{fid: v for fid, _, v in meta} for meta in metas]
        found.append([data[m[BLOOM] : m[BLOOM] + m[BLOOM_LENGTH]] for m in fields if BLOOM in m])
    return found


def _row_group_parts(path) -> list[set]:
    """The source files of each row group of ``path``."""
    f = pq.ParquetFile(path)
    return [set(f.read_row_group(i, columns=["source_file"]).column(0).to_pylist()) for i in range(f.num_row_groups)]


def test_each_part_has_row_groups_of_its_own(tmp_path):
    con = _con(tmp_path, {"a.csv": 300_000, ODD: 5, None: 7})
    target = tmp_path / "fct.parquet"
    index = write_by_parts(con, QUERY, "source_file", _parts(con), target, tmp_path / "work")
    _same_rows(con, target)
    groups = _row_group_parts(target)
    assert all(len(g) == 1 for g in groups)
    # in the index's order, each part's row groups in a run: a.csv (3 row groups of at most
    # 122,880 rows), the odd name, rows of no file last
    assert [(e[0], e[1], e[3]) for e in index] == [("a.csv", 300_000, 3), (ODD, 5, 1), (None, 7, 1)]
    assert [next(iter(g)) for g in groups] == ["a.csv"] * 3 + [ODD, None]
    # the encoded parts are gone, and nothing was written elsewhere
    assert not any((tmp_path / "work").rglob("*"))
    assert {p.name for p in tmp_path.iterdir()} <= {"fct.parquet", "w.duckdb", "w.duckdb.wal", "work"}


def _groups(index, part) -> range:
    """The row groups of ``part`` in a file of ``index``."""
    at = 0
    for name, _, _, groups in index:
        if name == part:
            return range(at, at + groups)
        at += groups
    raise KeyError(part)


def test_a_later_file_reencodes_only_the_changed_parts(tmp_path):
    con = _con(tmp_path, {"a.csv": 1000, "m.csv": 200_000, "gone.csv": 10})
    first = tmp_path / "first.parquet"
    index = write_by_parts(con, QUERY, "source_file", _parts(con), first, tmp_path / "work")
    # a day later: a.csv has new and changed rows, gone.csv was superseded, new.csv and rows
    # of no file came; m.csv, after a.csv in the file, moves
    con.execute("update fct set amount = amount + 1 where source_file = 'a.csv'")
    con.execute("insert into fct select 'a.csv', i, md5(i::varchar), i from range(1000, 3000) as t(i)")
    con.execute("delete from fct where source_file = 'gone.csv'")
    con.execute("insert into fct select 'new.csv', i, md5(i::varchar), i from range(50) as t(i)")
    con.execute("insert into fct values (null, 1, 'x', 1)")
    second = tmp_path / "second.parquet"
    encoded = []
    real_execute = duckdb.DuckDBPyConnection.execute

    class Spy:
        def execute(self, sql, params=None):
            if sql.startswith("copy"):
                encoded.append(params)
            return real_execute(con, sql, params or [])

    after = write_by_parts(Spy(), QUERY, "source_file", _parts(con), second, tmp_path / "work", (first, index))
    _same_rows(con, second)
    assert encoded == [[["a.csv", "new.csv"], True]]  # m.csv's 200,000 rows were not encoded again
    assert [(e[0], e[3]) for e in after] == [("a.csv", 1), ("m.csv", 2), ("new.csv", 1), (None, 1)]
    assert all(len(g) == 1 for g in _row_group_parts(second))
    # m.csv's row groups are the first file's bytes, moved: same column chunks, same sizes, and
    # their bloom filters came along, each at its new place
    was, now = _groups(index, "m.csv"), _groups(after, "m.csv")
    old, new = pq.ParquetFile(first).metadata, pq.ParquetFile(second).metadata
    assert old.row_group(was[0]).column(0).data_page_offset != new.row_group(now[0]).column(0).data_page_offset
    for i, j in zip(was, now, strict=True):
        for c in range(old.num_columns):
            a, b = old.row_group(i).column(c), new.row_group(j).column(c)
            assert (a.total_compressed_size, a.statistics) == (b.total_compressed_size, b.statistics)
    blooms = _blooms(first), _blooms(second)
    assert [blooms[0][i] for i in was] == [blooms[1][j] for j in now] and all(blooms[1][j] for j in now)
    key = con.execute("select student_key from fct where source_file = 'm.csv' and source_row = 123456").fetchone()[0]
    assert con.execute(f"select count(*) from '{second}' where student_key = '{key}'").fetchone() == (1,)


def test_a_published_file_that_cannot_be_spliced_from_is_not_trusted(tmp_path):
    con = _con(tmp_path, {"a.csv": 1000, "b.csv": 10})
    first = tmp_path / "first.parquet"
    index = write_by_parts(con, QUERY, "source_file", _parts(con), first, tmp_path / "work")
    parts = _parts(con)
    # an index that says a.csv has more row groups than the file holds: not used
    wrong = [[e[0], e[1], e[2], e[3] + 1] for e in index]
    write_by_parts(con, QUERY, "source_file", parts, tmp_path / "x.parquet", tmp_path / "work", (first, wrong))
    _same_rows(con, tmp_path / "x.parquet")
    # an index whose parts are not where it says (b.csv's entry first, over a.csv's row group):
    # the spliced rows do not add up, and every part is written anew
    lying = [index[1], index[0]]
    swapped = tmp_path / "swapped.parquet"
    write_by_parts(con, QUERY, "source_file", parts, swapped, tmp_path / "work", (first, lying))
    _same_rows(con, swapped)
    # an index that is not one (a hand-edited release.json): not used
    for junk in ([["a.csv", "many", "x", None]], [[1, 2]], "not a list"):
        write_by_parts(con, QUERY, "source_file", parts, tmp_path / "z.parquet", tmp_path / "work", (first, junk))
        _same_rows(con, tmp_path / "z.parquet")
    # a footer nested past any sense
    with pytest.raises(Unspliceable):
        decode_struct(bytes([0x1C]) * 5000)
    # a file that is not Parquet, or whose footer length points outside it
    for junk in (b"not parquet at all", b"PAR1" + b"\0" * 20 + (10**9).to_bytes(4, "little") + b"PAR1"):
        bad = tmp_path / "bad.parquet"
        bad.write_bytes(junk)
        with pytest.raises(Unspliceable):
            read_footer(bad)
        write_by_parts(con, QUERY, "source_file", parts, tmp_path / "y.parquet", tmp_path / "work", (bad, index))
        _same_rows(con, tmp_path / "y.parquet")


def test_a_footer_decodes_and_encodes_to_its_own_bytes(tmp_path):
    path = tmp_path / "t.parquet"
    duckdb.execute(
        f"copy (select i, i::varchar s, i % 2 = 0 b, i / 3 d, [i, i] l, {{'k': i}} st, map([i], ['v']) m "
        f"from range(300000) t(i)) to '{path}' (format parquet, row_group_size 100000)"
    )
    footer = read_footer(path)
    assert encode_struct(decode_struct(footer.raw)) == footer.raw
    assert len(footer.row_groups) == 3
    with pytest.raises(Unspliceable):
        decode_struct(footer.raw[:-5])
