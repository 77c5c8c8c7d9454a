"""What a run says and where it says it.

- The console gets one line per phase (logger ``cchc``: counts and elapsed time), warnings,
  and, when a run fails, a short block: the step, the cause in one line, the log's path.
  All times are Viet Nam time (UTC+7), the time the portal and the department work in.
- The run log (``<warehouse folder>/logs/run-<time>.log``) gets everything: the detail
  lines of every module, dbt's own output, Dagster's events and every stack trace.
  ``--verbose`` puts all of it on the console too.
"""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext, redirect_stdout
from datetime import datetime, timedelta, timezone
from pathlib import Path

VIETNAM = timezone(timedelta(hours=7))
PROGRESS = logging.getLogger("cchc")  # the console's phase lines
DETAIL = logging.getLogger("orchestration.run")  # the run log's own lines (dbt output, Dagster events)
PROJECT_LOGGERS = ("cchc", "orchestration", "connectors", "expectations")
KEEP_LOGS = 30  # run logs kept in the logs folder (the oldest go first)
_open_logs: list[Path] = []  # the run log of the run in progress (none under `dagster dev`)


def vietnam_time(ts: float | None = None) -> datetime:
    return datetime.fromtimestamp(ts if ts is not None else datetime.now().timestamp(), VIETNAM)


class VietnamFormatter(logging.Formatter):
    """Times in Viet Nam time whatever the machine's zone (a server often runs in UTC)."""

    def formatTime(self, record, datefmt=None):
        return vietnam_time(record.created).strftime(datefmt or "%Y-%m-%d %H:%M:%S")


class _ConsoleFilter(logging.Filter):
    """The console: phase lines and warnings; everything with ``--verbose``."""

    verbose = False

    def filter(self, record: logging.LogRecord) -> bool:
        return self.verbose or record.levelno >= logging.WARNING or record.name == PROGRESS.name


class _ConsoleHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a line is written (not the stream it was
    when the handler was made, which a caller may have replaced and closed since)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        return line if record.levelno < logging.WARNING else line.replace("] ", f"] {record.levelname.lower()}: ", 1)


def setup_console(verbose: bool = False) -> None:
    """The console handler of the project's loggers (once per process; a second call only
    changes ``verbose``)."""
    _ConsoleFilter.verbose = verbose
    for name in PROJECT_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(logging.INFO)
        if not any(isinstance(h, _ConsoleHandler) for h in logger.handlers):
            handler = _ConsoleHandler()
            handler.addFilter(_ConsoleFilter())
            handler.setFormatter(VietnamFormatter("[%(asctime)s] %(message)s", datefmt="%H:%M:%S"))
            logger.addHandler(handler)


def is_verbose() -> bool:
    return _ConsoleFilter.verbose


def progress(context, message: str) -> None:
    """One phase line: on the console and in the run log, and in Dagster's event log
    (``context``; None outside an asset)."""
    if context is not None:
        context.log.info(message)
    PROGRESS.info(message)


def logs_dir(warehouse: Path | str) -> Path:
    return Path(warehouse).resolve().parent / "logs"


@contextmanager
def run_log(warehouse: Path | str) -> Iterator[Path]:
    """A log file for one run, receiving every project logger's lines while it is open."""
    folder = logs_dir(warehouse)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = vietnam_time().strftime("%Y%m%dT%H%M%S")
    path = folder / f"run-{stamp}.log"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"run-{stamp}-{n}.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(VietnamFormatter("%(asctime)s +07 %(levelname)s %(name)s: %(message)s"))
    loggers = [logging.getLogger(name) for name in PROJECT_LOGGERS]
    for logger in loggers:
        logger.setLevel(logging.INFO)
        logger.addHandler(handler)
    _open_logs.append(path)
    try:
        yield path
    finally:
        _open_logs.remove(path)
        for logger in loggers:
            logger.removeHandler(handler)
        handler.close()
        for old in sorted(folder.glob("run-*.log"))[:-KEEP_LOGS]:
            old.unlink(missing_ok=True)


def into_run_log():
    """``sys.stdout`` into the run log while a ``cchc`` run has one open; left alone
    otherwise (``dagster dev`` keeps a step's output in its compute logs)."""
    return redirect_stdout(LogWriter()) if _open_logs else nullcontext()


class LogWriter(io.TextIOBase):
    """A text stream whose lines go to the run log (dbt's output, which dagster-dbt writes
    to ``sys.stdout``)."""

    def __init__(self, logger: logging.Logger = DETAIL) -> None:
        self._logger = logger
        self._pending = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        lines = (self._pending + text).split("\n")
        self._pending = lines.pop()
        for line in lines:
            if line.strip():
                self._logger.info(line.rstrip())
        return len(text)

    def flush(self) -> None:
        if self._pending.strip():
            self._logger.info(self._pending.rstrip())
        self._pending = ""
