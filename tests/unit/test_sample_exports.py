"""The sample exports: the same arguments write the same bytes (so re-dropping them loads
nothing), and every file is one the readers recognise."""

from __future__ import annotations

from pathlib import Path

from connectors.exports import LAYOUTS, plan_csv, read_xlsx, sha256_of
from sandbox.exports import write_sample_exports


def _hashes(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): sha256_of(p) for p in sorted(root.rglob("*")) if p.is_file()}


def test_sample_exports_are_deterministic_and_readable(tmp_path):
    # enough collection rows for DuckDB to sort them in parallel and for a receipt written twice
    # with different content (the two copies share their row number: ties the order must break)
    first = write_sample_exports(tmp_path / "a", n_dossiers=1500, collection_rows=250_000)
    second = write_sample_exports(tmp_path / "b", n_dossiers=1500, collection_rows=250_000)
    assert _hashes(tmp_path / "a") == _hashes(tmp_path / "b")

    kinds = {}
    for folder in first:
        layouts = tuple(layout for layout in LAYOUTS if layout.folder == folder.name)
        for path in sorted(folder.iterdir()):
            if path.suffix == ".xlsx":
                _, read = read_xlsx(path, layouts, b"k")
            else:
                read = plan_csv(path, layouts, tmp_path / "work").read
            kinds[path.name] = read.layout.source
    assert sorted(set(kinds.values())) == [
        "moet.assessments",
        "moet.schools",
        "payments.collections",
        "payments.transactions",
    ]
    assert kinds["thu_hoc_phi_doi_tac_B_2024.csv"] == "payments.collections"
    assert second[0].name == "moet"
