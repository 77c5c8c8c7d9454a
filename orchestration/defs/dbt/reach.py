"""What a dbt build has to build: the nodes that what is new can reach.

A complete, successful build records in the warehouse the print of the project it built
(every model, test, seed, macro and source as dbt parsed them, the run's vars, dbt's
version) and the print of each source it read. The next build compares them:

- another project (or no record, a full refresh) builds everything;
- a warehouse whose tables of the build changed shape since (gone, or a column added,
  dropped or retyped by hand or by an older version) builds everything too;
- otherwise it builds what is downstream of a source whose print changed or of a model that
  reads the clock (``CLOCK_MACROS``), and leaves the other nodes out. Their inputs are the
  ones they were built and tested from, so building them again would write the same rows
  and pass the same tests (docs/decisions.md, "A build leaves out what nothing new reaches").

A source's print is its columns and row count, with its newest landing batch when its rows
carry one (raw is append-only, a batch lands whole, and batches are numbered in the order
they land: docs/decisions.md, "The raw zone"), else the hash of all its rows (the small
lists: batches, files, report finals).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb

from orchestration.escaping import sql_identifier

# The macros through which a model reads the clock: such a model (and what is downstream of
# it) is built every time. tests/unit/test_conventions.py checks that the clock is read
# nowhere else in the project.
CLOCK_MACROS = frozenset({"macro.cchc.local_today"})
# Where the warehouse keeps the record of its last complete build.
STATE_SCHEMA, STATE_TABLE = "pipeline", "dbt_build"
MATERIALIZED = ("model", "seed")  # the node kinds a build makes a table or view of
BUILT = (*MATERIALIZED, "test")  # the node kinds a build runs (unit tests are left out apart)
BATCH_COLUMN = "_batch_seq"
# What a node's entry in the manifest holds that is not the project: when dbt parsed it, the
# warehouse's catalog name (the file's name, as the profile attaches it), and what a command
# that compiles adds (it follows from the rest)
_VOLATILE = frozenset(
    {
        "created_at",
        "database",
        "relation_name",
        "compiled",
        "compiled_code",
        "compiled_path",
        "extra_ctes",
        "extra_ctes_injected",
    }
)


@dataclass(frozen=True)
class BuildPlan:
    """What a build runs: every node, or every node but those ``left_out``."""

    project: str  # the project's print
    sources: dict[str, str]  # each source's print, taken before the build
    relations: frozenset[tuple[str, str]] = frozenset()  # (schema, name) of what the project makes
    left_out: dict[str, str] = field(default_factory=dict)  # the nodes left out: unique id to name
    why: str = "everything"  # in words, for the run log
    total: int = 0  # the nodes of the project

    @property
    def exclude(self) -> tuple[str, ...]:
        """The nodes left out by name, as dbt's ``--exclude`` takes them."""
        return tuple(sorted(self.left_out.values()))

    def dbt_args(self) -> list[str]:
        # one argument, names apart by spaces: as dbt reads it and as dagster-dbt passes it on.
        # Every test left out is named, and "cautious" keeps dbt from also leaving out a test
        # that has one parent left out ("eager", dbt's default, would: a test of a rebuilt
        # model against a seed that was not rebuilt would not run)
        if not self.exclude:
            return []
        return ["--exclude", " ".join(self.exclude), "--indirect-selection", "cautious"]

    def describe(self) -> str:
        if not self.exclude:
            return f"building every node ({self.why})"
        return f"building {self.total - len(self.exclude)} of {self.total} nodes ({self.why})"


