"""Workbooks read within bounds: a crafted ``.xlsx`` never costs more than it is allowed.

A workbook is a zip of XML. A 1.7 KB file can declare a sheet of 17 billion cells (the
reader then asks for 512 GB at once and the process aborts); a 5 MB zip can inflate to a
gigabyte. So, before anything parses it:

1. ``check_workbook`` reads the zip's directory and the start of each sheet: a file that
   is not a zip, inflates past ``max_uncompressed_bytes`` or declares more than
   ``max_cells`` cells is refused with its reason (``workbook_too_large``);
2. ``read_xlsx_bounded`` parses it in a child process (``python -m connectors.workbooks``)
   with an address-space limit and a time limit: whatever the reader does, the child dies,
   not the pipeline, and the file is rejected with the reason.

The child hands back the rows as an Arrow IPC file in the caller's work folder and what it
learnt of the file (``FileRead``) as JSON. The hash key goes to it on standard input,
never on its command line.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa

from connectors.exports import LAYOUTS, FileRead, UnreadableFile, read_xlsx, work_file, work_folder


@dataclass(frozen=True)
class WorkbookLimits:
    max_uncompressed_bytes: int = 512 << 20
    max_cells: int = 20_000_000
    max_seconds: float = 300.0
    max_memory_bytes: int = 2 << 30


_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]{1,3})?([0-9]{1,7})?(?::([A-Z]{1,3})([0-9]{1,7}))?"')


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def check_workbook(path: Path, limits: WorkbookLimits, label: str) -> None:
    """Refuse a workbook whose zip directory or declared sheet sizes pass the limits."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            inflated = sum(m.file_size for m in members)
            if inflated > limits.max_uncompressed_bytes:
                raise UnreadableFile(
                    "workbook_too_large",
                    f"tệp {label} giải nén ra {inflated >> 20} MiB, vượt giới hạn "
                    f"{limits.max_uncompressed_bytes >> 20} MiB (CCHC_XLSX_MAX_MB)",
                )
            for member in members:
                if not re.fullmatch(r"xl/worksheets/[^/]+\.xml", member.filename):
                    continue
                with archive.open(member) as sheet:
                    head = sheet.read(1 << 16)
                m = _DIMENSION.search(head)
                if m is None or m.group(3) is None:
                    continue
                rows = int(m.group(4)) - int(m.group(2) or 1) + 1
                cols = _column_number(m.group(3)) - _column_number(m.group(1) or b"A") + 1
                if rows * cols > limits.max_cells:
                    raise UnreadableFile(
                        "workbook_too_large",
                        f"tệp {label}: trang {member.filename.rsplit('/', 1)[-1]} khai báo "
                        f"{rows:,} dòng × {cols:,} cột, vượt giới hạn {limits.max_cells:,} ô (CCHC_XLSX_MAX_CELLS)",
                    )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as exc:
        raise UnreadableFile(
            "file_unreadable", f"tệp {label} không phải tệp Excel .xlsx hợp lệ: {type(exc).__name__}"
        ) from exc


def read_xlsx_bounded(
    path: Path, folder: str, key: bytes, label: str, work_dir: Path, limits: WorkbookLimits = WorkbookLimits()
) -> tuple[pa.Table, FileRead]:
    """``read_xlsx`` of the layouts of ``folder``, checked first, then run in a bounded child."""
    check_workbook(path, limits, label)
    out = work_file(work_dir, ".arrow")
    try:
        try:
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "connectors.workbooks",
                    str(path),
                    folder,
                    label,
                    str(out),
                    str(limits.max_memory_bytes),
                ],
                input=key,
                capture_output=True,
                timeout=limits.max_seconds,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise UnreadableFile(
                "workbook_too_large", f"tệp {label}: đọc quá {limits.max_seconds:g} giây (CCHC_XLSX_MAX_SECONDS)"
            ) from None
        if done.returncode != 0:
            failure = _failure(done.stdout)
            if failure is not None:
                raise UnreadableFile(*failure)
            raise UnreadableFile(
                "workbook_too_large",
                f"tệp {label}: trình đọc Excel dừng (mã {done.returncode}), có thể do tệp cần quá "
                f"{limits.max_memory_bytes >> 20} MiB bộ nhớ (CCHC_XLSX_MAX_MEMORY_MB)",
            )
        info = json.loads(done.stdout)
        with pa.memory_map(str(out)) as source:
            table = pa.ipc.open_file(source).read_all()
        return table, _file_read(info)
    finally:
        out.unlink(missing_ok=True)


# Workbooks up to this size are read many to a child (a unit's form is ~10 KB: one child per
# file would cost more than the reading); a batch's child gets the same bounds as one file.
BATCH_MAX_BYTES = 1 << 20
BATCH_FILES = 200


