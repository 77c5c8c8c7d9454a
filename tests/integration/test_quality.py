"""The quality gate: every GX suite catches a bad record fed to it; reconciliation catches
a transform that drops a row; a blocking failure stops publication and says why."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from expectations.runner import run_suites
from expectations.suites import ALL_SUITES
from tests.integration.dbt_helpers import run_dbt

SUITES = {s.name: s for s in ALL_SUITES}


@pytest.fixture
def tampered(crafted_warehouse, tmp_path):
    """A private copy of the crafted warehouse to break, and a runner over it."""
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(crafted_warehouse.warehouse, path)

    def run(*names, sql: str | None = None, batch_rows: int = 3):
        if sql:
            con = duckdb.connect(str(path))
            con.execute(sql)
            con.close()
        outcomes = run_suites(path, [SUITES[n] for n in names], tmp_path / "quality", batch_rows=batch_rows)
        return {o.suite.name: o for o in outcomes}

    return run


def test_marts_pass_and_the_bad_source_is_reported(tampered):
    """The crafted department's marts are sound; its portal source is not (half of its
    dossiers break a row rule on purpose), which the warn-only source suites report."""
    outcomes = tampered(*SUITES)
    assert {n: o.summary() for n, o in outcomes.items() if not o.passed and o.suite.blocking} == {}
    assert outcomes["mart_fct_dossiers"].batches > 1  # read batch by batch
    source = failed(outcomes["source_portal_dossiers"])
    assert sorted(source[("expect_column_values_to_be_in_set", "kenh_thuc_hien")].examples) == [" 2", "5"]
    assert source[("expect_column_values_to_not_be_null", "ma_ho_so")].examples == [None]


def failed(outcome):
    return {(e.expectation, e.column): e for e in outcome.failed}


@pytest.mark.parametrize(
    "suite,sql,expectation,column,example",
    [
        (
            "mart_fct_dossiers",
            "update marts.fct_dossiers set kenh_thuc_hien = '7' where ma_ho_so = 'A'",
            "expect_column_values_to_be_in_set",
            "kenh_thuc_hien",
            "7",
        ),
        (
            "mart_fct_dossiers",
            "update marts.fct_dossiers set trang_thai_ho_so = '0' where ma_ho_so = 'C'",
            "expect_column_values_to_be_in_set",
            "trang_thai_ho_so",
            "0",
        ),
        (
            "mart_fct_dossiers",
            "update marts.fct_dossiers set ngay_ket_thuc_xu_ly = timestamp '2024-01-01' where ma_ho_so = 'C'",
            "expect_column_pair_values_a_to_be_greater_than_b",
            "ngay_ket_thuc_xu_ly",
            None,
        ),
        (
            "mart_fct_dossiers",
            "update marts.fct_dossiers set ngay_tiep_nhan = timestamp '2023-01-01' where ma_ho_so = 'D'",
            "expect_column_pair_values_a_to_be_greater_than_b",
            "ngay_tiep_nhan",
            None,
        ),
        (
            "mart_fct_dossiers",
            "update marts.fct_dossiers set ngay_ket_thuc_xu_ly = null where ma_ho_so = 'A'",
            "expect_column_values_to_be_in_set",
            "ended_without_date",
            True,
        ),
        (
            "mart_fct_dossiers",
            "update marts.fct_dossiers set ngay_tiep_nhan = null where ma_ho_so = 'B'",
            "expect_column_values_to_be_in_set",
            "received_without_date",
            True,
        ),
        # the published contract forbids these nulls too: the constraint is dropped to feed GX the bad row
        (
            "mart_fct_dossiers",
            "alter table marts.fct_dossiers alter column ma_ho_so drop not null; "
            "update marts.fct_dossiers set ma_ho_so = null where ma_ho_so = 'B'",
            "expect_column_values_to_not_be_null",
            "ma_ho_so",
            None,
        ),
        (
            "mart_fct_dossiers",
            "update marts.fct_dossiers set fee_total = -5 where ma_ho_so = 'A'",
            "expect_column_values_to_be_between",
            "fee_total",
            -5,
        ),
        (
            "mart_fct_dossiers_key",
            "insert into marts.fct_dossiers select * from marts.fct_dossiers where ma_ho_so = 'A'",
            "expect_table_row_count_to_equal",
            "",
            None,
        ),
        (
            "mart_fct_ratings",
            "update marts.fct_ratings set muc_do_hai_long = '5' where ma_danh_gia = 'R1'",
            "expect_column_values_to_be_in_set",
            "muc_do_hai_long",
            "5",
        ),
        (
            "mart_fct_ratings_key",
            "insert into marts.fct_ratings select * from marts.fct_ratings where ma_danh_gia = 'R1'",
            "expect_table_row_count_to_equal",
            "",
            None,
        ),
        (
            "mart_kpi_scorecard",
            "update marts.kpi_scorecard set value = 1.5 where kpi_code = 'on_time_rate' and period_key = '2024' and unit_code = 'ALL'",
            "expect_column_values_to_be_between",
            "count_value",
            1.5,
        ),
        (
            "mart_kpi_scorecard",
            "update marts.kpi_scorecard set numerator = denominator + 1 where kpi_code = 'eid_rate' and period_key = '2024' and unit_code = 'ALL'",
            "expect_column_pair_values_a_to_be_greater_than_b",
            "denominator",
            None,
        ),
        (
            "mart_kpi_scorecard",
            "update marts.kpi_scorecard set status = 'maybe' where kpi_code = 'eid_rate' and period_key = '2024' and unit_code = 'ALL'",
            "expect_column_values_to_be_in_set",
            "status",
            "maybe",
        ),
        (
            "mart_kpi_scorecard_key",
            "insert into marts.kpi_scorecard select * from marts.kpi_scorecard where period_key = '2024' and unit_code = 'ALL' and kpi_code = 'eid_rate'",
            "expect_table_row_count_to_equal",
            "",
            None,
        ),
        (
            "mart_kpi_scorecard_complete",
            "delete from marts.kpi_scorecard where period_key = '2024-03' and unit_code = 'ALL' and kpi_code = 'on_time_rate'",
            "expect_table_row_count_to_equal",
            "",
            None,
        ),
        (
            "mart_quarantine",
            "update marts.quarantine set reason_vi = null where record_key = 'H'",
            "expect_column_values_to_not_be_null",
            "reason_vi",
            None,
        ),
        (
            "mart_quarantine",
            "alter table marts.quarantine alter column source_location drop not null; "
            "update marts.quarantine set source_location = null where record_key = 'Q3'",
            "expect_column_values_to_not_be_null",
            "source_location",
            None,
        ),
        (
            "mart_reconciliation",
            "update marts.reconciliation set is_balanced = false, rows_unaccounted = 1 where batch_seq = 2",
            "expect_column_values_to_be_in_set",
            "is_balanced",
            False,
        ),
        (
            "mart_form_submissions",
            "update marts.form_submissions set status = 'maybe' where unit_code = '000.01.20.H12' and period_key = '2024-BC-Q1'",
            "expect_column_values_to_be_in_set",
            "status",
            "maybe",
        ),
        (
            "mart_form_submissions",
            "update marts.form_submissions set days_late = 3 where unit_code = '000.02.20.H12' and period_key = '2024-BC-Q1'",
            "expect_column_values_to_be_in_set",
            "is_consistent",
            False,
        ),
        (
            "mart_form_submissions_key",
            "insert into marts.form_submissions select * from marts.form_submissions where period_key = '2024-BC-Q1'",
            "expect_table_row_count_to_equal",
            "",
            None,
        ),
        (
            "mart_form_submissions_complete",
            "delete from marts.form_submissions where unit_code = '000.01.20.H12' and period_key = '2024-BC-Q1'",
            "expect_table_row_count_to_equal",
            "",
            None,
        ),
        (
            "mart_form_crosschecks",
            "insert into marts.form_crosschecks values ('2024-BC-Q1', '000.01.20.H12', 'declared_received', 10, 5, 1, false)",
            "expect_column_values_to_be_in_set",
            "is_consistent",
            False,
        ),
        (
            "mart_form_crosschecks_key",
            "insert into marts.form_crosschecks values ('2024-BC-Q1', 'U', 'declared_ended', 1, 1, 0, false), "
            "('2024-BC-Q1', 'U', 'declared_ended', 1, 1, 0, false)",
            "expect_table_row_count_to_equal",
            "",
            None,
        ),
        (
            "mart_reconciliation_key",
            "insert into marts.reconciliation select * from marts.reconciliation where batch_seq = 2",
            "expect_table_row_count_to_equal",
            "",
            None,
        ),
        (
            "source_portal_dossiers",
            "update intermediate.int_portal__dossier_versions set kenh_thuc_hien = '9' where _batch_seq = 2",
            "expect_column_values_to_be_in_set",
            "kenh_thuc_hien",
            "9",
        ),
        (
            "source_portal_ratings",
            "update intermediate.int_portal__rating_versions set muc_do_hai_long = '0'",
            "expect_column_values_to_be_in_set",
            "muc_do_hai_long",
            "0",
        ),
        (
            "mart_kpi_scorecard_schema",
            "alter table marts.kpi_scorecard drop column note",
            "expect_table_columns_to_match_set",
            "",
            None,
        ),
        (
            "mart_quarantine_schema",
            "alter table marts.quarantine add column chu_ho_so varchar",
            "expect_table_columns_to_match_set",
            "",
            None,
        ),
        (
            "source_portal_procedures",
            "delete from intermediate.int_portal__procedures_current",
            "expect_table_row_count_to_be_between",
            "",
            None,
        ),
        # the file sources: the crafted department has none, so each bad record is inserted
        (
            "mart_fct_school_collections",
            "insert into marts.fct_school_collections (school_code, school_year, amount, "
            "method, is_cash, collected_on) values ('S1', '2023-2024', 1000, 'cheque', false, "
            "date '2024-01-05')",
            "expect_column_values_to_be_in_set",
            "method",
            "cheque",
        ),
        (
            "mart_fct_school_collections",
            "insert into marts.fct_school_collections (school_code, school_year, amount, "
            "method, is_cash, collected_on) values ('S1', '2023-2024', 1000, 'cash', false, "
            "date '2024-01-05')",
            "expect_column_values_to_be_in_set",
            "cash_flag_disagrees",
            True,
        ),
        (
            "mart_fct_fee_payments",
            "insert into marts.fct_fee_payments (transaction_code, dossier_code, unit_code, amount, "
            "status) values ('T1', 'A', 'U1', -5, 'success')",
            "expect_column_values_to_be_between",
            "amount",
            -5,
        ),
        (
            "mart_fct_fee_payments_key",
            "insert into marts.fct_fee_payments (transaction_code, dossier_code, unit_code, "
            "amount, status) values ('T1', 'A', 'U1', 5, 'success'), ('T1', 'B', 'U1', 5, 'failed')",
            "expect_table_row_count_to_equal",
            "",
            None,
        ),
        (
            "mart_fct_school_assessments",
            "insert into marts.fct_school_assessments (school_code, school_year, teaching_score, "
            "teaching_level, management_score, management_level, is_level2_both) "
            "values ('S1', '2023-2024', 120, 3, 60, 2, true)",
            "expect_column_values_to_be_between",
            "teaching_score",
            120,
        ),
        (
            "mart_fct_school_assessments",
            "insert into marts.fct_school_assessments (school_code, school_year, teaching_score, "
            "teaching_level, management_score, management_level, is_level2_both) "
            "values ('S1', '2023-2024', 40, 2, 60, 2, true)",
            "expect_column_values_to_be_in_set",
            "level_disagrees",
            True,
        ),
        (
            "mart_dim_schools",
            "insert into marts.dim_schools (school_code, version, valid_from, valid_to, attributed_from, "
            "is_current) values ('S1', 1, date '2024-09-01', date '2023-09-01', date '1900-01-01', false), "
            "('S1', 2, date '2023-09-01', null, date '2023-09-01', true), "
            "('S1', 3, date '2024-09-01', null, date '2024-09-01', true)",
            "expect_column_pair_values_a_to_be_greater_than_b",
            "valid_to",
            None,
        ),
        (
            "mart_dim_schools",
            "insert into marts.dim_schools (school_code, version, valid_from, valid_to, attributed_from, "
            "is_current) values ('S1', 1, date '2023-09-01', null, date '1900-01-01', true), "
            "('S1', 2, date '2024-09-01', null, date '2024-09-01', true)",
            "expect_column_values_to_be_between",
            "current_versions",
            2,
        ),
        (
            "mart_dim_schools_key",
            "insert into marts.dim_schools (school_code, version, valid_from, attributed_from, "
            "is_current) values ('S1', 1, date '2023-09-01', date '1900-01-01', false), "
            "('S1', 1, date '2024-09-01', date '2024-09-01', true)",
            "expect_table_row_count_to_equal",
            "",
            None,
        ),
        (
            "source_school_collections",
            # an amount that did not parse ('12,5'), as the parsed rows hold it
            "insert into intermediate.int_payments__collections_parsed (_batch_id, _batch_seq, _row_seq, "
            "school_code, amount, method, collected_on) values ('b', 9, 1, 'S1', null, 'cash', date '2024-01-05')",
            "expect_column_values_to_not_be_null",
            "amount",
            None,
        ),
        (
            "source_payment_transactions",
            "insert into raw.payment_transactions_stored values ('b', 9, 1, now(), 'gd.csv', null, 2, "
            "'f', 'T1', 'A', '1.000001', '100000', 'Hoàn tiền', '', '', '05/01/2024 10:00:00')",
            "expect_column_values_to_be_in_set",
            "status",
            "Hoàn tiền",
        ),
        (
            "source_moet_assessments",
            "insert into raw.moet_assessments_stored values ('b', 9, 1, now(), 'cds.xlsx', 'Sheet', 5, "
            "'f', 'S1', '2023-2024', '101', 'Mức 3', '60', 'Mức 2', '01/04/2024')",
            "expect_column_values_to_be_between",
            "teaching_score",
            None,
        ),
        (
            "source_moet_schools",
            "insert into raw.moet_schools_stored values ('b', 9, 1, now(), 'ds.xlsx', 'Sheet', 8, 'f', "
            "'S1', 'Trường A', 'Đại học', 'Công lập', 'Sở', 'Huyện A', null, null, null, null)",
            "expect_column_values_to_be_in_set",
            "school_level",
            "Đại học",
        ),
    ],
)
def test_each_suite_catches_a_bad_record(tampered, suite, sql, expectation, column, example):
    outcome = tampered(suite, sql=sql)[suite]
    assert not outcome.passed, outcome.summary()
    caught = failed(outcome)
    assert (expectation, column or None) in caught, caught.keys()
    if example is not None:
        assert example in caught[(expectation, column or None)].examples
    assert caught[(expectation, column or None)].unexpected_count >= 1 or expectation.startswith("expect_table")


def test_counts_add_up_across_batches(tampered):
    outcome = tampered("mart_fct_dossiers", sql="update marts.fct_dossiers set kenh_thuc_hien = '8'", batch_rows=2)[
        "mart_fct_dossiers"
    ]
    assert outcome.batches >= 3
    assert failed(outcome)[("expect_column_values_to_be_in_set", "kenh_thuc_hien")].unexpected_count == 7


def test_source_suites_warn_only_and_marts_block():
    assert all(not s.blocking for s in ALL_SUITES if s.name.startswith("source_"))
    assert all(s.blocking for s in ALL_SUITES if s.name.startswith("mart_"))


def test_reconciliation_catches_a_transform_that_drops_a_row(crafted_warehouse, tmp_path):
    """A faulty transform (test double: the checked dossiers table loses one row) shows as a
    batch that no longer balances, and the blocking reconciliation test fails."""
    settings = crafted_warehouse.with_(warehouse=tmp_path / "warehouse.duckdb")
    shutil.copy(crafted_warehouse.warehouse, settings.warehouse)
    con = duckdb.connect(str(settings.warehouse))
    con.execute("delete from intermediate.int_portal__dossiers_checked where ma_ho_so = 'C'")
    con.close()
    done = run_dbt(settings, "--select", "reconciliation")
    assert done.returncode != 0
    assert "assert_batches_reconcile" in done.stdout and "FAIL" in done.stdout
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    rows = con.execute(
        "select rows_read, rows_kept, rows_unaccounted, is_balanced from marts.reconciliation where batch_seq = 2"
    ).fetchone()
    con.close()
    assert rows == (19, 5, 1, False)


def test_a_landed_row_twice_is_caught_by_its_position_test(crafted_warehouse, tmp_path):
    """The key of a landed row's place (``unique_positions``: batch, number in the batch) fails
    on a row copied within its batch, and names the block and the copies; rows far apart in
    a batch and the same number in another batch are not copies."""
    settings = crafted_warehouse.with_(warehouse=tmp_path / "warehouse.duckdb")
    shutil.copy(crafted_warehouse.warehouse, settings.warehouse)
    table = "intermediate.int_portal__dossier_versions"
    con = duckdb.connect(str(settings.warehouse))
    batch, row = con.execute(f"select _batch_seq, _row_seq from {table} order by all limit 1").fetchone()
    # not copies: the same number in a batch of its own, and a number 4,096 further on
    copy = f"insert into {table} by name select * replace (999 as _batch_seq) from {table} where _batch_seq = ? and _row_seq = ?"
    con.execute(copy, [batch, row])
    con.execute(f"update {table} set _row_seq = _row_seq + 4096 where _batch_seq = 999")
    con.execute(copy, [batch, row])
    con.close()
    assert run_dbt(settings, "--select", "test_name:unique_positions").returncode == 0
    con = duckdb.connect(str(settings.warehouse))
    con.execute(f"insert into {table} select * from {table} where _batch_seq = ? and _row_seq = ?", [batch, row])
    con.close()
    done = run_dbt(settings, "--select", "test_name:unique_positions")
    assert done.returncode != 0 and "FAIL 1 unique_positions_int_portal__dossier_versions" in done.stdout
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    stored = [
        con.execute(f'select * from dbt_test__audit."{t}"').fetchall()
        for (t,) in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'dbt_test__audit' "
            "and starts_with(table_name, 'unique_positions')"
        ).fetchall()
    ]
    con.close()
    assert [rows for rows in stored if rows] == [[(batch, row >> 12, 1)]]
