"""Published marts have enforced contracts: a model that changes a column's type fails the build."""

from __future__ import annotations

import json
import shutil

from orchestration.defs.dbt.project import DBT_DIR, dbt_vars, run_dbt


def test_a_contract_violation_fails_the_build(crafted_warehouse, tmp_path):
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    model = project / "models" / "marts" / "kpi_scorecard.sql"
    sql = model.read_text()
    broken = sql.replace(
        "cast(case when not is_withheld then numerator end as bigint) as numerator",
        "cast(case when not is_withheld then numerator end as varchar) as numerator",
    )
    assert broken != sql
    model.write_text(broken)
    settings = crafted_warehouse.with_(warehouse=tmp_path / "warehouse.duckdb")
    shutil.copy(crafted_warehouse.warehouse, settings.warehouse)
    args = ["run", "--select", "kpi_scorecard", "--vars", json.dumps(dbt_vars(settings))]
    done = run_dbt(settings, args, project=project)
    assert done.returncode != 0
    assert "contract" in done.stdout.lower() and "numerator" in done.stdout
