"""The conventions of DESIGN.md that a grep can hold: layers flow one way, every source is
declared once, every reason code the SQL or a reader can give has its Vietnamese wording."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import yaml

from connectors.exports import LAYOUTS

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "dbt_project" / "models"


def sql_of(layer: str) -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in (MODELS / layer).rglob("*.sql")}


def test_only_staging_reads_sources():
    for layer in ("intermediate", "marts"):
        for name, sql in sql_of(layer).items():
            assert "source(" not in sql, f"{layer}/{name} reads a source: give it a staging model"


def test_intermediate_models_never_read_marts():
    marts = set(sql_of("marts"))
    for name, sql in sql_of("intermediate").items():
        refs = set(re.findall(r"ref\('([a-z0-9_]+)'\)", sql))
        assert not refs & marts, f"intermediate/{name} reads marts {refs & marts}"


def test_every_staging_and_intermediate_model_has_its_yml():
    described = set()
    for yml in MODELS.rglob("*.yml"):
        described |= {m["name"] for m in (yaml.safe_load(yml.read_text()) or {}).get("models", [])}
    for layer in ("staging", "intermediate"):
        missing = set(sql_of(layer)) - described
        assert not missing, f"{layer} models without a description: {sorted(missing)}"


def test_no_not_null_test_where_the_contract_already_refuses_a_null():
    """A column whose enforced contract says not_null is created NOT NULL: a null fails the
    model's build before any data test runs, so a not_null data test on it could never fail
    (and cost a node of every build)."""
    redundant = []
    for yml in MODELS.rglob("*.yml"):
        for model in (yaml.safe_load(yml.read_text()) or {}).get("models", []):
            if not model.get("config", {}).get("contract", {}).get("enforced"):
                continue
            for column in model.get("columns", []):
                constrained = any(c.get("type") == "not_null" for c in column.get("constraints", []))
                tests = [t if isinstance(t, str) else next(iter(t)) for t in column.get("data_tests", [])]
                if constrained and "not_null" in tests:
                    redundant.append(f"{model['name']}.{column['name']}")
    assert not redundant, f"not_null data tests the contract makes moot: {redundant}"


def test_file_sources_are_declared_once_and_complete():
    sources = yaml.safe_load((MODELS / "staging" / "files" / "_files__sources.yml").read_text())
    tables = {t["name"] for s in sources["sources"] for t in s["tables"]} - {"files"}
    assert tables == {layout.table for layout in LAYOUTS}
    for layout in LAYOUTS:
        checked = (MODELS / "intermediate" / f"{layout.checked}.sql").read_text()
        for column in ("set_aside_reason", "reason_codes"):
            assert column in checked, (layout.checked, column)


def test_every_reason_code_has_its_vietnamese_wording():
    with open(ROOT / "dbt_project" / "seeds" / "quarantine_reasons.csv", encoding="utf-8") as f:
        worded = {row["reason_code"] for row in csv.DictReader(f)}
    sql = "\n".join(p.read_text(encoding="utf-8") for p in MODELS.rglob("*.sql"))
    # row rules and warnings are written `case when … then '<code>' end` on one line
    used = set(re.findall(r"then '([a-z0-9_]+)' end(?!\)? as set_aside_reason)", sql))
    # the file readers' reasons (UnreadableFile("<code>", …))
    python = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "connectors").glob("*.py"))
    python += (ROOT / "orchestration" / "intake.py").read_text(encoding="utf-8")
    used |= set(re.findall(r'UnreadableFile\(\s*"([a-z0-9_]+)"', python))
    assert len(used) > 30
    assert used <= worded, f"codes without a wording in quarantine_reasons.csv: {sorted(used - worded)}"


def test_the_docs_stand_alone_and_their_commands_run_as_written():
    """README, CONTRIBUTING and docs/ link only inside the repository (a user's clone has
    nothing beside it, the department's network no internet), every link resolves, and a command is `make …` or goes
    through `python3 -m uv` (uv need not be on PATH: the Makefile installs it as a module)."""
    pages = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "../shared" not in text, page.name
        for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text):
            assert not target.startswith(("http://", "https://")), (page.name, target)
            assert (page.parent / target).resolve().is_relative_to(ROOT), (page.name, target)
            assert (page.parent / target).exists(), (page.name, target)
        for command in re.findall(r"^\s*(?:\| `)?(uv run[^`|]*)", text, re.M):
            raise AssertionError(f"{page.name}: `{command.strip()}` needs uv on PATH: write `python3 -m uv run …`")


def test_dbt_never_sends_usage_events_however_it_is_started():
    """dbt Labs' anonymous usage events go to another host: the project turns them off itself
    (no environment variable needed), for make, `cchc run`, Dagster and a bare `dbt` alike."""
    project = yaml.safe_load((ROOT / "dbt_project" / "dbt_project.yml").read_text(encoding="utf-8"))
    assert project["flags"]["send_anonymous_usage_stats"] is False


def test_the_clock_is_read_only_through_the_clock_macros():
    """A build leaves out the nodes nothing new reaches (orchestration/defs/dbt/reach.py), but
    never one that reads the clock: it finds them through the macros of ``CLOCK_MACROS``, so
    the project reads the clock nowhere else."""
    from orchestration.defs.dbt.reach import CLOCK_MACROS

    clock = re.compile(r"current_(date|timestamp|time|localtimestamp)|\bnow\s*\(|\btoday\s*\(|get_current_time", re.I)
    allowed = {name.removeprefix("macro.cchc.") for name in CLOCK_MACROS}
    project = ROOT / "dbt_project"
    for folder in ("models", "macros", "tests", "snapshots", "analyses"):
        for path in (project / folder).rglob("*.sql"):
            text = path.read_text(encoding="utf-8")
            # a macro file: each macro's body apart, so a clock macro may read the clock
            for name, body in re.findall(r"{%-?\s*macro\s+(\w+)(.*?){%-?\s*endmacro", text, re.S) or [("", text)]:
                reads = clock.search(body)
                plain = name.removeprefix("default__").removeprefix("duckdb__")
                assert not reads or plain in allowed, (
                    f"{path.relative_to(project)} {name}: reads the clock ({reads[0]})"
                )
