"""Published marts have enforced contracts: a model that changes a column's type, or gives a
null where the contract says not_null, fails the build."""

from __future__ import annotations

import json
import shutil

from orchestration.defs.dbt.project import DBT_DIR, dbt_vars, run_dbt


def _build_broken_scorecard(crafted_warehouse, tmp_path, line: str, broken_line: str):
    """kpi_scorecard built on a copy of the crafted warehouse with ``line`` of its SQL
    replaced by ``broken_line``: dbt's finished process."""
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    model = project / "models" / "marts" / "kpi_scorecard.sql"
    sql = model.read_text()
    broken = sql.replace(line, broken_line)
    assert broken != sql
    model.write_text(broken)
    settings = crafted_warehouse.with_(warehouse=tmp_path / "warehouse.duckdb")
    shutil.copy(crafted_warehouse.warehouse, settings.warehouse)
    args = ["run", "--select", "kpi_scorecard", "--vars", json.dumps(dbt_vars(settings))]
    return run_dbt(settings, args, project=project)


def test_a_contract_violation_fails_the_build(crafted_warehouse, tmp_path):
    done = _build_broken_scorecard(
        crafted_warehouse,
        tmp_path,
        "cast(case when not is_withheld then numerator end as bigint) as numerator",
        "cast(case when not is_withheld then numerator end as varchar) as numerator",
    )
    assert done.returncode != 0
    assert "contract" in done.stdout.lower() and "numerator" in done.stdout


def test_a_null_where_the_contract_says_not_null_fails_the_build(crafted_warehouse, tmp_path):
    # the column has no not_null data test: the constraint is the check (test_conventions)
    done = _build_broken_scorecard(
        crafted_warehouse,
        tmp_path,
        "case when is_withheld then 'withheld' else 'ok' end as status",
        "case when is_withheld then 'withheld' end as status",
    )
    assert done.returncode != 0
    assert "not null constraint" in done.stdout.lower() and "status" in done.stdout
