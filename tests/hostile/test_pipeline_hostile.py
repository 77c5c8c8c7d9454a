"""The whole pipeline on hostile sources: a portal (a real HTTP server) sending injected
text, wrong types and odd shapes, and drop folders holding symlinks, crafted workbooks,
empty files and a file name with a line break. One run; every case is asserted on what it
published, logged and kept."""

from __future__ import annotations

import logging
import os
import re
import zipfile
from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration.runner import run_pipeline
from orchestration.settings import Settings
from tests.crafted import PROCEDURES, U1, dossier
from tests.hostile.server import CLIENT_ID, CLIENT_SECRET, HostilePortal, HostileState

PERSONAL = {
    "ChuHoSo": "Ngô Bảo Mật",
    "SoGiayToChuHoSo": "001122334455",
    "SoDienThoai": "0987654321",
    "Email": "mat@example.vn",
    "DiaChi": "Số 1 Đường Bí Mật",
}
FORMULA = '=HYPERLINK("http://evil.example/x","bấm vào đây")'
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"
FORGED = "bad\nINFO forged line.csv"
UNIT_RE = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,63}")


def received(day: int, **fields) -> dict:
    ts = f"202403{day:02d}"
    return {"NgayNopHoSo": f"{ts}080000", "NgayTiepNhan": f"{ts}090000", "NgayCapNhat": f"{ts}100000", **fields}


def hostile_dossiers() -> list:
    good = [dossier(f"G{i:03d}", **received(1 + i % 20)) for i in range(40)]
    bad = [
        dossier("H-ESC", DonViXuLy="../../../../escape-unit", **received(21)),
        dossier("H-SLASH", DonViXuLy="a/b", **received(21)),
        dossier(FORMULA, KenhThucHien="9", **received(22)),
        dossier("H-NAME", TenTTHC=FORMULA, **received(22)),
        dossier("H-SCRIPT", KenhThucHien=SCRIPT, **received(23)),
        dossier("H-IMG", TrangThaiHoSo=IMG, **received(23)),
        dossier("H-NUM", **{**received(24), "KenhThucHien": 2}),
        dossier("H-OBJ", **{**received(24), "DonViXuLy": {"ma": U1}}),
        dossier("H-TAI", **{**received(25), "TaiLieuNop": {"MaThanhPhanHoSo": "x"}}),
        dossier("H-DATE", **{**received(25), "NgayTiepNhan": 20240325090000}),
        [dossier("H-ARR", **PERSONAL, **received(26))],
        {"HoSo": dossier("H-WRAP", **PERSONAL, **received(26)), "Email": PERSONAL["Email"]},
    ]
    return good + bad


COLLECTION_HEADER = "Mã trường,Mã học sinh,Năm học,Khoản thu,Số tiền,Hình thức thanh toán,Ngày thu,Số biên lai\n"


