"""The publication's Python work, in processes of their own.

Writing the units' feedback workbooks and the reports is Python, most of it. In the
publishing process it takes turns under one GIL with everything else there; in a process
of its own it runs on the other core, beside the publishing process's DuckDB work
(docs/decisions.md, "The publication's Python work runs in processes of its own").

A worker is ``python -m orchestration.workers <job>``, one of ``JOBS``. It starts at once
and does its imports while the publishing process works on, then waits for its arguments
(one JSON object on stdin, sent by ``Worker.send`` when the work is ready), runs the job and
prints its result (one JSON value) as the last line of its stdout. It is started with
``-m`` rather than by ``multiprocessing``, whose "spawn" runs the starting program's main
module again in the child: a script calling the pipeline without an
``if __name__ == "__main__"`` guard would run twice. Its environment is the publishing
process's without the secrets (``SECRET_FIELDS``), which no job needs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from orchestration.feedback import write_feedback
from orchestration.reports import ReportHeader, write_report
from orchestration.settings import SECRET_FIELDS, Settings
from orchestration.warehouse import connect


def _feedback(args: dict) -> dict:
    """The units' feedback workbooks (``feedback.write_feedback``) from the marts of the
    working warehouse, opened here read-only (the publishing process attaches it so too)."""
    con = connect(args["warehouse"], read_only=True, memory_limit=args["memory_limit"], threads=1)  # mostly Python
    try:
        written = write_feedback(
            con,
            Path(args["target"]),
            args["department"],
            args["parent_body"],
            Path(args["before"]) if args["before"] else None,
            args["prints_before"],
        )
    finally:
        con.close()
    return {
        "paths": {unit: str(path) for unit, path in written.paths.items()},
        "prints": written.prints,
        "kept": written.kept,
    }


def _reports(args: dict) -> int:
    """The reports of ``periods`` from the release's warehouse (``reports.write_report``)."""
    header = ReportHeader(**{**args["header"], "recipients": tuple(args["header"]["recipients"])})
    for period_key in args["periods"]:
        write_report(Path(args["published"]), period_key, Path(args["target"]), header)
    return len(args["periods"])


JOBS: dict[str, Callable[[dict], Any]] = {"feedback": _feedback, "reports": _reports}


def worker_env() -> dict[str, str]:
    """This process's environment without the secrets' variables (``SECRET_FIELDS``)."""
    secrets = {Settings.ENV[name] for name in SECRET_FIELDS}
    return {name: value for name, value in os.environ.items() if name not in secrets}


class WorkerError(RuntimeError):
    """A worker that failed: its job and the last line it wrote to stderr."""


class Worker:
    """A job of ``JOBS`` in a process of its own, started now; ``send`` gives it its
    arguments, ``result`` waits for its result (raising ``WorkerError`` if it failed)."""

    def __init__(self, job: str) -> None:
        if job not in JOBS:
            raise ValueError(f"no worker job {job!r}: one of {', '.join(JOBS)}")
        self.job = job
        self._process = subprocess.Popen(
            [sys.executable, "-m", __name__, job],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env=worker_env(),
        )

    def send(self, args: dict) -> None:
        """The job's arguments (JSON: strings, numbers, lists and dicts of them)."""
        stdin, self._process.stdin = self._process.stdin, None  # sent once; ``communicate`` reads the rest
        try:
            stdin.write(json.dumps(args, ensure_ascii=False))
            stdin.close()
        except BrokenPipeError:  # it stopped before it was given its work: ``result`` says why
            pass

    def result(self) -> Any:
        out, err = self._process.communicate()
        if self._process.returncode != 0:
            said = [line for line in err.splitlines() if line.strip()]
            raise WorkerError(
                f"the {self.job} worker failed: {said[-1] if said else f'exit {self._process.returncode}'}"
            )
        said = out.splitlines()
        if not said:
            raise WorkerError(f"the {self.job} worker ended without its result")
        return json.loads(said[-1])

    def stop(self) -> None:
        """Stop it (an error elsewhere: its work is not wanted)."""
        if self._process.poll() is None:
            self._process.kill()
        self._process.communicate()


def main(job: str) -> None:
    args = json.loads(sys.stdin.read())
    print(json.dumps(JOBS[job](args), ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1])
