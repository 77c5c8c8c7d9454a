"""A ``mostly`` expectation is judged on the whole table, not batch by batch: the rows of
a small last batch must not fail a share the table meets (and a table that misses it fails
however its batches fall)."""

from __future__ import annotations

import duckdb
import great_expectations as gx

from expectations.runner import run_suites
from expectations.suite import Suite


def _suite() -> Suite:
    return Suite(
        name="methods_mostly_present",
        asset="t",
        query="select method from t order by id",
        expectations=lambda: [gx.expectations.ExpectColumnValuesToNotBeNull(column="method", mostly=0.9)],
        blocking=False,
        description="test",
    )


def test_mostly_holds_over_the_whole_table(tmp_path):
    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))
    # 1,000 rows, 50 without a method, all at the end: the last batch of 100 is half empty,
    # the table 5 % empty (under the 10 % allowed)
    con.execute("create table t as select i as id, case when i >= 950 then null else 'cash' end as method "
                "from range(1000) as r(i)")  # fmt: skip
    con.close()
    (outcome,) = run_suites(path, [_suite()], tmp_path / "q", batch_rows=100)
    assert outcome.batches == 10 and outcome.passed, outcome.summary()
    con = duckdb.connect(str(path))
    con.execute("update t set method = null where id < 100")  # now 15 % empty: fails
    con.close()
    (outcome,) = run_suites(path, [_suite()], tmp_path / "q", batch_rows=100)
    assert not outcome.passed and outcome.failed[0].unexpected_count == 150
