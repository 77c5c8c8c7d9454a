"""The quarantine list the office sends back to units."""

from __future__ import annotations

from connectors.exports import LAYOUTS
from expectations.suite import E, Suite, schema_suite


def _expectations():
    return [
        E.ExpectColumnValuesToNotBeNull(column="reason_code"),
        E.ExpectColumnValuesToNotBeNull(column="reason_vi"),  # every reason has its Vietnamese wording
        E.ExpectColumnValuesToNotBeNull(column="source_location"),
        E.ExpectColumnValuesToNotBeNull(column="unit_code"),
        E.ExpectColumnValuesToNotBeNull(column="record"),
        # the portal's two checked endpoints, every file source of the registry, and rejected files
        E.ExpectColumnValuesToBeInSet(
            column="source_name",
            value_set=["portal.ho-so", "portal.danh-gia", *(layout.source for layout in LAYOUTS), "files"],
        ),
    ]


SUITES = [
    schema_suite(
        "mart_quarantine_schema",
        "quarantine",
        "marts.quarantine",
        [
            "source_name",
            "record_key",
            "unit_code",
            "reason_code",
            "reason_vi",
            "reason_codes",
            "source_location",
            "source_url",
            "source_page",
            "source_row",
            "batch_id",
            "record",
        ],
        "Cấu trúc danh sách cách ly — source, unit, reason and record of each quarantined record.",
    ),
    Suite(
        "mart_quarantine",
        "quarantine",
        "select reason_code, reason_vi, source_location, unit_code, record, source_name from marts.quarantine",
        _expectations,
        blocking=True,
        description="Danh sách cách ly — every quarantined record has a reason (with its Vietnamese wording), a source location and a unit.",
    ),
]
