"""Intake of the files dropped in ``CCHC_MOET_DIR``, ``CCHC_PAYMENTS_DIR`` and
``CCHC_FORMS_DIR`` (DOMAIN.md 2.2, 2.3 and 7).

A file is known by its content hash: the same file dropped twice, or renamed, loads once;
a changed file (same path, new content) loads as a new version, and dbt sets the older
version's rows aside as superseded. A file that cannot be read at all is recorded as
rejected with the reason (``raw.files``), listed in the run's output and in the
quarantine; it is never skipped in silence. The input folders are only ever read: a CSV
that must be transcoded or cut is copied to a work folder beside the warehouse first.

Nothing dropped is trusted (docs/decisions.md, "Hostile input"): symlinks and anything
that is not a regular file are skipped and said so; a file is read only once it has stood
unchanged for ``CCHC_FILE_STABLE_SECONDS`` (a file still being copied waits for a later
run); a file is known by its content *and* its kind (an empty CSV and an empty workbook
are two files); a workbook is read within bounds, in a child process
(``connectors.workbooks``), so a file that kills a reader is rejected, never the run.
"""

from __future__ import annotations

import csv
import logging
import os
import shutil
import stat as stat_mode
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from connectors.exports import LAYOUTS, WORK_PREFIX, UnreadableFile, file_kind, plan_csv, sha256_of
from connectors.personal import hash_key
from connectors.workbooks import BATCH_FILES, BATCH_MAX_BYTES, WorkbookLimits, read_xlsx_batch, read_xlsx_bounded
from orchestration.escaping import quoted
from orchestration.settings import Settings
from orchestration.warehouse import forget_rejected_file, known_file, land_file, record_rejected_file, unchanged_file

log = logging.getLogger(__name__)

# The drop folders, in the order the layouts name them (connectors.exports.LAYOUTS); each is
# configured as CCHC_<FOLDER>_DIR (Settings field ``<folder>_dir``).
FOLDERS = tuple(dict.fromkeys(layout.folder for layout in LAYOUTS))


@dataclass
class IntakeResult:
    folder: str
    directory: str | None
    files_seen: int = 0
    files_loaded: int = 0
    files_already_loaded: int = 0
    files_rejected: int = 0
    files_waiting: int = 0
    files_skipped: int = 0
    rows: int = 0
    loaded: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)

    def as_metadata(self) -> dict:
        return {
            k: (", ".join(v) if isinstance(v, list) else v)
            for k, v in self.__dict__.items()
            if v is not None and v != []
        }


def folder_dir(settings: Settings, folder: str) -> Path | None:
    return getattr(settings, f"{folder}_dir")


def folder_env(folder: str) -> str:
    """The environment variable that configures a drop folder."""
    return Settings.ENV[f"{folder}_dir"]


def work_dir(settings: Settings) -> Path:
    """Where the readers' own files go: a CSV's transcoded or cut copy and its stage, a
    workbook child's rows (never the input folder)."""
    return Path(settings.warehouse).parent / "work"


def sweep_work(settings: Settings) -> int:
    """Remove the readers' files a stopped run left in the work folder (a CSV's stage holds
    the student codes as received); returns how many. Safe while the warehouse is open for
    writing: DuckDB lets one process at a time do so, and only such a process reads into
    the work folder. Only names the readers give (``WORK_PREFIX``) are touched."""
    folder, removed = work_dir(settings), 0
    for left in folder.glob(f"{WORK_PREFIX}*") if folder.is_dir() else ():
        if left.is_dir() and not left.is_symlink():
            shutil.rmtree(left, ignore_errors=True)
        else:
            left.unlink(missing_ok=True)
        removed += 1
    if removed:
        log.info("work folder %s: removed what a stopped run left (%d)", quoted(str(folder)), removed)
    return removed


@dataclass(frozen=True)
class DroppedFile:
    path: Path
    rel: str
    size: int
    mtime_ns: int


@dataclass
class FolderScan:
    ready: list[DroppedFile] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)  # changed too recently: a later run reads them
    skipped: list[str] = field(default_factory=list)  # symlinks, folders behind links, devices, pipes


