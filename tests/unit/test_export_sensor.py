"""The sensor that starts the pipeline when files are dropped in the input folders."""

from __future__ import annotations

from dagster import RunRequest, SkipReason, build_sensor_context

from orchestration.defs.ingest.sensors import build_export_sensor, folder_fingerprint
from orchestration.settings import Settings


def test_sensor_requests_a_run_when_a_file_is_dropped_and_skips_otherwise(tmp_path):
    moet, payments = tmp_path / "moet", tmp_path / "payments"
    moet.mkdir()
    payments.mkdir()
    settings = Settings(moet_dir=moet, payments_dir=payments, file_stable_seconds=0.0)
    sensor = build_export_sensor(settings, "cchc_pipeline")

    empty = folder_fingerprint(settings)
    (payments / "giao_dich.csv").write_text("Mã giao dịch\n", encoding="utf-8")
    (payments / "~$giao_dich.xlsx").write_text("lock", encoding="utf-8")  # an Excel lock file is not an export
    dropped = folder_fingerprint(settings)
    assert dropped != empty

    result = sensor(build_sensor_context(cursor=empty))
    assert isinstance(result, RunRequest) and result.run_key == dropped

    assert isinstance(sensor(build_sensor_context(cursor=dropped)), SkipReason)
    (payments / "~$giao_dich.xlsx").write_text("lock, changed", encoding="utf-8")
    assert folder_fingerprint(settings) == dropped


def test_sensor_skips_without_input_folders():
    sensor = build_export_sensor(Settings(), "cchc_pipeline")
    assert isinstance(sensor(build_sensor_context()), SkipReason)
