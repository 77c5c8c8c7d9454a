"""The pipeline's configuration as Dagster resources, the pool every warehouse writer runs in.

``Settings`` (orchestration/settings.py) declares every knob once; ``RESOURCE_FIELDS`` says
which resource holds which: the working warehouse (with the personal-data key and the
quality rules), the portal client, the drop folders and the publication. Each resource is
a ``ConfigurableResource`` made from those fields, so the Dagster UI shows the
configuration, a run can override it (run config ``resources``), and the secrets (the
client secret, the hashing key) stay ``EnvVar``s whenever they come from the environment.
An asset asks for the resources it needs and hands the plain functions a ``Settings``
assembled from them (``settings_from``).

Holding the warehouse resource holds the warehouse's run lock (orchestration/runlock.py):
whichever way a run starts (``cchc``, the UI, the schedule, the sensor), a second run on
the same warehouse waits or stops before it writes. The dbt resource starts a dbt process
ahead (``runlock.warm_dbt``) when a run that will build dbt begins: the run's resources are
set up before its first step (in-process executor), so dbt's imports happen while the run
ingests.
"""

from __future__ import annotations

import dataclasses
import os
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from dagster import ConfigurableResource, EnvVar, InitResourceContext
from dagster_dbt import DbtCliResource
from pydantic import Field as ConfigField

from orchestration.defs.dbt.integration import dbt_project
from orchestration.runlock import dbt_executable, run_lock, warm_dbt
from orchestration.settings import DROP_FOLDER_FIELDS, PATH_FIELDS, SECRET_FIELDS, Settings

# One writer at a time on the DuckDB file: every asset that writes it joins this pool,
# whose limit is 1 (dagster.yaml).
WAREHOUSE_POOL = "warehouse"

_FIELDS = {f.name: f for f in dataclasses.fields(Settings)}

RESOURCE_FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "warehouse": (
        "Kho dữ liệu làm việc — the working DuckDB file (only the pipeline opens it), its limits, the key of the "
        "pseudonyms of personal data, the first day read and the quality rules' thresholds.",
        (
            "warehouse",
            "duckdb_memory_limit",
            "duckdb_threads",
            "batch_rows",
            "hash_key",
            "start_date",
            "unit_quarantine_threshold",
            "source_quarantine_threshold",
            "run_lock_wait_seconds",
        ),
    ),
    "portal": (
        "Cổng dịch vụ công — the portal's HTTP API (DOMAIN.md 2.1): address, client credentials, paging and the "
        "time it may take.",
        (
            "portal_url",
            "portal_client_id",
            "portal_client_secret",
            "portal_page_size",
            "portal_overlap_minutes",
            "portal_time_budget_seconds",
            "portal_stall_seconds",
            "portal_response_seconds",
        ),
    ),
    "drop_folders": (
        "Thư mục nhận tệp — where the ministry and payment exports and the units' report forms are dropped, and "
        "the bounds a dropped file is read within.",
        (
            *DROP_FOLDER_FIELDS,
            "file_stable_seconds",
            "xlsx_max_mb",
            "xlsx_max_cells",
            "xlsx_max_seconds",
            "xlsx_max_memory_mb",
        ),
    ),
    "publication": (
        "Bản công bố — where releases are published (and the PostgreSQL serving database, when set) and how the "
        "reports name the department.",
        (
            "publish_dir",
            "department_name",
            "agency_code",
            "report_signatory",
            "parent_body",
            "report_place",
            "report_number",
            "report_signer_name",
            "report_recipients",
            "serving_url",
            "serving_reader_role",
            "serving_reader_password",
            "serving_timeout_seconds",
        ),
    ),
}


def _config_type(name: str):
    """The config type of a Settings field: paths and dates as text, optional when unset."""
    default = _FIELDS[name].default
    if name in DROP_FOLDER_FIELDS:
        return str | None
    if isinstance(default, (Path, date)):
        return str
    return type(default)


def _config_value(name: str, value) -> Any:
    return str(value) if isinstance(value, (Path, date)) else value  # str(date) is ISO


def _settings_value(name: str, value) -> Any:
    if value is None:
        return None
    if name in PATH_FIELDS:
        return Path(value)
    if name == "start_date":
        return date.fromisoformat(value)
    return value


class _SettingsResource(ConfigurableResource):
    def values(self) -> dict[str, Any]:
        return {name: _settings_value(name, getattr(self, name)) for name in type(self).model_fields}


def _resource_class(key: str, doc: str, names: tuple[str, ...]) -> type[_SettingsResource]:
    annotations, attrs = {}, {}
    for name in names:
        annotations[name] = _config_type(name)
        env = Settings.ENV.get(name, "")
        attrs[name] = ConfigField(
            default=_config_value(name, _FIELDS[name].default),
            repr=name not in SECRET_FIELDS,
            description=f"{env}{' (secret)' if name in SECRET_FIELDS else ''}",
        )
    title = "".join(part.title() for part in key.split("_")) + "Resource"
    return type(
        title, (_SettingsResource,), {"__doc__": doc, "__annotations__": annotations, **attrs, "__module__": __name__}
    )


PortalResource = _resource_class("portal", *RESOURCE_FIELDS["portal"])
DropFoldersResource = _resource_class("drop_folders", *RESOURCE_FIELDS["drop_folders"])
PublicationResource = _resource_class("publication", *RESOURCE_FIELDS["publication"])
_WarehouseBase = _resource_class("warehouse", *RESOURCE_FIELDS["warehouse"])


class WarehouseResource(_WarehouseBase):
    __doc__ = _WarehouseBase.__doc__

    @contextmanager
    def yield_for_execution(self, context: InitResourceContext):
        with run_lock(self.warehouse, self.run_lock_wait_seconds):
            yield self


class DbtResource(DbtCliResource):
    """dagster-dbt's dbt resource; held by a run, a dbt process started ahead for the run's
    dbt command (``runlock.warm_dbt``)."""

    @contextmanager
    def yield_for_execution(self, context: InitResourceContext):
        with warm_dbt(), super().yield_for_execution(context) as resource:
            yield resource


def settings_from(*resources: _SettingsResource) -> Settings:
    """The ``Settings`` the plain functions take, from the resources an asset was given
    (the fields of resources it was not given keep their defaults)."""
    values: dict[str, Any] = {}
    for resource in resources:
        values.update(resource.values())
    return Settings(**values)


def _resource_config(settings: Settings, names: tuple[str, ...]) -> dict[str, Any]:
    config = {}
    for name in names:
        value = getattr(settings, name)
        env = Settings.ENV.get(name)
        if name in SECRET_FIELDS and env and os.environ.get(env) and os.environ[env] == value:
            config[name] = EnvVar(env)  # the UI shows the variable's name, never the secret
        else:
            config[name] = _config_value(name, value)
    return config


def build_resources(settings: Settings) -> dict:
    return {
        "warehouse": WarehouseResource(**_resource_config(settings, RESOURCE_FIELDS["warehouse"][1])),
        "portal": PortalResource(**_resource_config(settings, RESOURCE_FIELDS["portal"][1])),
        "drop_folders": DropFoldersResource(**_resource_config(settings, RESOURCE_FIELDS["drop_folders"][1])),
        "publication": PublicationResource(**_resource_config(settings, RESOURCE_FIELDS["publication"][1])),
        # dbt beside this interpreter (the commands work without an activated venv), started
        # so that it dies with its run
        "dbt": DbtResource(
            project_dir=dbt_project(), dbt_executable=dbt_executable(Path(settings.warehouse).parent / "bin")
        ),
    }