def scan_folder(base: Path, stable_seconds: float = 0.0, now: float | None = None) -> FolderScan:
    """The regular files under ``base`` in a stable order, without following a link.

    Hidden files and Excel lock files (``~$``) are not exports and are passed over in
    silence; a symlink or anything that is not a regular file is skipped and listed; a file
    modified less than ``stable_seconds`` ago is listed as waiting."""
    now = time.time() if now is None else now
    scan = FolderScan()

    def walk(folder: Path, rel: str) -> None:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            scan.skipped.append(f"{quoted(rel or '.')}: {exc.strerror or exc}")
            return
        for entry in entries:
            if entry.name.startswith((".", "~$")):
                continue
            name = f"{rel}{entry.name}"
            if entry.is_symlink():
                scan.skipped.append(f"{quoted(name)}: a symbolic link (not followed)")
                continue
            info = entry.stat(follow_symlinks=False)
            if stat_mode.S_ISDIR(info.st_mode):
                walk(Path(entry.path), f"{name}/")
            elif not stat_mode.S_ISREG(info.st_mode):
                scan.skipped.append(f"{quoted(name)}: not a regular file")
            elif now - info.st_mtime < stable_seconds:
                scan.waiting.append(name)
            else:
                scan.ready.append(DroppedFile(Path(entry.path), name, info.st_size, info.st_mtime_ns))

    walk(base, "")
    return scan


def workbook_limits(settings: Settings) -> WorkbookLimits:
    return WorkbookLimits(
        max_uncompressed_bytes=settings.xlsx_max_mb << 20,
        max_cells=settings.xlsx_max_cells,
        max_seconds=settings.xlsx_max_seconds,
        max_memory_bytes=settings.xlsx_max_memory_mb << 20,
    )


