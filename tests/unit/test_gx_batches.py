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


def _since_suite(**changes) -> Suite:
    fields = {
        "name": "methods_present",
        "asset": "t",
        "query": "select method, _checked_at from t",
        "expectations": lambda: [gx.expectations.ExpectColumnValuesToNotBeNull(column="method")],
        "blocking": True,
        "description": "test",
        "since": "_checked_at",
    }
    return Suite(**{**fields, **changes})


def test_a_suite_since_a_column_validates_the_rows_past_its_last_passed_validation(tmp_path):
    """fct_school_collections' rows checked again by a run carry that run's ``_checked_at``:
    once a validation passed, the next validates only the rows past its newest value; after
    a failed validation, when the suite means something else, or when a row up to that value
    changed without being checked again, every row again."""
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create table t as select i as id, 'cash' as method, timestamp '2024-01-01 08:00' as _checked_at "
                    "from range(1000) as r(i)")  # fmt: skip
    (first,) = run_suites(path, [_since_suite()], tmp_path / "q", batch_rows=100)
    assert first.passed and first.rows == 1000 and first.carried == 0 and first.batches == 10

    with duckdb.connect(str(path)) as con:  # a run brings 10 rows, one without a method
        con.execute("insert into t select 1000 + i, case when i = 3 then null else 'cash' end, "
                    "timestamp '2024-01-02 08:00' from range(10) as r(i)")  # fmt: skip
    (second,) = run_suites(path, [_since_suite()], tmp_path / "q", batch_rows=100)
    assert not second.passed and second.failed[0].unexpected_count == 1
    assert second.rows == 1010 and second.carried == 1000 and second.batches == 1

    with duckdb.connect(str(path)) as con:  # an older row goes bad too; the new one is mended
        con.execute("update t set method = null where id = 5")
        con.execute("update t set method = 'cash', _checked_at = timestamp '2024-01-03 08:00' where id = 1003")
    (third,) = run_suites(path, [_since_suite()], tmp_path / "q", batch_rows=100)
    assert not third.passed and third.carried == 0 and third.failed[0].unexpected_count == 1  # all validated

    with duckdb.connect(str(path)) as con:
        con.execute("update t set method = 'cash', _checked_at = timestamp '2024-01-04 08:00' where id = 5")
    (fourth,) = run_suites(path, [_since_suite()], tmp_path / "q", batch_rows=100)
    (same,) = run_suites(path, [_since_suite()], tmp_path / "q", batch_rows=100)
    assert fourth.passed and fourth.carried == 0 and same.reused and same.passed
    with duckdb.connect(str(path)) as con:
        con.execute("insert into t values (2000, 'cash', timestamp '2024-01-05 08:00')")
    (fifth,) = run_suites(path, [_since_suite()], tmp_path / "q", batch_rows=100)
    assert fifth.passed and fifth.rows == 1011 and fifth.carried == 1010  # after a reused outcome too

    stricter = _since_suite(expectations=lambda: [
        gx.expectations.ExpectColumnValuesToBeInSet(column="method", value_set=["card"])])  # fmt: skip
    (changed,) = run_suites(path, [stricter], tmp_path / "q", batch_rows=100)
    assert not changed.passed and changed.carried == 0 and changed.failed[0].unexpected_count == 1011

    (sixth,) = run_suites(path, [_since_suite()], tmp_path / "q", batch_rows=100)
    with duckdb.connect(str(path)) as con:  # a row changed without being checked again: all validated
        con.execute("update t set method = null where id = 7")
    (seventh,) = run_suites(path, [_since_suite()], tmp_path / "q", batch_rows=100)
    assert sixth.passed and not seventh.passed and seventh.carried == 0 and seventh.failed[0].unexpected_count == 1


