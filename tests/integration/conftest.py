"""Fixtures shared by the integration tests."""

from __future__ import annotations

import pytest

from tests.integration.dbt_helpers import land, run_dbt


@pytest.fixture(scope="session")
def crafted_warehouse(tmp_path_factory):
    """The hand-written department of test_kpi_figures, landed and built by the real dbt project."""
    from orchestration.settings import Settings
    from tests.integration.test_kpi_figures import BAD, PADDED, PROCEDURES, RATINGS_1, RATINGS_2, A, B, C, D, E, F, G1, G2, H1, H2

    tmp = tmp_path_factory.mktemp("kpi")
    # Thresholds for this department of a handful of records: U2 (12 of 13 quarantined) is
    # withheld at 50 %, U1 (2 of 11) is not; the source rule is off (share 1.0).
    settings = Settings(warehouse=tmp / "warehouse.duckdb", hash_key="k", unit_quarantine_threshold=0.5,
                        source_quarantine_threshold=1.0, duckdb_memory_limit="1GB")
    land(settings, "thu-tuc", PROCEDURES)
    land(settings, "ho-so", [A, B, C, D, E, F, G1, H1, *BAD.values(), *(d for _, d in PADDED.values())])
    land(settings, "ho-so", [G2, G1, H2])  # G1 again: an exact re-read, set aside
    land(settings, "danh-gia", RATINGS_1)
    land(settings, "danh-gia", RATINGS_2)
    done = run_dbt(settings)
    assert done.returncode == 0, done.stdout[-3000:]
    return settings
