"""A build leaves out the nodes nothing new reaches (orchestration/defs/dbt/reach.py): a
small project and warehouse made by hand, through every reason to build everything and every
way a source changes."""

from __future__ import annotations

import copy

import duckdb
import pytest

from orchestration.defs.dbt.reach import plan_build, record_build


def _node(unique_id: str, kind: str, depends: list[str], macros: list[str] | None = None) -> dict:
    schema = {"model": "marts", "seed": "reference", "test": "dbt_test__audit"}[kind]
    return {
        "name": unique_id.split(".")[-1],
        "resource_type": kind,
        "schema": schema,
        "alias": unique_id.split(".")[-1],
        "config": {"materialized": "table" if kind != "test" else "test"},
        "depends_on": {"nodes": depends, "macros": macros or []},
        "created_at": 1.0,
    }


def _manifest() -> dict:
    nodes = {
        "model.p.from_landed": _node("model.p.from_landed", "model", ["source.p.raw.landed"]),
        "model.p.from_list": _node("model.p.from_list", "model", ["source.p.raw.list", "seed.p.codes"]),
        "model.p.dated": _node("model.p.dated", "model", ["model.p.from_list"], ["macro.p.days_late"]),
        "model.p.after_dated": _node("model.p.after_dated", "model", ["model.p.dated"]),
        "seed.p.codes": _node("seed.p.codes", "seed", []),
        "test.p.unique_from_landed": _node("test.p.unique_from_landed", "test", ["model.p.from_landed"]),
        # a test of a model that reads the clock against a seed left out: it runs
        "test.p.dated_codes_known": _node("test.p.dated_codes_known", "test", ["model.p.dated", "seed.p.codes"]),
    }
    children: dict[str, list[str]] = {}
    for unique_id, node in nodes.items():
        for parent in node["depends_on"]["nodes"]:
            children.setdefault(parent, []).append(unique_id)
    return {
        "metadata": {"dbt_version": "1.11", "adapter_type": "duckdb"},
        "nodes": nodes,
        "sources": {
            "source.p.raw.landed": {"name": "landed", "schema": "raw", "identifier": "landed"},
            "source.p.raw.list": {"name": "list", "schema": "raw", "identifier": "list"},
        },
        "macros": {
            # a model that reads the clock through a macro of its own
            "macro.p.days_late": {"depends_on": {"macros": ["macro.cchc.local_today"]}},
            "macro.cchc.local_today": {"depends_on": {"macros": []}},
        },
        "exposures": {},
        "parent_map": {},
        "child_map": children,
    }


