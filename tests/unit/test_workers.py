"""The publication's workers (orchestration/workers.py): a job run by ``python -m
orchestration.workers`` gives what the same function gives in process, a failed one says
why in one line naming its job, and a worker's environment carries no secret."""

from __future__ import annotations

import pytest

from orchestration import feedback, workers
from orchestration.settings import Settings
from tests.unit.test_feedback_workbook import _marts


def test_the_feedback_worker_writes_what_write_feedback_writes(tmp_path):
    marts = _marts()
    marts.execute(f"attach '{tmp_path / 'working.duckdb'}' as working")
    marts.execute("copy from database memory to working")
    in_process = feedback.write_feedback(marts, tmp_path / "here", "Sở Giáo dục và Đào tạo", "UBND tỉnh")
    marts.close()

    worker = workers.Worker("feedback")
    worker.send(
        {
            "warehouse": str(tmp_path / "working.duckdb"),
            "target": str(tmp_path / "there"),
            "department": "Sở Giáo dục và Đào tạo",
            "parent_body": "UBND tỉnh",
            "before": None,
            "prints_before": {},
            "memory_limit": "1GB",
        }
    )
    found = worker.result()

    assert found["prints"] == in_process.prints and found["kept"] == 0  # the same workbooks, by their prints
    assert found["paths"] == {"U1": str(tmp_path / "there" / "U1.xlsx")}
    assert (tmp_path / "there" / "U1.xlsx").stat().st_size > 0


def test_a_failed_worker_says_why_in_one_line(tmp_path):
    worker = workers.Worker("reports")
    worker.send(
        {
            "published": str(tmp_path / "none.duckdb"),
            "target": str(tmp_path),
            "periods": ["2024-Q1"],
            "header": {
                "department": "Sở",
                "parent_body": "UBND",
                "signatory": "GĐ",
                "place": "Cà Mau",
                "number": "",
                "recipients": [],
            },
        }
    )
    with pytest.raises(workers.WorkerError) as failed:
        worker.result()
    said = str(failed.value)
    assert said.startswith("the reports worker failed: ") and "\n" not in said
    assert "none.duckdb" in said  # the last line of its traceback: what it could not open


def test_a_worker_stopped_before_its_work_is_gone():
    worker = workers.Worker("reports")
    worker.stop()
    assert worker._process.returncode is not None


def test_a_worker_gets_no_secret(monkeypatch):
    for name in ("portal_client_secret", "hash_key", "serving_url"):
        monkeypatch.setenv(Settings.ENV[name], "s3cret-value")
    monkeypatch.setenv("CCHC_DEPARTMENT_NAME", "Sở")
    env = workers.worker_env()
    assert "s3cret-value" not in env.values()
    assert env["CCHC_DEPARTMENT_NAME"] == "Sở"


def test_only_a_known_job_starts():
    with pytest.raises(ValueError, match="feedback, reports"):
        workers.Worker("rm -rf /")