def test_a_mostly_share_since_a_column_is_the_whole_tables(tmp_path):
    """A staged source validated since its ``_batch_seq``: the rows before carry their counts,
    so a ``mostly`` share is over every row, not over the new ones alone."""
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:  # 5 of 1000 without a method: 0.5 %
        con.execute("create table t as select case when i < 5 then null else 'cash' end as method, 1 as _batch_seq "
                    "from range(1000) as r(i)")  # fmt: skip
    suite = _since_suite(
        since="_batch_seq",
        query="select method, _batch_seq from t",
        expectations=lambda: [gx.expectations.ExpectColumnValuesToNotBeNull(column="method", mostly=0.99)],
    )
    (first,) = run_suites(path, [suite], tmp_path / "q", batch_rows=100)
    assert first.passed and first.rows == 1000 and first.failed == []
    with duckdb.connect(str(path)) as con:  # 1 of 10 new rows: 10 % alone, 6 of 1010 in all
        con.execute("insert into t select case when i = 0 then null else 'cash' end, 2 from range(10) as r(i)")
    (second,) = run_suites(path, [suite], tmp_path / "q", batch_rows=100)
    assert second.passed and second.carried == 1000 and second.batches == 1
    (seen,) = second.expectations.values()
    assert seen.unexpected_count == 6 and seen.counted == 1010
    with duckdb.connect(str(path)) as con:  # 6 of 100 more: 12 of 1110 in all, past 1 %
        con.execute("insert into t select case when i < 6 then null else 'cash' end, 3 from range(100) as r(i)")
    (third,) = run_suites(path, [suite], tmp_path / "q", batch_rows=100)
    assert not third.passed and third.carried == 1010 and third.failed[0].unexpected_count == 12


def test_since_is_refused_for_a_check_on_more_than_one_row():
    table = [gx.expectations.ExpectTableRowCountToEqual(value=0)]
    unique = [gx.expectations.ExpectColumnValuesToBeUnique(column="method")]
    compound = [gx.expectations.ExpectCompoundColumnsToBeUnique(column_list=["method", "_checked_at"])]
    mean = [gx.expectations.ExpectColumnMeanToBeBetween(column="amount", min_value=0)]
    for expectations in (table, unique, compound, mean):
        try:
            _since_suite(expectations=lambda e=expectations: e).check()
        except ValueError as exc:
            assert "not a row-by-row check" in str(exc)
        else:
            raise AssertionError("a since suite with a table-wide check was accepted")


def _seen_suite(**changes) -> Suite:
    fields = {
        "name": "methods_known",
        "asset": "t",
        "query": "select id, method from t",
        "expectations": lambda: [gx.expectations.ExpectColumnValuesToBeInSet(column="method", value_set=["cash"])],
        "blocking": True,
        "description": "test",
        "seen_rows": True,
    }
    return Suite(**{**fields, **changes})


