"""The portal's staged data. Bad records are expected here (they are quarantined
downstream), so these suites measure the source and warn; they do not block. The
publication rule on a source's quarantined share is a blocking dbt test."""

from __future__ import annotations

from expectations.suite import SINCE, E, Suite


def _dossiers():
    return [
        E.ExpectColumnValuesToNotBeNull(column="_source"),
        E.ExpectColumnValuesToNotBeNull(column="_batch_id"),
        E.ExpectColumnValuesToNotBeNull(column="ma_ho_so", mostly=0.99),
        E.ExpectColumnValuesToNotBeNull(column="ngay_cap_nhat", mostly=0.99),
        E.ExpectColumnValuesToBeInSet(column="kenh_thuc_hien", value_set=["1", "2", "3"], mostly=0.99),
        E.ExpectColumnValuesToBeInSet(column="trang_thai_ho_so", value_set=[str(i) for i in range(1, 11)], mostly=0.99),
        E.ExpectColumnValuesToBeInSet(column="has_invalid_date", value_set=[False], mostly=0.99),
    ]


def _ratings():
    return [
        E.ExpectColumnValuesToNotBeNull(column="_source"),
        E.ExpectColumnValuesToNotBeNull(column="ma_danh_gia", mostly=0.99),
        E.ExpectColumnValuesToNotBeNull(column="ngay_danh_gia", mostly=0.99),
        E.ExpectColumnValuesToBeInSet(column="muc_do_hai_long", value_set=["1", "2", "3"], mostly=0.99),
    ]


def _procedures():
    return [
        E.ExpectColumnValuesToNotBeNull(column="ma_tthc"),
        E.ExpectColumnValuesToBeInSet(column="muc_do", value_set=["2", "3", "4"], mostly=0.95),
        E.ExpectColumnValuesToNotBeNull(column="co_quan_thuc_hien"),
        E.ExpectTableRowCountToBeBetween(min_value=1),
    ]


SUITES = [
    Suite(
        "source_portal_dossiers",
        "int_portal__dossier_versions",
        # every landed dossier row as staged, parsed once (the staging view parses the JSON
        # on every read: printing its million rows cost more than validating the new ones)
        """select _source, _batch_id, ma_ho_so, ngay_cap_nhat, kenh_thuc_hien, trang_thai_ho_so, has_invalid_date,
                  _batch_seq
             from intermediate.int_portal__dossier_versions""",
        _dossiers,
        blocking=False,
        description="Hồ sơ nguồn — staged dossiers: landing metadata present, codes and dates mostly valid.",
        since=SINCE,
    ),
    Suite(
        "source_portal_ratings",
        "int_portal__rating_versions",
        # every landed rating row as staged, parsed once (as the dossiers')
        """select _source, ma_danh_gia, ngay_danh_gia, muc_do_hai_long, _batch_seq
             from intermediate.int_portal__rating_versions""",
        _ratings,
        blocking=False,
        description="Đánh giá nguồn — staged ratings: codes and dates mostly valid.",
        since=SINCE,
    ),
    Suite(
        "source_portal_procedures",
        "int_portal__procedures_current",
        "select ma_tthc, muc_do, co_quan_thuc_hien from intermediate.int_portal__procedures_current",
        _procedures,
        blocking=False,
        description="Danh mục TTHC — the current catalogue: unique codes, known levels, a unit each.",
    ),
]
