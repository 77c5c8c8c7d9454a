"""A sensor that starts the pipeline when files change in the input folders.

It only lists the folders (path, size, modification time) and never opens the warehouse:
DuckDB refuses a second process while a run writes. Which files are new is decided by
their content hash inside the run, so a file touched but unchanged loads nothing.
"""

from __future__ import annotations

import hashlib

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SkipReason, sensor

from orchestration.intake import FOLDERS, folder_dir, folder_env, scan_folder
from orchestration.settings import Settings


def folder_fingerprint(settings: Settings) -> str | None:
    """A digest of every input file's path, size and modification time; None without folders.

    Only files that have stood unchanged for ``CCHC_FILE_STABLE_SECONDS`` count: a file
    still being copied changes the digest once it is complete, so the run it starts reads it."""
    h = hashlib.sha256()
    seen = False
    for folder in FOLDERS:
        base = folder_dir(settings, folder)
        if base is None or not base.is_dir():
            continue
        seen = True
        for dropped in scan_folder(base, settings.file_stable_seconds).ready:
            h.update(f"{folder}/{dropped.rel}|{dropped.size}|{dropped.mtime_ns}\n".encode())
    return h.hexdigest() if seen else None


def build_export_sensor(settings: Settings, job_name: str):
    @sensor(
        name="export_files_sensor",
        job_name=job_name,
        minimum_interval_seconds=60,
        default_status=DefaultSensorStatus.RUNNING,
        description="Runs the pipeline when files are dropped in CCHC_MOET_DIR or CCHC_PAYMENTS_DIR.",
    )
    def export_files_sensor(context: SensorEvaluationContext):
        fingerprint = folder_fingerprint(settings)
        if fingerprint is None:
            return SkipReason(f"no input folder configured ({', '.join(folder_env(f) for f in FOLDERS)})")
        if fingerprint == context.cursor:
            return SkipReason("no file changed in the input folders")
        context.update_cursor(fingerprint)
        return RunRequest(run_key=fingerprint)

    return export_files_sensor
