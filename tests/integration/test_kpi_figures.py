"""Hand-computed KPI figures, through the real raw tables and the real dbt project.

The department of tests/crafted.py: procedures P1-P4, dossiers A-H and a bad dossier for
every row rule, ratings R1-R6. Every expected figure below is counted by hand from the records, with the
reason in a comment. Period boundaries are local time (A is received at 23:59:59 on
31 March, B at 00:00:00 on 1 April; D on 10 March falls outside the 2024-BC-Q1 report,
which ends on 9 March).
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from tests.crafted import BAD, PADDED, U1, U2
from tests.integration.dbt_helpers import query


@pytest.fixture(scope="module")
def warehouse(crafted_warehouse):
    return crafted_warehouse


def figures(settings, unit, period_key):
    rows = query(
        settings,
        """select kpi_code, numerator, denominator, value, status from marts.kpi_scorecard
                              where unit_code = ? and period_key = ?""",
        [unit, period_key],
    )
    return {k: (n, d, v, s) for k, n, d, v, s in rows}


def ratio(fig):
    n, d, v, _ = fig
    assert v == pytest.approx(n / d)
    return Fraction(n, d)


def test_march_figures_for_u1(warehouse):
    f = figures(warehouse, U1, "2024-03")
    F_ = Fraction
    assert ratio(f["online_dossier_rate"]) == F_(3, 3)  # A, C, D received in March, all online
    assert f["online_dossier_rate"][:2] == (3, 3)
    assert f["self_service_rate"][:2] == (2, 3)  # C was filed by staff (LaNopHo = 1)
    assert f["eid_rate"][:2] == (2, 3)  # A and D used VNeID
    assert f["portal_sync_rate"][:2] == (3, 3)
    assert f["online_payment_rate"][:2] == (2, 3)  # fees A 1.5M (paid 1), C 50k (0), D 100k (paid 2)
    assert f["data_reuse_rate"][:2] == (2, 3)  # A and C reuse a component; D does not
    assert f["no_resupply_rate"][:2] == (1, 2)  # A: 1 of 1 replaceable reused; C: 1 of 2
    assert f["result_digitization_rate"][:2] == (2, 2)  # C and D ended in March, both with a file link
    assert f["on_time_rate"][:2] == (1, 2)  # C on time (unanswered request waits); D 1 s late
    assert f["satisfaction_rate"][:2] == (1, 1)  # R3's later copy (level 2) counts


def test_april_figures_for_u1(warehouse):
    f = figures(warehouse, U1, "2024-04")
    assert f["online_dossier_rate"][:2] == (0, 1)  # B, received at 00:00:00 on 1 April, in person
    assert "self_service_rate" not in f and "eid_rate" not in f  # no online dossier in April
    assert "online_payment_rate" not in f  # B's Gia is empty: a fee total of 0
    assert f["data_reuse_rate"][:2] == (0, 1)  # B's reused component is deleted
    assert "no_resupply_rate" not in f  # ...and so is its only replaceable one
    assert f["result_digitization_rate"][:2] == (1, 2)  # A (link) and B (empty link) ended in April
    assert f["on_time_rate"][:2] == (2, 2)  # A at its deadline exactly; B within deadline + 2 days waiting
    assert f["satisfaction_rate"][:2] == (1, 2)  # R1 satisfied, R2 dissatisfied; R4-R6 quarantined


def test_year_figures_for_all_and_withheld_unit(warehouse):
    f = figures(warehouse, "ALL", "2024")
    assert f["online_dossier_rate"][:2] == (3, 5)  # A, B, C, D (U1) and G (U2, in person)
    assert f["portal_sync_rate"][:2] == (4, 5)
    assert f["data_reuse_rate"][:2] == (2, 5)
    assert f["result_digitization_rate"][:2] == (3, 5)  # A, C, D of A, B, C, D, G
    assert f["on_time_rate"][:2] == (4, 5)  # G has no NgayHenTra: on time
    assert f["satisfaction_rate"][:2] == (2, 3)
    assert f["procedure_online_coverage"][:2] == (2, 3)  # eligible P1, P2, P3; P1, P2 at MucDo 3/4
    assert f["procedure_on_national_portal"][:2] == (1, 2)
    assert f["procedure_online_payment_enabled"][:2] == (1, 2)
    u2 = figures(warehouse, U2, "2024")
    assert u2 and all(s == "withheld" and n is None and d is None and v is None for n, d, v, s in u2.values())
    u1 = figures(warehouse, U1, "2024")
    assert all(s == "ok" for *_, s in u1.values())
    assert u1["procedure_online_coverage"][:2] == (2, 2)


def test_report_period_ends_on_the_ninth(warehouse):
    f = figures(warehouse, "ALL", "2024-BC-Q1")
    assert f["online_dossier_rate"][:2] == (0, 1)  # only G (28 Feb); D (10 March) is outside
    assert query(
        warehouse, "select period_start, period_end from marts.kpi_scorecard where period_key = '2024-BC-Q1' limit 1"
    )[0] == (__import__("datetime").date(2023, 12, 15), __import__("datetime").date(2024, 3, 9))


def test_targets_and_met(warehouse):
    rows = query(
        warehouse,
        """select kpi_code, target, met from marts.kpi_scorecard
                               where unit_code = 'ALL' and period_key = '2024'""",
    )
    by = {k: (t, m) for k, t, m in rows}
    assert by["online_dossier_rate"] == (0.8, False)  # 3/5 < 0.8
    assert by["on_time_rate"] == (1.0, False)
    assert by["procedure_on_national_portal"] == (1.0, False)


def test_every_row_rule_is_caught_with_its_reason(warehouse):
    rows = query(warehouse, "select record_key, reason_code, unit_code, source_location, record from marts.quarantine")
    by_reason = {}
    for key, reason, unit, location, record in rows:
        by_reason.setdefault(reason, []).append((key, unit, location, record))
    for reason in BAD:
        assert reason in by_reason, reason
    assert sorted(k for k, *_ in by_reason["channel_invalid"]) == ["H", "Q11"]  # the older valid H does not stand in
    for code, (reason, _) in PADDED.items():
        assert code in [k for k, *_ in by_reason[reason]]
    for reason in ("rating_level_invalid", "rating_date_invalid", "rating_dossier_unknown"):
        assert len(by_reason[reason]) == 1
    assert len(rows) == 10 + len(PADDED) + 3
    # records as received minus personal data, with their source location
    for *_, location, record in rows:
        assert location.startswith("/api/v1/")  # the portal page by path and query (its host is in release_info)
        assert "Trần Thị Bình" not in record and "079123456789" not in record and "0912345678" not in record
        assert "SoGiayToChuHoSo_hash" not in record
    # nothing quarantined counts in a KPI
    assert not query(warehouse, "select 1 from marts.fct_dossiers where ma_ho_so in ('H', 'Q2', 'Q3', 'Q4')")


def test_rows_reconcile_per_batch(warehouse):
    rows = query(
        warehouse,
        """select source, rows_read, rows_kept, rows_quarantined, rows_set_aside, is_balanced
                               from marts.reconciliation order by batch_seq""",
    )
    assert rows == [
        ("portal.thu-tuc", 4, 4, 0, 0, True),
        ("portal.ho-so", 19, 6, 11, 2, True),  # A-F kept; Q1-Q11 quarantined; G1, H1 superseded
        ("portal.ho-so", 3, 1, 1, 1, True),  # G2 kept, H2 quarantined, G1 re-read set aside
        ("portal.danh-gia", 6, 2, 3, 1, True),  # R1, R2 kept; R4-R6 quarantined; R3 superseded
        ("portal.danh-gia", 1, 1, 0, 0, True),
    ]


def test_warnings_listed_apart(warehouse):
    rows = query(warehouse, "select record_key, warning_code from marts.data_warnings")
    assert ("A", "phone_missing") not in rows
    assert all(code in ("id_number_length", "phone_missing", "text_not_nfc", "fee_amount_invalid") for _, code in rows)