def test_a_suite_of_replaced_rows_validates_the_rows_its_last_passed_validation_did_not_see(tmp_path):
    """fct_dossiers' row of a dossier is replaced by its new version's, so no column grows:
    once a validation passed, the next validates only the rows that are not among those it
    saw (a row changed in place is a new row); rows that left are not counted. After a failed
    validation, a changed suite or a kept file that is not the one recorded, every row."""
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create table t as select i as id, 'cash' as method from range(1000) as r(i)")
    (first,) = run_suites(path, [_seen_suite()], tmp_path / "q", batch_rows=100)
    assert first.passed and first.rows == 1000 and first.carried == 0 and first.batches == 10

    with duckdb.connect(str(path)) as con:  # 10 rows replaced (one bad), 5 gone, 3 new
        con.execute("delete from t where id < 15")
        con.execute("insert into t select i, case when i = 3 then 'card' else 'cash' end from range(10) as r(i)")
        con.execute("insert into t select 2000 + i, 'cash' from range(3) as r(i)")
    (second,) = run_suites(path, [_seen_suite()], tmp_path / "q", batch_rows=100)
    # the 10 replaced rows print as before but for id 3 ('card'): 1 unseen row, plus 3 new ones
    assert not second.passed and second.failed[0].unexpected_count == 1 and second.failed[0].examples == ["card"]
    assert second.rows == 998 and second.carried == 994 and second.batches == 1

    (third,) = run_suites(path, [_seen_suite()], tmp_path / "q", batch_rows=100)  # after a failure: every row
    assert third.reused and not third.passed  # the same rows: the same outcome
    with duckdb.connect(str(path)) as con:
        con.execute("update t set method = 'cash' where id = 3")
    (fourth,) = run_suites(path, [_seen_suite()], tmp_path / "q", batch_rows=100)
    assert fourth.passed and fourth.carried == 0 and fourth.rows == 998

    with duckdb.connect(str(path)) as con:  # an old row changes in place: it is a row not seen
        con.execute("update t set method = 'cheque' where id = 500")
        con.execute("insert into t values (3000, 'cash')")
    (fifth,) = run_suites(path, [_seen_suite()], tmp_path / "q", batch_rows=100)
    assert not fifth.passed and fifth.carried == 997 and fifth.failed[0].unexpected_count == 1
    with duckdb.connect(str(path)) as con:
        con.execute("update t set method = 'cash' where id = 500")
    (sixth,) = run_suites(path, [_seen_suite()], tmp_path / "q", batch_rows=100)
    (same,) = run_suites(path, [_seen_suite()], tmp_path / "q", batch_rows=100)
    with duckdb.connect(str(path)) as con:
        con.execute("insert into t values (3001, 'cash')")
    (seventh,) = run_suites(path, [_seen_suite()], tmp_path / "q", batch_rows=100)
    # after a reused outcome too
    assert sixth.passed and sixth.carried == 0 and same.reused and seventh.passed and seventh.carried == 999

    stricter = _seen_suite(expectations=lambda: [
        gx.expectations.ExpectColumnValuesToBeInSet(column="method", value_set=["card"])])  # fmt: skip
    (changed,) = run_suites(path, [stricter], tmp_path / "q", batch_rows=100)
    assert not changed.passed and changed.carried == 0 and changed.failed[0].unexpected_count == 1000

    run_suites(path, [_seen_suite()], tmp_path / "q", batch_rows=100)
    kept = next((tmp_path / "q" / "seen_rows").iterdir())
    with duckdb.connect() as con:  # a kept file that is not the one recorded: every row
        con.execute(f"copy (select 1::ubigint as h) to '{kept}' (format parquet)")
    with duckdb.connect(str(path)) as con:
        con.execute("insert into t values (3002, 'cash')")
    (eighth,) = run_suites(path, [_seen_suite()], tmp_path / "q", batch_rows=100)
    assert eighth.passed and eighth.carried == 0 and eighth.rows == 1001


def test_seen_rows_is_refused_for_a_share_or_a_check_on_more_than_one_row():
    for expectations, says in (
        ([gx.expectations.ExpectColumnValuesToNotBeNull(column="method", mostly=0.9)], "mostly"),
        ([gx.expectations.ExpectColumnValuesToBeUnique(column="method")], "not a row-by-row check"),
    ):
        try:
            _seen_suite(expectations=lambda e=expectations: e).check()
        except ValueError as exc:
            assert says in str(exc)
        else:
            raise AssertionError(f"{says}: accepted")


def test_every_suite_of_the_pipeline_passes_its_own_check():
    """``Suite.check`` runs before a suite is validated (defining one does not import GX):
    every suite the pipeline runs is one it accepts."""
    from expectations.suites import ALL_SUITES

    for suite in ALL_SUITES:
        suite.check()
    assert any(s.since for s in ALL_SUITES) and any(s.seen_rows for s in ALL_SUITES)


def test_a_suite_that_fails_its_check_is_a_failed_check_not_a_validation(tmp_path):
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create table t as select 1 as id, 'cash' as method")
    unique = _seen_suite(expectations=lambda: [gx.expectations.ExpectColumnValuesToBeUnique(column="method")])
    (outcome,) = run_suites(path, [unique], tmp_path / "q")
    assert not outcome.passed and "not a row-by-row check" in outcome.error and outcome.rows == 0


def test_gx_is_imported_once_a_process_in_a_thread_the_quality_step_joins():
    """The pipeline's dbt step starts GX's import (expectations.runner.load_gx_in_background)
    so the quality step finds it loaded: in a fresh process, one thread however often it is
    asked, not a daemon (a run that ends first waits for it), and GX loaded once it ends."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from expectations.runner import load_gx_in_background as load\n"
        "assert 'great_expectations' not in sys.modules\n"
        "first = load()\n"
        "assert load() is first and not first.daemon\n"
        "first.join()\n"
        "assert 'great_expectations' in sys.modules\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "ok", done.stderr[-2000:]