def read_xlsx_batch(
    jobs: list[tuple[Path, str]], folder: str, key: bytes, work_dir: Path, limits: WorkbookLimits = WorkbookLimits()
) -> dict[Path, tuple[pa.Table, FileRead] | UnreadableFile]:
    """``read_xlsx_bounded`` of many small workbooks, in one bounded child per ``BATCH_FILES``.

    Each file is checked first, as alone. If a child dies or passes its time, the files it
    did not answer for are read again one to a child, so the file that killed it is the only
    one rejected for it."""
    results: dict[Path, tuple[pa.Table, FileRead] | UnreadableFile] = {}
    pending: list[tuple[Path, str]] = []
    for path, label in jobs:
        try:
            check_workbook(path, limits, label)
            pending.append((path, label))
        except UnreadableFile as exc:
            results[path] = exc
    for start in range(0, len(pending), BATCH_FILES):
        chunk = pending[start : start + BATCH_FILES]
        out_dir = work_folder(work_dir, "batch")
        try:
            answered = _run_batch(chunk, folder, key, out_dir, limits)
            for (path, label), answer in zip(chunk, answered):
                if answer is None:  # the child died before it: read alone, within bounds
                    try:
                        results[path] = read_xlsx_bounded(path, folder, key, label, work_dir, limits)
                    except UnreadableFile as exc:
                        results[path] = exc
                else:
                    results[path] = answer
        finally:
            for leftover in out_dir.glob("*"):
                leftover.unlink(missing_ok=True)
            out_dir.rmdir()
    return results


def _run_batch(chunk, folder: str, key: bytes, out_dir: Path, limits: WorkbookLimits) -> list:
    request = json.dumps({"key": key.hex(), "files": [[str(p), label] for p, label in chunk]})
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "connectors.workbooks",
                "--batch",
                folder,
                str(out_dir),
                str(limits.max_memory_bytes),
            ],
            input=request.encode(),
            capture_output=True,
            timeout=limits.max_seconds,
            check=False,
        )
        stdout = done.stdout
    except subprocess.TimeoutExpired as exc:
        stdout = exc.stdout or b""
    answers: list = [None] * len(chunk)
    for line in stdout.decode("utf-8", "replace").splitlines():
        try:
            info = json.loads(line)
            index = int(info["index"])
        except (ValueError, KeyError, TypeError):
            continue
        if not 0 <= index < len(chunk):
            continue
        if "reason_code" in info:
            answers[index] = UnreadableFile(info["reason_code"], info["message"], info.get("about") or {})
        else:
            arrow = out_dir / f"{index}.arrow"
            with pa.memory_map(str(arrow)) as source:
                table = pa.ipc.open_file(source).read_all()
            arrow.unlink()
            answers[index] = (table, _file_read(info))
    return answers


def _file_read(info: dict) -> FileRead:
    layout = next(lay for lay in LAYOUTS if lay.source == info["layout"])
    read = FileRead(layout, **{k: v for k, v in info["read"].items() if k != "layout"})
    if read.as_of is not None:
        read.as_of = date.fromisoformat(read.as_of)
    return read


def _failure(stdout: bytes) -> tuple[str, str, dict] | None:
    try:
        info = json.loads(stdout)
        about = info.get("about") or {}
        return info["reason_code"], info["message"], {k: v for k, v in about.items() if isinstance(v, str)}
    except (ValueError, KeyError, TypeError):
        return None


def _read_one(path: str, folder: str, label: str, out: str, key: bytes, limit: int) -> tuple[dict, int]:
    """Read one workbook into ``out`` (Arrow IPC); what to print of it, and the exit code."""
    layouts = tuple(layout for layout in LAYOUTS if layout.folder == folder)
    try:
        table, read = read_xlsx(Path(path), layouts, key, label)
    except UnreadableFile as exc:
        return {"reason_code": exc.reason_code, "message": str(exc), "about": exc.about}, 3
    except MemoryError:
        message = f"tệp {label} cần quá {limit >> 20} MiB bộ nhớ (CCHC_XLSX_MAX_MEMORY_MB)"
        return {"reason_code": "workbook_too_large", "message": message}, 4
    with pa.OSFile(out, "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    fields = asdict(read)
    fields["layout"] = read.layout.source
    fields["as_of"] = read.as_of.isoformat() if read.as_of else None
    return {"layout": read.layout.source, "read": fields}, 0


def _child(argv: list[str]) -> int:
    import resource

    if argv and argv[0] == "--batch":
        # many small workbooks: a JSON request on standard input, one JSON line per file
        folder, out_dir, memory = argv[1:]
        limit = int(memory)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        request = json.loads(sys.stdin.buffer.read())
        key = bytes.fromhex(request["key"])
        for index, (path, label) in enumerate(request["files"]):
            info, _ = _read_one(path, folder, label, str(Path(out_dir) / f"{index}.arrow"), key, limit)
            print(json.dumps({"index": index, **info}, ensure_ascii=False, default=str), flush=True)
        return 0
    path, folder, label, out, memory = argv
    limit = int(memory)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    key = sys.stdin.buffer.read()
    info, code = _read_one(path, folder, label, out, key, limit)
    print(json.dumps(info, ensure_ascii=False, default=str))
    return code


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))
