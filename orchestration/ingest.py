"""Portal ingest: read the portal through the connector, land raw batches, move cursors.

Plain functions over a DuckDB connection and a ``PortalClient`` (Dagster assets call them;
tests call them directly). Batches of at most ``settings.batch_rows`` records are landed in
one transaction each, together with the cursor they advance.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from connectors.personal import hash_key, scrub_dossier
from connectors.portal import Page, PortalClient, page_to_arrow, parse_ts, prefetched
from orchestration.runlog import VIETNAM
from orchestration.settings import Settings
from orchestration.warehouse import get_cursor, land_batch

if TYPE_CHECKING:
    import pyarrow as pa

log = logging.getLogger(__name__)


def local_now() -> datetime:
    """Now in Viet Nam local time, naive (source timestamps carry no offset)."""
    return datetime.now(VIETNAM).replace(tzinfo=None, microsecond=0)


@dataclass
class IngestResult:
    source: str
    batches: int = 0
    rows: int = 0
    pages: int = 0
    window_from: datetime | None = None
    window_to: datetime | None = None
    cursor: datetime | None = None

    def as_metadata(self) -> dict:
        return {
            k: (v.isoformat(sep=" ") if isinstance(v, datetime) else v)
            for k, v in self.__dict__.items()
            if v is not None
        }


def client_from_settings(settings: Settings) -> PortalClient:
    if not settings.portal_client_id or not settings.portal_client_secret:
        raise RuntimeError("CCHC_PORTAL_CLIENT_ID and CCHC_PORTAL_CLIENT_SECRET must be set to read the portal")
    return PortalClient(
        settings.portal_url,
        settings.portal_client_id,
        settings.portal_client_secret,
        page_size=settings.portal_page_size,
        time_budget=settings.portal_time_budget_seconds,
        timeout=settings.portal_stall_seconds,
        response_timeout=settings.portal_response_seconds,
    )


def _land_pages(
    con,
    *,
    source: str,
    table: str,
    pages: Iterator[Page],
    settings: Settings,
    scrub: Callable[[dict], dict] | None,
    cursor_field: str | None,
    window: tuple[datetime | None, datetime | None],
    previous_cursor: datetime | None,
) -> IngestResult:
    result = IngestResult(source, window_from=window[0], window_to=window[1], cursor=previous_cursor)
    buffer, buffered, started = [], 0, datetime.now()
    best = None  # greatest well-formed cursor value in the buffer (14 digits sort as time)

    def flush(final: bool) -> None:
        nonlocal buffer, buffered, started, best
        if not buffer and not final:
            return
        cursor = None
        if cursor_field is not None and best is not None:
            cursor = min(parse_ts(best), window[1]) if window[1] else parse_ts(best)
            if result.cursor is not None:
                cursor = max(cursor, result.cursor)
            result.cursor = cursor
        _, rows = land_batch(
            con, source=source, table=table, pages=buffer, started_at=started, window=window, cursor=cursor
        )
        result.batches += 1
        result.rows += rows
        log.info(
            "%s: landed batch %d (%d records; %d so far, %d pages)",
            source,
            result.batches,
            rows,
            result.rows,
            result.pages,
        )
        buffer, buffered, started, best = [], 0, datetime.now(), None

    def prepared(page: Page) -> tuple[int, str | None, pa.Table]:
        """What landing needs of a page; its parsed records are let go here."""
        latest = _latest(page.records, cursor_field, None) if cursor_field is not None else None
        return len(page.records), latest, page_to_arrow(page, scrub)

    # Pages are read, parsed and scrubbed in a reader thread while this one lands (DuckDB
    # releases the GIL while it writes). The reader may run a whole batch ahead: with a
    # read-ahead of two pages it stood still while a batch landed, and the two took turns.
    ahead = max(2, settings.batch_rows // max(1, settings.portal_page_size) + 2)
    for records, latest, arrow in prefetched(map(prepared, without_gc(pages)), depth=ahead):
        buffer.append(arrow)
        buffered += records
        result.pages += 1
        if latest is not None and (best is None or latest > best):
            best = latest
        if buffered >= settings.batch_rows:
            flush(final=False)
    flush(final=True)
    return result


def without_gc(pages: Iterator[Page]) -> Iterator[Page]:
    """Pages read with Python's cycle collector paused: parsed JSON holds no cycles, and a
    page of a thousand records would otherwise set off a collection every few records (a
    third of the parsing time). The collector runs as before between pages."""
    while True:
        enabled = gc.isenabled()
        gc.disable()
        try:
            page = next(pages, None)
        finally:
            if enabled:
                gc.enable()
        if page is None:
            return
        yield page


def _latest(records: list, field: str, best: str | None) -> str | None:
    """The greatest well-formed ``field`` value of ``records`` above ``best`` (14 digits sort
    as time; only the candidates from the top down are parsed, usually one a page)."""
    candidates = {
        value
        for rec in records
        if rec.__class__ is dict
        and (value := rec.get(field)).__class__ is str
        and len(value) == 14
        and (best is None or value > best)
        and value.isdigit()
    }
    return next((value for value in sorted(candidates, reverse=True) if parse_ts(value) is not None), best)


def ingest_procedures(con, client: PortalClient, settings: Settings) -> IngestResult:
    """The whole catalogue, as one batch: a partial catalogue never lands."""
    pages = list(client.procedures())
    return _land_pages(
        con,
        source="portal.thu-tuc",
        table="portal_procedures",
        pages=iter(pages),
        settings=settings.with_(batch_rows=10**12),
        scrub=None,
        cursor_field=None,
        window=(None, None),
        previous_cursor=None,
    )


def _window(con, source: str, settings: Settings, until: datetime) -> tuple[datetime, datetime, datetime | None]:
    cursor = get_cursor(con, source)
    start = datetime.combine(settings.start_date, datetime.min.time())
    since = max(start, cursor - settings.overlap) if cursor else start
    return since, until, cursor


def ingest_dossiers(con, client: PortalClient, settings: Settings, until: datetime | None = None) -> IngestResult:
    until = until or local_now()
    since, until, cursor = _window(con, "portal.ho-so", settings, until)
    log.info("portal.ho-so: reading NgayCapNhat from %s to %s", since, until)
    scrub = partial(scrub_dossier, key=hash_key(settings.hash_key))
    return _land_pages(
        con,
        source="portal.ho-so",
        table="portal_dossiers",
        pages=client.dossiers(since, until),
        settings=settings,
        scrub=scrub,
        cursor_field="NgayCapNhat",
        window=(since, until),
        previous_cursor=cursor,
    )


def ingest_ratings(con, client: PortalClient, settings: Settings, until: datetime | None = None) -> IngestResult:
    until = until or local_now()
    since, until, cursor = _window(con, "portal.danh-gia", settings, until)
    log.info("portal.danh-gia: reading NgayDanhGia from %s to %s", since, until)
    return _land_pages(
        con,
        source="portal.danh-gia",
        table="portal_ratings",
        pages=client.ratings(since, until),
        settings=settings,
        scrub=None,
        cursor_field="NgayDanhGia",
        window=(since, until),
        previous_cursor=cursor,
    )