@pytest.fixture
def warehouse(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema raw; create schema marts; create schema reference")
    con.execute("create table raw.landed (_batch_seq bigint, v varchar)")
    con.execute("insert into raw.landed values (1, 'a'), (1, 'b')")
    con.execute("create table raw.list (code varchar, name varchar)")
    con.execute("insert into raw.list values ('X', 'one')")
    for table in ("from_landed", "from_list", "dated", "after_dated"):
        con.execute(f"create table marts.{table} (v varchar)")
    con.execute("create table reference.codes (code varchar)")
    con.close()
    return path


def _built(plan, manifest) -> set[str]:
    return {n["name"] for n in manifest["nodes"].values()} - set(plan.exclude)


VARS = {"threshold": 0.05}


def _after_build(warehouse, manifest, **kw):
    plan = plan_build(warehouse, manifest, VARS, **kw)
    record_build(warehouse, plan)
    return plan


def _sql(warehouse, sql: str) -> None:
    con = duckdb.connect(str(warehouse))
    con.execute(sql)
    con.close()


def test_a_build_leaves_out_only_what_nothing_new_reaches(warehouse):
    manifest = _manifest()
    every = {n["name"] for n in manifest["nodes"].values()}
    first = _after_build(warehouse, manifest)
    assert not first.exclude and "no complete build" in first.why

    # nothing new: only the model that reads the clock (through its macro) and what is below it
    quiet = _after_build(warehouse, manifest)
    assert _built(quiet, manifest) == {"dated", "after_dated", "dated_codes_known"}
    exclude = ["--exclude", "codes from_landed from_list unique_from_landed", "--indirect-selection", "cautious"]
    assert quiet.dbt_args() == exclude

    # a new landing batch: its model and that model's test, and the clock's
    _sql(warehouse, "insert into raw.landed values (2, 'c')")
    landed = _after_build(warehouse, manifest)
    assert _built(landed, manifest) == {"from_landed", "unique_from_landed", *_built(quiet, manifest)}
    assert "landed" in landed.why

    # a small list changed in place (no batches): what reads it
    _sql(warehouse, "update raw.list set name = 'another'")
    listed = _after_build(warehouse, manifest)
    assert _built(listed, manifest) == {"from_list", *_built(quiet, manifest)}

    # a batch that lands no new rows is not new data; a row gone is
    _sql(warehouse, "delete from raw.list")
    assert "from_list" in _built(_after_build(warehouse, manifest), manifest)

    # a failed build records nothing: the next plan still builds what the failed one had to
    _sql(warehouse, "insert into raw.landed values (3, 'd')")
    plan_build(warehouse, manifest, VARS)  # the build it planned failed
    assert "from_landed" in _built(_after_build(warehouse, manifest), manifest)

    # every reason to build everything
    changed_vars = plan_build(warehouse, manifest, {"threshold": 0.10})
    assert _built(changed_vars, manifest) == every and "changed" in changed_vars.why
    edited = copy.deepcopy(manifest)
    edited["nodes"]["model.p.from_list"]["checksum"] = "another"
    assert _built(plan_build(warehouse, edited, VARS), manifest) == every
    assert _built(plan_build(warehouse, manifest, VARS, full_refresh=True), manifest) == every
    _sql(warehouse, "alter table marts.from_list add column extra integer")
    reshaped = plan_build(warehouse, manifest, VARS)
    assert _built(reshaped, manifest) == every and "shape" in reshaped.why
    _sql(warehouse, "alter table marts.from_list drop column extra")
    _sql(warehouse, "drop table reference.codes")
    gone = plan_build(warehouse, manifest, VARS)
    assert _built(gone, manifest) == every and "shape" in gone.why


def test_the_project_print_ignores_when_and_where_dbt_parsed(warehouse):
    manifest = _manifest()
    _after_build(warehouse, manifest)
    reparsed = copy.deepcopy(manifest)
    for node in reparsed["nodes"].values():
        node["created_at"] = 2.0
        node["database"] = "another_file_name"
    reparsed["metadata"]["generated_at"] = "later"
    assert plan_build(warehouse, reparsed, VARS).exclude


def test_a_warehouse_not_made_yet_builds_everything(tmp_path):
    assert not plan_build(tmp_path / "none.duckdb", _manifest(), {}).exclude


def test_a_source_that_does_not_read_builds_everything(warehouse, tmp_path):
    """The plan is only ever a saving: a source it cannot print (here a view over a landed
    file that is gone) gives the plain build, whose own error names the problem."""
    manifest = _manifest()
    landed = tmp_path / "landed.parquet"
    _sql(warehouse, f"copy (select 1 as _batch_seq) to '{landed}'")
    _sql(warehouse, f"create view raw.zone as select * from read_parquet('{landed}')")
    manifest["sources"]["source.p.raw.zone"] = {"name": "zone", "schema": "raw", "identifier": "zone"}
    _after_build(warehouse, manifest)
    assert plan_build(warehouse, manifest, VARS).exclude  # it reads: a record can be compared
    landed.unlink()
    plan = plan_build(warehouse, manifest, VARS)
    assert not plan.exclude and "could not be printed" in plan.why


def test_the_docs_are_generated_again_for_what_they_show_not_for_new_rows(warehouse, tmp_path):
    """dbt's static docs show the project and the catalog (columns and types, no row
    counts): new rows keep the file written last; a changed description, var, column of a
    model or of a source, or a file gone has it generated again."""
    from orchestration.defs.dbt.project import docs_to_write, save_docs
    from orchestration.settings import Settings

    settings = Settings(warehouse=warehouse)
    manifest = _manifest()
    first = docs_to_write(settings, manifest)
    assert first is not None  # nothing written yet
    generated = tmp_path / "static_index.html"
    generated.write_text("<html>docs</html>")
    written = save_docs(settings, generated, first)
    assert written.read_text() == "<html>docs</html>"
    assert docs_to_write(settings, manifest) is None

    _sql(warehouse, "insert into raw.landed values (2, 'c'); insert into marts.from_landed values ('x')")
    assert docs_to_write(settings, manifest) is None  # new rows: the same docs

    described = copy.deepcopy(manifest)
    described["nodes"]["model.p.from_list"]["description"] = "Danh sách"
    assert docs_to_write(settings, described) not in (None, first)
    assert docs_to_write(settings.with_(unit_quarantine_threshold=0.5), manifest) is not None
    for change, undo in (
        ("alter table marts.dated add column extra integer", "alter table marts.dated drop column extra"),
        ("alter table raw.list add column extra integer", "alter table raw.list drop column extra"),
    ):
        _sql(warehouse, change)
        assert docs_to_write(settings, manifest) is not None, change
        _sql(warehouse, undo)
    assert docs_to_write(settings, manifest) is None
    written.unlink()
    assert docs_to_write(settings, manifest) == first


def test_dagster_dbts_invocation_folders_are_pruned_to_the_newest(tmp_path):
    """Each dbt invocation under Dagster leaves a folder in the project's target; the newest
    stay (the current one always), the others go, and nothing else in the target is touched."""
    import os

    from orchestration.defs.dbt.project import prune_targets

    folders = []
    for age in range(8):  # cchc_dbt-run0 is the newest
        folder = tmp_path / f"cchc_dbt-run{age}-abc"
        (folder / "docs").mkdir(parents=True)
        (folder / "run_results.json").write_text("{}")
        os.utime(folder, (1_000_000 - age, 1_000_000 - age))
        folders.append(folder)
    (tmp_path / "manifest.json").write_text("{}")
    (tmp_path / "other_op-run9-abc").mkdir()
    current = folders[5]  # the run in progress, older than some left by others
    assert prune_targets(current, keep=3) == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "cchc_dbt-run0-abc",
        "cchc_dbt-run1-abc",
        "cchc_dbt-run5-abc",
        "manifest.json",
        "other_op-run9-abc",
    ]


def test_docs_that_fail_say_what_dbt_said_on_the_first_line(warehouse, tmp_path, monkeypatch):
    """The run's error is one line (the first of the exception): it carries dbt's last words,
    not only that the docs failed."""
    import subprocess

    from orchestration.defs.dbt import project
    from orchestration.settings import Settings

    said = "Runtime Error\n  Catalog Error: Table with name dim_units does not exist!\n\n"
    failed = subprocess.CompletedProcess([], 2, stdout=said, stderr="")
    monkeypatch.setattr(project, "run_dbt", lambda *args, **kwargs: failed)
    with pytest.raises(RuntimeError) as raised:
        project.write_docs(Settings(warehouse=warehouse), _manifest(), tmp_path / "target")
    first = str(raised.value).splitlines()[0]
    assert first == "dbt docs generate failed: Catalog Error: Table with name dim_units does not exist!"
    assert not project.dbt_docs_path(Settings(warehouse=warehouse)).exists()  # nothing saved
