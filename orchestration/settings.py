"""Configuration from the environment (and a ``.env`` file), with documented defaults.

Every knob is listed in README.md "Configuration". Secrets (the portal's client secret and
the hashing key) are read here and nowhere else, and are never printed: ``Settings``'s
``repr`` hides them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from datetime import date, timedelta
from pathlib import Path

from connectors.exports.layouts import LAYOUTS

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEMO_HASH_KEY = "cchc-demo-key-not-for-production"


def load_dotenv(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of a .env file (comments and blanks ignored; quotes stripped)."""
    out: dict[str, str] = {}
    if not path.is_file():
        return out
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        out[key.strip().removeprefix("export ").strip()] = value.strip().strip("'\"")
    return out


@dataclass(frozen=True)
class Settings:
    portal_url: str = "http://127.0.0.1:8765"
    portal_client_id: str = ""
    portal_client_secret: str = field(default="", repr=False)
    portal_page_size: int = 1000
    portal_overlap_minutes: int = 60
    portal_time_budget_seconds: float = 3600.0
    portal_stall_seconds: float = 30.0
    portal_response_seconds: float = 120.0
    moet_dir: Path | None = None
    payments_dir: Path | None = None
    forms_dir: Path | None = None
    warehouse: Path = PROJECT_DIR / "data" / "warehouse.duckdb"
    publish_dir: Path = PROJECT_DIR / "data" / "published"
    serving_url: str = field(default="", repr=False)  # may hold the writer's password
    serving_reader_role: str = "cchc_reader"
    serving_reader_password: str = field(default="", repr=False)
    serving_timeout_seconds: float = 10.0
    hash_key: str = field(default="", repr=False)
    start_date: date = date(2020, 1, 1)
    department_name: str = "Sở Giáo dục và Đào tạo"
    agency_code: str = "000.00.20.H12"
    report_signatory: str = "Giám đốc"
    parent_body: str = "Ủy ban nhân dân tỉnh"
    report_place: str = "……"
    report_number: str = "……/BC-SGDĐT"
    report_signer_name: str = ""  # the signer's name under the signature (blank: signed by hand)
    # the report's "Nơi nhận" block, entries separated by ";"
    report_recipients: str = "UBND tỉnh (để b/c);Sở Nội vụ (để t/h);Giám đốc, các Phó Giám đốc Sở;Lưu: VT, VP"
    unit_quarantine_threshold: float = 0.05
    source_quarantine_threshold: float = 0.20
    duckdb_memory_limit: str = "2.5GB"
    duckdb_threads: int = 2
    batch_rows: int = 50_000
    file_stable_seconds: float = 60.0
    xlsx_max_mb: int = 512
    xlsx_max_cells: int = 20_000_000
    xlsx_max_seconds: float = 300.0
    xlsx_max_memory_mb: int = 2048
    run_lock_wait_seconds: float = 0.0

    ENV = {
        "portal_url": "CCHC_PORTAL_URL",
        "portal_client_id": "CCHC_PORTAL_CLIENT_ID",
        "portal_client_secret": "CCHC_PORTAL_CLIENT_SECRET",
        "portal_page_size": "CCHC_PORTAL_PAGE_SIZE",
        "portal_overlap_minutes": "CCHC_PORTAL_OVERLAP_MINUTES",
        "portal_time_budget_seconds": "CCHC_PORTAL_TIME_BUDGET_SECONDS",
        "portal_stall_seconds": "CCHC_PORTAL_STALL_SECONDS",
        "portal_response_seconds": "CCHC_PORTAL_RESPONSE_SECONDS",
        "moet_dir": "CCHC_MOET_DIR",
        "payments_dir": "CCHC_PAYMENTS_DIR",
        "forms_dir": "CCHC_FORMS_DIR",
        "warehouse": "CCHC_WAREHOUSE",
        "publish_dir": "CCHC_PUBLISH_DIR",
        "serving_url": "CCHC_SERVING_URL",
        "serving_reader_role": "CCHC_SERVING_READER_ROLE",
        "serving_reader_password": "CCHC_SERVING_READER_PASSWORD",
        "serving_timeout_seconds": "CCHC_SERVING_TIMEOUT_SECONDS",
        "hash_key": "CCHC_HASH_KEY",
        "start_date": "CCHC_START_DATE",
        "department_name": "CCHC_DEPARTMENT_NAME",
        "agency_code": "CCHC_AGENCY_CODE",
        "report_signatory": "CCHC_REPORT_SIGNATORY",
        "parent_body": "CCHC_PARENT_BODY",
        "report_place": "CCHC_REPORT_PLACE",
        "report_number": "CCHC_REPORT_NUMBER",
        "report_signer_name": "CCHC_REPORT_SIGNER_NAME",
        "report_recipients": "CCHC_REPORT_RECIPIENTS",
        "unit_quarantine_threshold": "CCHC_UNIT_QUARANTINE_THRESHOLD",
        "source_quarantine_threshold": "CCHC_SOURCE_QUARANTINE_THRESHOLD",
        "duckdb_memory_limit": "CCHC_DUCKDB_MEMORY_LIMIT",
        "duckdb_threads": "CCHC_DUCKDB_THREADS",
        "batch_rows": "CCHC_BATCH_ROWS",
        "file_stable_seconds": "CCHC_FILE_STABLE_SECONDS",
        "xlsx_max_mb": "CCHC_XLSX_MAX_MB",
        "xlsx_max_cells": "CCHC_XLSX_MAX_CELLS",
        "xlsx_max_seconds": "CCHC_XLSX_MAX_SECONDS",
        "xlsx_max_memory_mb": "CCHC_XLSX_MAX_MEMORY_MB",
        "run_lock_wait_seconds": "CCHC_RUN_LOCK_WAIT_SECONDS",
    }

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        if env is None:
            env = {**load_dotenv(Path.cwd() / ".env"), **os.environ}
        values = {}
        for f in fields(cls):
            name = cls.ENV.get(f.name)
            raw = env.get(name) if name else None
            if raw is None or raw == "":
                continue
            values[f.name] = _convert(f.name, raw)
        return cls(**values)

    def with_(self, **changes) -> Settings:
        return replace(self, **changes)

    @property
    def quality_dir(self) -> Path:
        """Where Great Expectations keeps its results and Data Docs (beside the warehouse)."""
        return Path(self.warehouse).parent / "quality"

    @property
    def overlap(self) -> timedelta:
        return timedelta(minutes=self.portal_overlap_minutes)