def workbook_with_far_cell(path: Path, keep_dimension: bool) -> None:
    """A 5 KB workbook whose cells A1 and XFD1048576 span 17 billion cells."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.active["A1"], wb.active["XFD1048576"] = "Mã trường", "x"
    wb.save(path)
    if keep_dimension:
        return
    with zipfile.ZipFile(path) as src:
        items = [(i.filename, src.read(i.filename)) for i in src.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in items:
            out.writestr(name, re.sub(rb"<dimension[^>]*/>", b"", data) if "worksheets" in name else data)


def hostile_drop_folders(root: Path) -> tuple[Path, Path]:
    moet, payments = root / "moet", root / "payments"
    moet.mkdir()
    payments.mkdir()
    (payments / "thu_2024.csv").write_text(
        COLLECTION_HEADER + "../../../../escape-school,HS1,2023-2024,Học phí,100000,Tiền mặt,05/09/2023,BL1\n",
        encoding="utf-8",
    )
    (payments / FORGED).write_text("not an export\n", encoding="utf-8")
    outside = root / "outside.csv"
    outside.write_text(
        COLLECTION_HEADER + "S-OUT,HS2,2023-2024,Học phí,100000,Tiền mặt,05/09/2023,BL9\n", encoding="utf-8"
    )
    os.symlink("/etc/passwd", payments / "passwd.csv")
    os.symlink(outside, payments / "outside.csv")
    os.symlink(root, payments / "loop")
    os.mkfifo(payments / "pipe.csv")
    (payments / "empty.csv").write_bytes(b"")
    (payments / "empty.xlsx").write_bytes(b"")
    workbook_with_far_cell(payments / "far_declared.xlsx", keep_dimension=True)
    workbook_with_far_cell(payments / "far_cells.xlsx", keep_dimension=False)
    return moet, payments


class Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    state = HostileState()
    odd_procedure = {**PROCEDURES[0], "MaTTHC": "9.000001", "MucDo": 4, "CoQuanThucHien": {"ma": U1}}
    state.records.update({"thu-tuc": [*PROCEDURES, odd_procedure], "ho-so": hostile_dossiers(), "danh-gia": []})
    portal = HostilePortal(state).start()
    moet, payments = hostile_drop_folders(root)
    settings = Settings(
        portal_url=portal.url,
        portal_client_id=CLIENT_ID,
        portal_client_secret=CLIENT_SECRET,
        warehouse=root / "work" / "warehouse.duckdb",
        publish_dir=root / "published",
        hash_key="hostile-key",
        start_date=date(2024, 1, 1),
        moet_dir=moet,
        payments_dir=payments,
        unit_quarantine_threshold=1.0,
        source_quarantine_threshold=1.0,
        duckdb_memory_limit="1GB",
        file_stable_seconds=0.0,
    )
    capture = Capture()
    logging.getLogger().addHandler(capture)
    try:
        ok = run_pipeline(settings)
    finally:
        logging.getLogger().removeHandler(capture)
        portal.stop()
    return settings, ok, capture.messages, root


def published(settings, sql):
    con = duckdb.connect(str(Path(settings.publish_dir) / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def quarantined(settings) -> dict[str, tuple]:
    return {
        key: (unit, codes)
        for key, unit, codes in published(settings, "select record_key, unit_code, reason_codes from marts.quarantine")
    }


def test_the_run_publishes(hostile_run):
    settings, ok, _, _ = hostile_run
    assert ok, "one bad record or file must never block the publication"


def test_codes_from_data_never_become_paths(hostile_run):
    settings, _, _, root = hostile_run
    publish_dir = Path(settings.publish_dir).resolve()
    stray = [p for p in root.rglob("*.xlsx") if publish_dir not in p.resolve().parents and "payments" not in p.parts]
    assert stray == []
    assert not any("escape" in p.name for p in root.rglob("*") if p.parent.name != "feedback")
    feedback = publish_dir / "feedback"
    for path in feedback.iterdir():
        assert path.resolve().parent == feedback.resolve()
        assert UNIT_RE.fullmatch(path.stem) or path.stem.startswith("_")
    q = quarantined(settings)
    assert q["H-ESC"] == ("UNKNOWN", "unit_code_invalid")
    assert q["H-SLASH"] == ("UNKNOWN", "unit_code_invalid")
    school_row = next(v for k, v in q.items() if k.endswith("thu_2024.csv!#2"))
    assert school_row == ("UNKNOWN", "school_code_invalid")
    units = {u for (u,) in published(settings, "select distinct unit_code from marts.kpi_scorecard")}
    assert all(u == "ALL" or UNIT_RE.fullmatch(u) for u in units), units


def test_fields_that_are_not_text_are_quarantined(hostile_run):
    settings, _, _, _ = hostile_run
    q = quarantined(settings)
    for key in ("H-NUM", "H-OBJ", "H-TAI", "H-DATE"):
        assert "field_not_text" in q[key][1].split(";"), (key, q[key])
    assert not any("{" in u for (u,) in published(settings, "select distinct unit_code from marts.kpi_scorecard"))
    # a record that is not an object is quarantined by its shape
    shapes = published(settings, "select reason_code from marts.quarantine where record like '[%'")
    assert shapes and {r for (r,) in shapes} == {"record_not_object"}


def test_a_catalogue_field_that_is_not_text_reads_as_missing(hostile_run):
    settings, _, _, _ = hostile_run
    rows = published(settings, "select muc_do, unit_code from marts.dim_procedures where ma_tthc = '9.000001'")
    assert rows == [(None, "UNKNOWN")]  # not MucDo '4', not a unit named {"ma": …}


def _all_text_of(settings, root: Path) -> str:
    """Everything a person or a program could read: the published marts (every text
    column), the workbooks' XML, the HTML pages and the working warehouse's raw payloads."""
    parts = []
    con = duckdb.connect(str(Path(settings.publish_dir) / "warehouse.duckdb"), read_only=True)
    try:
        for (table,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall():
            parts.append(
                con.execute(f'select cast(to_json(list(t)) as varchar) from marts."{table}" as t').fetchone()[0] or ""
            )
    finally:
        con.close()
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        parts.append(con.execute("select string_agg(payload, ' ') from raw.portal_dossiers").fetchone()[0])
    finally:
        con.close()
    release = Path(settings.publish_dir) / "current"
    for path in release.rglob("*"):
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as z:
                parts += [z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml")]
        elif path.suffix in (".html", ".json"):
            parts.append(path.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(parts)


def test_personal_data_is_removed_wherever_it_sits(hostile_run):
    settings, _, messages, root = hostile_run
    text = _all_text_of(settings, root) + "\n".join(messages)
    for name, value in PERSONAL.items():
        assert value not in text, f"{name} leaked"


def test_formulas_from_sources_stay_text_in_every_workbook(hostile_run):
    settings, _, _, _ = hostile_run
    release = Path(settings.publish_dir) / "current"
    workbooks = list((release / "feedback").glob("*.xlsx")) + list((release / "reports").glob("*.xlsx"))
    assert workbooks
    seen_formula_text = False
    for path in workbooks:
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                if name.startswith("xl/worksheets/"):
                    xml = z.read(name).decode("utf-8")
                    assert "<f>" not in xml and "<f " not in xml, (path.name, name)
                    seen_formula_text |= "HYPERLINK(" in xml
    assert seen_formula_text, "the injected text must still be shown, as text"


def test_published_html_escapes_source_text(hostile_run):
    settings, _, _, _ = hostile_run
    release = Path(settings.publish_dir) / "current"
    pages = list(release.rglob("*.html"))
    assert any("data_docs" in p.parts for p in pages)
    for page in pages:
        html = page.read_text(encoding="utf-8", errors="replace")
        assert SCRIPT not in html and IMG not in html, page
    docs = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in pages if "data_docs" in p.parts)
    assert "alert(1)" in docs, "the injected value is shown escaped, not dropped"


def test_file_names_cannot_forge_log_lines(hostile_run):
    _, _, messages, _ = hostile_run
    mentioning = [m for m in messages if "forged" in m]
    assert mentioning, "the rejected file is reported"
    assert all("\n" not in m for m in mentioning)
    assert any("bad\\nINFO forged line.csv" in m for m in mentioning)


def test_symlinks_and_special_files_are_skipped_and_said(hostile_run):
    settings, _, messages, _ = hostile_run
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        paths = {p for (p,) in con.execute("select path from raw.files").fetchall()}
        landed = con.execute("select count(*) from raw.school_collections where ma_truong = 'S-OUT'").fetchone()[0]
    finally:
        con.close()
    assert not paths & {"passwd.csv", "outside.csv", "pipe.csv"} and not any(p.startswith("loop/") for p in paths)
    assert landed == 0
    said = "\n".join(messages)
    for name in ("passwd.csv", "outside.csv", "loop", "pipe.csv"):
        assert f'"{name}"' in said


def test_empty_files_of_two_kinds_are_two_rejected_files(hostile_run):
    settings, _, _, _ = hostile_run
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        rows = con.execute("select path, kind, status from raw.files where path like 'empty.%' order by 1").fetchall()
    finally:
        con.close()
    assert rows == [("empty.csv", "csv", "rejected"), ("empty.xlsx", "xlsx", "rejected")]
    listed = {k for k, _ in quarantined(settings).items() if "empty." in k}
    assert len(listed) == 2


def test_workbooks_past_their_bounds_are_rejected_not_fatal(hostile_run):
    settings, ok, _, _ = hostile_run
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        rows = dict(con.execute("select path, reason_code from raw.files where path like 'far_%'").fetchall())
    finally:
        con.close()
    assert rows == {"far_declared.xlsx": "workbook_too_large", "far_cells.xlsx": "workbook_too_large"}
    assert ok
    reasons = published(settings, "select reason_vi from marts.quarantine where reason_code = 'workbook_too_large'")
    assert len(reasons) == 2 and all(r[0] for r in reasons)
