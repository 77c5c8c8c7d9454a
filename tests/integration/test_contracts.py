"""Published marts have enforced contracts: a model that changes a column's type, or gives a
null where the contract says not_null, fails the build."""

from __future__ import annotations

import json
import shutil

import pytest

from orchestration.defs.dbt.project import DBT_DIR, dbt_vars, run_dbt


@pytest.mark.parametrize(
    ("line", "broken_line", "said"),
    [
        (  # a column's type changed
            "cast(case when not is_withheld then numerator end as bigint) as numerator",
            "cast(case when not is_withheld then numerator end as varchar) as numerator",
            ("contract", "numerator"),
        ),
        (  # a null where the contract says not_null: the column has no not_null data test, the
            # constraint is its check (tests/unit/test_conventions.py)
            "case when is_withheld then 'withheld' else 'ok' end as status",
            "case when is_withheld then 'withheld' end as status",
            ("not null constraint", "status"),
        ),
    ],
)
def test_a_contract_violation_fails_the_build(crafted_warehouse, tmp_path, line, broken_line, said):
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
    done = run_dbt(settings, args, project=project)
    assert done.returncode != 0
    assert all(word in done.stdout.lower() for word in said), done.stdout[-2000:]
