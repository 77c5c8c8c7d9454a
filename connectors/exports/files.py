"""What a reader learns about a file beside its rows (``FileRead``), the error it raises
for a file it cannot read (``UnreadableFile``, with a reason code for the quarantine), a
file's identity (its SHA-256) and the names of the readers' files in the work folder."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from connectors.exports.layouts import Layout


class UnreadableFile(Exception):
    """A file the readers cannot turn into rows; the message says why (for the quarantine)."""

    def __init__(self, reason_code: str, message: str, about: dict | None = None):
        super().__init__(message)
        self.reason_code = reason_code
        # what could still be read of a rejected file (a form's unit and period), so that
        # the file is counted where it belongs (DOMAIN.md 7: a rejected form)
        self.about = about or {}


@dataclass
class FileRead:
    """What a reader learnt about a file, beside its rows."""

    layout: Layout
    sheets: list[str] = field(default_factory=list)
    header_row: int = 0  # physical row (1-based) of the header's last row
    rows_read: int = 0  # data rows handed on for landing
    rows_blank: int = 0  # empty rows inside the data (not records)
    rows_footer: int = 0  # totals and signature rows below the data
    encoding: str | None = None
    delimiter: str | None = None
    as_of: date | None = None
    notes: list[str] = field(default_factory=list)


# How a dropped file is read, by its suffix; anything else is a rejected file ("other").
FILE_KINDS = {"xlsx": (".xlsx", ".xlsm"), "csv": (".csv", ".txt")}


def file_kind(path: Path) -> str:
    """``xlsx``, ``csv`` or ``other``: with its content hash, what a dropped file is known by."""
    suffix = path.suffix.lower()
    return next((kind for kind, suffixes in FILE_KINDS.items() if suffix in suffixes), "other")


def sha256_of(path: Path, chunk: int = 1 << 22) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


# Every file or folder a reader makes in the work folder starts so (a CSV's transcoded or cut
# copy and its stage, a workbook child's rows); the intake removes what a stopped run left
# (``orchestration.intake.sweep_work``) and nothing else of the folder.
WORK_PREFIX = "cchc-"


def work_file(work_dir: Path, suffix: str) -> Path:
    """A new empty file of this process in ``work_dir``."""
    work_dir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=work_dir, prefix=WORK_PREFIX, suffix=suffix)
    os.close(fd)
    return Path(name)


def work_folder(work_dir: Path, name: str) -> Path:
    """A new empty folder of this process in ``work_dir``, its name starting ``name``."""
    work_dir.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(dir=work_dir, prefix=f"{WORK_PREFIX}{name}-"))