# The drop folders' settings, one per folder the layouts name (connectors.exports.LAYOUTS):
# a folder ``x`` is configured by the field ``x_dir`` (environment CCHC_X_DIR).
DROP_FOLDER_FIELDS = tuple(dict.fromkeys(f"{layout.folder}_dir" for layout in LAYOUTS))
PATH_FIELDS = (*DROP_FOLDER_FIELDS, "warehouse", "publish_dir")
# The secrets: the fields ``Settings`` keeps out of its repr.
SECRET_FIELDS = tuple(f.name for f in fields(Settings) if not f.repr)


def _convert(name: str, raw: str):
    if name in PATH_FIELDS:
        return Path(raw).expanduser()
    if name == "start_date":
        return date.fromisoformat(raw)
    if name == "portal_page_size":
        value = _whole(name, raw)
        if not 1 <= value <= 1000:
            raise ValueError(f"{Settings.ENV[name]} must be from 1 to 1000 (the contract's largest page), got {raw!r}")
        return value
    if name in (
        "portal_overlap_minutes",
        "duckdb_threads",
        "batch_rows",
        "xlsx_max_mb",
        "xlsx_max_cells",
        "xlsx_max_memory_mb",
    ):
        return _whole(name, raw)
    if name in ("file_stable_seconds", "run_lock_wait_seconds"):
        return _seconds(name, raw, zero_ok=True)
    if name in (
        "portal_time_budget_seconds",
        "portal_stall_seconds",
        "portal_response_seconds",
        "xlsx_max_seconds",
        "serving_timeout_seconds",
    ):
        return _seconds(name, raw, zero_ok=False)
    if name in ("unit_quarantine_threshold", "source_quarantine_threshold"):
        value = float(raw)
        if not 0 <= value <= 1:
            raise ValueError(f"{Settings.ENV[name]} must be a share between 0 and 1, got {raw!r}")
        return value
    return raw


def _whole(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{Settings.ENV[name]} must be a whole number, got {raw!r}") from None


def _seconds(name: str, raw: str, zero_ok: bool) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not (value >= 0 if zero_ok else value > 0) or value == float("inf"):
        raise ValueError(
            f"{Settings.ENV[name]} must be a number of seconds{', 0 or more' if zero_ok else ' above 0'}, got {raw!r}"
        )
    return value