def intake_folder(con, settings: Settings, folder: str) -> IntakeResult:
    """Load every new file of one input folder; returns what was loaded and rejected."""
    base = folder_dir(settings, folder)
    result = IntakeResult(folder, str(base) if base else None)
    if base is None:
        log.info("%s: no input folder configured (%s); nothing to read", folder, folder_env(folder))
        return result
    if not base.is_dir():
        raise FileNotFoundError(f"input folder {base} ({folder_env(folder)}) does not exist")
    sweep_work(settings)
    key = hash_key(settings.hash_key)
    layouts = tuple(layout for layout in LAYOUTS if layout.folder == folder)
    scan = scan_folder(base, settings.file_stable_seconds)
    for line in scan.skipped:
        log.warning("%s: skipped %s", folder, line)
    for rel in scan.waiting:
        log.info(
            "%s: %s changed less than %g s ago (CCHC_FILE_STABLE_SECONDS); a later run reads it",
            folder,
            quoted(rel),
            settings.file_stable_seconds,
        )
    result.files_waiting = len(scan.waiting)
    result.files_skipped = len(scan.skipped)
    new_files, new_identities = [], set()
    for dropped in scan.ready:
        path, rel, kind = dropped.path, dropped.rel, file_kind(dropped.path)
        result.files_seen += 1
        # a file loaded before and not written since is known without reading it (at 20 M
        # collection rows, hashing the exports again took 1.5 s of every run)
        file_id = unchanged_file(con, folder, rel, kind, dropped.size, dropped.mtime_ns)
        if file_id is None:
            try:
                file_id = sha256_of(path)
                after = os.stat(path, follow_symlinks=False)
            except OSError as exc:
                log.warning("%s: %s could not be read (%s); a later run tries again", folder, quoted(rel), exc.strerror)
                continue
            if (after.st_size, after.st_mtime_ns) != (dropped.size, dropped.mtime_ns):
                result.files_waiting += 1
                log.info("%s: %s changed while it was read; a later run reads it", folder, quoted(rel))
                continue
        seen = known_file(con, folder, file_id, kind)
        if seen is not None and seen[1] == "rejected":
            # A rejected file is tried again on every run (a fixed reader may read it now);
            # if it is still unreadable, it is recorded again below.
            forget_rejected_file(con, folder, file_id, kind)
            seen = None
        if seen is not None:
            result.files_already_loaded += 1
            log.info("%s/%s: same content as %s (%s); not loaded again", folder, quoted(rel), quoted(seen[0]), seen[1])
            continue
        if (file_id, kind) in new_identities:
            result.files_already_loaded += 1  # the same new file twice in this drop: read once
            log.info("%s/%s: same content as another file of this run; not loaded again", folder, quoted(rel))
            continue
        new_files.append((dropped, file_id, kind))
        new_identities.add((file_id, kind))
    # small workbooks (a unit's form) are read many to a bounded child, not one each
    small = [
        (d.path, quoted(f"{folder}/{d.rel}"))
        for d, _, kind in new_files
        if kind == "xlsx" and d.size <= BATCH_MAX_BYTES
    ]
    prefetched = read_xlsx_batch(small, folder, key, work_dir(settings), workbook_limits(settings)) if small else {}
    if small:
        log.info("%s: %d small workbooks read in %d batch(es)", folder, len(small), -(-len(small) // BATCH_FILES))
    for dropped, file_id, kind in new_files:
        path, rel = dropped.path, dropped.rel
        meta = {
            "size_bytes": dropped.size,
            "kind": kind,
            "modified_at": datetime.fromtimestamp(dropped.mtime_ns / 1e9).replace(microsecond=0),
            "mtime_ns": dropped.mtime_ns,
        }
        started = datetime.now()
        try:
            batch_rows = _load(
                con, path, rel, folder, file_id, layouts, key, settings, meta, started, prefetched.get(path)
            )
        except UnreadableFile as exc:
            record_rejected_file(
                con,
                folder=folder,
                file_id=file_id,
                path=rel,
                file_meta=meta,
                reason_code=exc.reason_code,
                reason=str(exc),
                about=exc.about,
            )
            result.files_rejected += 1
            result.rejected.append(f"{quoted(rel)}: {exc}")
            log.warning("%s/%s REJECTED: %s", folder, quoted(rel), exc)
            continue
        result.files_loaded += 1
        result.rows += batch_rows
        result.loaded.append(rel)
    log.info(
        "%s: %d files seen, %d loaded (%d rows), %d already loaded, %d rejected, %d waiting, %d skipped",
        folder,
        result.files_seen,
        result.files_loaded,
        result.rows,
        result.files_already_loaded,
        result.files_rejected,
        result.files_waiting,
        result.files_skipped,
    )
    return result


def _load(
    con,
    path: Path,
    rel: str,
    folder: str,
    file_id: str,
    layouts,
    key: bytes,
    settings: Settings,
    meta: dict,
    started: datetime,
    prefetched=None,
) -> int:
    label = quoted(f"{folder}/{rel}")
    plan = None
    kinds = tuple(dict.fromkeys(kind for layout in layouts for kind in layout.suffixes))
    try:
        if meta["kind"] not in kinds:
            suffix = path.suffix.lower()
            raise UnreadableFile(
                "file_type_unsupported",
                f"định dạng tệp {quoted(suffix) if suffix else '(không có đuôi)'} không được hỗ trợ "
                f"(chỉ {', '.join('.' + kind for kind in kinds)})",
            )
        if isinstance(prefetched, UnreadableFile):
            raise prefetched
        if meta["kind"] == "xlsx":
            data, read = prefetched or read_xlsx_bounded(
                path, folder, key, label, work_dir(settings), workbook_limits(settings)
            )
            staged, select, registered = None, "select * from _xlsx_rows", {"_xlsx_rows": data}
        elif meta["kind"] == "csv":
            plan = plan_csv(path, layouts, work_dir(settings), label)
            read = plan.read
            staged, select, registered = plan.prepare(con, key)
        else:  # pragma: no cover - every kind a layout reads is handled above
            raise AssertionError(meta["kind"])
        file_meta = {
            **meta,
            "header_row": read.header_row,
            "sheets": read.sheets,
            "encoding": read.encoding,
            "delimiter": read.delimiter,
            "as_of_date": read.as_of,
            "rows_footer": read.rows_footer,
            "rows_blank": read.rows_blank,
            "notes": read.notes,
            "rows_total": staged,  # a CSV's: the rows DuckDB's reader yielded
        }
        _, rows = land_file(
            con,
            folder=folder,
            file_id=file_id,
            path=rel,
            table=read.layout.table,
            select_sql=select,
            file_meta=file_meta,
            started_at=started,
            registered=registered,
        )
    except UnicodeError as exc:
        raise UnreadableFile("encoding_unreadable", f"không đọc được bảng mã của tệp {label}: {exc}") from exc
    except csv.Error as exc:
        raise UnreadableFile("file_unreadable", f"không đọc được tệp CSV {label}: {exc}") from exc
    except (duckdb.InvalidInputException, duckdb.ConversionException) as exc:
        # DuckDB's CSV errors name the line: keep the first line of the message
        raise UnreadableFile(
            "file_unreadable", f"DuckDB không đọc được tệp {label}: {str(exc).splitlines()[0]}"
        ) from exc
    finally:
        if plan is not None:
            plan.discard(con)
            if plan.path != path:
                plan.path.unlink(missing_ok=True)  # the transcoded or cut copy
    log.info(
        "%s: %d rows as %s (header at row %d%s%s)",
        label,
        rows,
        read.layout.source,
        read.header_row,
        f", sheets {', '.join(quoted(name) for name in read.sheets)}" if read.sheets else "",
        f", {read.encoding}, '{read.delimiter}'" if read.encoding else "",
    )
    return rows
