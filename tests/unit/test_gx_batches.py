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


def test_a_suite_whose_rows_did_not_change_keeps_its_outcome_and_a_changed_one_is_validated(tmp_path):
    """A daily run validates what changed: the same rows and expectations keep the last
    outcome (failures included); a changed row, or changed expectations, validate again."""
    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create table t as select i as id, 'cash' as method from range(1000) as r(i)")
    con.close()
    (first,) = run_suites(path, [_suite()], tmp_path / "q", batch_rows=100)
    (again,) = run_suites(path, [_suite()], tmp_path / "q", batch_rows=100)
    assert first.passed and not first.reused and again.passed and again.reused and again.rows == 1000
    con = duckdb.connect(str(path))
    con.execute("update t set method = null where id < 200")  # one value changed per row: 20 % empty
    con.close()
    (changed,) = run_suites(path, [_suite()], tmp_path / "q", batch_rows=100)
    (kept,) = run_suites(path, [_suite()], tmp_path / "q", batch_rows=100)
    assert not changed.reused and not changed.passed and changed.failed[0].unexpected_count == 200
    assert kept.reused and not kept.passed and kept.failed[0].unexpected_count == 200
    looser = Suite(**{**_suite().__dict__, "expectations": lambda: [
        gx.expectations.ExpectColumnValuesToNotBeNull(column="method", mostly=0.5)]})  # fmt: skip
    (relaxed,) = run_suites(path, [looser], tmp_path / "q", batch_rows=100)
    assert not relaxed.reused and relaxed.passed