def project_print(manifest: dict, dbt_vars: dict) -> str:
    """The print of what dbt parsed: nodes, sources, macros and their links, the vars of the
    run and dbt's version. It changes with any file of the project (a model, a test, a seed,
    a description), with the vars and with dbt."""
    digest = hashlib.sha256()
    meta = manifest.get("metadata", {})
    digest.update(json.dumps([meta.get("dbt_version"), meta.get("adapter_type"), dbt_vars], sort_keys=True).encode())
    for part in ("nodes", "sources", "macros", "exposures", "parent_map"):
        items = manifest.get(part, {})
        for key in sorted(items):
            value = items[key]
            if isinstance(value, dict):
                value = {k: v for k, v in value.items() if k not in _VOLATILE}
            digest.update(key.encode())
            digest.update(json.dumps(value, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def source_prints(con: duckdb.DuckDBPyConnection, manifest: dict) -> dict[str, str]:
    """Each dbt source's print (its unique id to a digest); a relation that is not there
    prints as ``missing``."""
    prints = {}
    for unique_id, source in sorted(manifest.get("sources", {}).items()):
        schema, table = source["schema"], source.get("identifier") or source["name"]
        columns = [
            r[0]
            for r in con.execute(
                "select column_name from information_schema.columns "
                "where table_catalog = current_database() and table_schema = ? and table_name = ? "
                "order by ordinal_position",
                [schema, table],
            ).fetchall()
        ]
        if not columns:
            prints[unique_id] = "missing"
            continue
        relation = f"{sql_identifier(schema)}.{sql_identifier(table)}"
        if BATCH_COLUMN in columns:
            rows = con.execute(f"select count(*), max({BATCH_COLUMN}) from {relation}").fetchone()
        else:
            rows = con.execute(f"select count(*), sum(hash(t)) from {relation} as t").fetchone()
        prints[unique_id] = hashlib.sha256(json.dumps([columns, [str(v) for v in rows]]).encode()).hexdigest()
    return prints


def relations(manifest: dict) -> frozenset[tuple[str, str]]:
    """(schema, name) of every table and view the project makes."""
    return frozenset(
        (n["schema"], n.get("alias") or n["name"])
        for n in manifest["nodes"].values()
        if n["resource_type"] in MATERIALIZED
    )


def relations_print(con: duckdb.DuckDBPyConnection, built: frozenset[tuple[str, str]]) -> str:
    """The print of the shape (columns and their types) of the tables and views ``built``, as
    the warehouse holds them now: a relation gone changes it too."""
    rows = con.execute(
        "select table_schema, table_name, column_name, data_type from information_schema.columns "
        "where table_catalog = current_database() order by all"
    ).fetchall()
    return hashlib.sha256(json.dumps([r for r in rows if (r[0], r[1]) in built]).encode()).hexdigest()


def docs_print(warehouse: Path, manifest: dict, dbt_vars: dict) -> str:
    """The print of what dbt's static docs of this warehouse show: the project as parsed
    (descriptions, SQL, lineage: ``project_print``) and the catalog, which for DuckDB is the
    columns and types of every table, view and source the project names (no row counts or
    other statistics). New rows change neither."""
    catalogued = relations(manifest) | {
        (s["schema"], s.get("identifier") or s["name"]) for s in manifest.get("sources", {}).values()
    }
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        shape = relations_print(con, frozenset(catalogued))
    finally:
        con.close()
    return hashlib.sha256(f"{project_print(manifest, dbt_vars)} {shape}".encode()).hexdigest()


def reads_clock(manifest: dict) -> set[str]:
    """The nodes that call a clock macro, directly or through other macros."""
    macros = manifest.get("macros", {})
    clock = set(CLOCK_MACROS)
    grew = True
    while grew:  # the macros that call a clock macro, to any depth
        more = {m for m, spec in macros.items() if m not in clock and clock & set(spec["depends_on"]["macros"])}
        clock |= more
        grew = bool(more)
    return {u for u, n in manifest["nodes"].items() if clock & set(n.get("depends_on", {}).get("macros", []))}


def downstream(manifest: dict, starts: Iterable[str]) -> set[str]:
    """``starts`` and every node below them (dbt's child map)."""
    children = manifest.get("child_map", {})
    seen: set[str] = set()
    todo = list(starts)
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(children.get(node, []))
    return seen


def plan_build(warehouse: Path, manifest: dict, dbt_vars: dict, *, full_refresh: bool = False) -> BuildPlan:
    """The build this warehouse needs now (see the module's docstring)."""
    project = project_print(manifest, dbt_vars)
    built = {u: n for u, n in manifest["nodes"].items() if n["resource_type"] in BUILT}
    everything = BuildPlan(project=project, sources={}, relations=relations(manifest), total=len(built))
    if not Path(warehouse).exists():
        return everything
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error as error:  # held by another process: dbt will say so itself
        return replace(everything, why=f"the warehouse could not be read: {_first_line(error)}")
    try:
        try:
            sources = source_prints(con, manifest)
        except duckdb.Error as error:  # a source that does not read: dbt's build will say why
            return replace(everything, why=f"a source could not be printed: {_first_line(error)}")
        plan = replace(everything, sources=sources)
        if full_refresh:
            return replace(plan, why="a full refresh")
        last = _last_build(con)
        if last is None:
            return replace(plan, why="no complete build recorded in this warehouse")
        if last[0] != project:
            return replace(plan, why="the project, its vars or dbt changed since the last build")
        if last[2] != relations_print(con, plan.relations):
            return replace(plan, why="a table of the build changed shape since it was built")
        changed = sorted(s for s, p in sources.items() if last[1].get(s) != p)
        reached = downstream(manifest, [*changed, *reads_clock(manifest)])
        left_out = {u: n for u, n in built.items() if u not in reached}
        if not left_out:
            return replace(plan, why="new data reaches every node")
        names = {n["name"] for n in left_out.values()}
        if any(n["name"] in names for u, n in built.items() if u in reached):
            return replace(plan, why="a node left out shares its name with one built")
        said = ", ".join(manifest["sources"][s]["name"] for s in changed) or "none"
        return replace(
            plan, left_out={u: left_out[u]["name"] for u in sorted(left_out)}, why=f"sources with new data: {said}"
        )
    finally:
        con.close()


def record_build(warehouse: Path, plan: BuildPlan) -> None:
    """After a build of ``plan`` that succeeded: what it was built from, and the shape of
    what it built, for the next plan."""
    if not plan.sources:
        return  # no warehouse when it was planned
    con = duckdb.connect(str(warehouse))
    try:
        con.execute(f"create schema if not exists {STATE_SCHEMA}")
        con.execute(
            f"create table if not exists {STATE_SCHEMA}.{STATE_TABLE} (project varchar not null, "
            "sources varchar not null, relations varchar not null, recorded_at timestamp not null)"
        )
        con.execute("begin transaction")
        con.execute(f"delete from {STATE_SCHEMA}.{STATE_TABLE}")
        con.execute(
            f"insert into {STATE_SCHEMA}.{STATE_TABLE} values (?, ?, ?, current_localtimestamp())",
            [plan.project, json.dumps(plan.sources, sort_keys=True), relations_print(con, plan.relations)],
        )
        con.execute("commit")
    finally:
        con.close()


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:200]


def _state_exists(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_catalog = current_database() "
            "and table_schema = ? and table_name = ?",
            [STATE_SCHEMA, STATE_TABLE],
        ).fetchone()[0]
    )


def _last_build(con: duckdb.DuckDBPyConnection) -> tuple[str, dict[str, str], str] | None:
    if not _state_exists(con):
        return None
    row = con.execute(f"select project, sources, relations from {STATE_SCHEMA}.{STATE_TABLE}").fetchone()
    return (row[0], json.loads(row[1]), row[2]) if row else None
