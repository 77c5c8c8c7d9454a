"""HTTP client of the public-service portal (dịch vụ công), DOMAIN.md 2.1.

Plain Python, no Dagster: the pipeline calls it, tests drive it against the emulator.

- Client-credentials token, renewed when the server answers ``401``.
- Retries with exponential backoff and full jitter on ``429`` (honouring ``Retry-After``),
  ``5xx``, timeouts, dropped connections and bodies that are not valid JSON; a bounded
  number of attempts, then ``PortalError`` naming the URL and the last status. Neither the
  client secret nor the token ever appears in a message or a log line.
- Pagination is driven by the server's answer (``size``, ``total``), not by the size asked.
- Dossiers are read with *keyset* pagination over the window: after each page the window's
  lower bound moves to the last ``NgayCapNhat`` read, and page numbers only advance when a
  whole page shares one timestamp. A dossier that changes while we page moves to a later
  ``NgayCapNhat``, so it is read again later instead of shifting an unread record onto a
  page we already passed (which a page-number walk would silently skip).
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar
from datetime import datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlencode

import pyarrow as pa
import requests

log = logging.getLogger(__name__)

TS_FORMAT = "%Y%m%d%H%M%S"
RETRY_STATUSES = {429, 500, 502, 503, 504}


class PortalError(RuntimeError):
    """The portal could not be read; the message names the URL and status, never a secret."""


@dataclass(frozen=True)
class _Transient:
    """A fault worth another attempt (timeout, dropped connection, 429, 5xx, bad JSON)."""

    why: str
    response: requests.Response | None = None


T = TypeVar("T")


@dataclass(frozen=True)
class Page:
    """One page as received: its URL (no credentials in it), page number and records."""

    endpoint: str
    url: str
    page: int
    records: list[dict]


def format_ts(ts: datetime) -> str:
    return ts.strftime(TS_FORMAT)


def parse_ts(value) -> datetime | None:
    """A contract timestamp: exactly 14 digits forming a real calendar time, else None."""
    if not isinstance(value, str) or len(value) != 14 or not value.isdigit():
        return None
    try:
        return datetime.strptime(value, TS_FORMAT)
    except ValueError:
        return None


@dataclass
class PortalClient:
    base_url: str
    client_id: str
    client_secret: str = field(repr=False)
    page_size: int = 1000
    timeout: float = 30.0
    max_attempts: int = 8
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    retry_after_max: float = 300.0
    sleep: Callable[[float], None] = time.sleep
    session: requests.Session = field(default_factory=requests.Session, repr=False)
    _token: str | None = field(default=None, init=False, repr=False)
    requests_made: int = field(default=0, init=False)
    retries: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")

    # ------------------------------------------------------------------ transport
    def _retrying(self, url: str, attempt: Callable[[], "_Transient | T"]) -> T:
        """Run ``attempt`` until it returns a result, backing off after transient faults."""
        last = "no answer"
        for n in range(1, self.max_attempts + 1):
            outcome = attempt()
            if not isinstance(outcome, _Transient):
                return outcome
            last = outcome.why
            self._backoff(n, outcome.response, url, outcome.why)
        raise PortalError(f"portal request to {url} failed after {self.max_attempts} attempts: last {last}")

    def _call(self, send: Callable[..., requests.Response], url: str, **kwargs) -> "_Transient | requests.Response":
        """One HTTP exchange; transient faults come back as ``_Transient``."""
        self.requests_made += 1
        try:
            resp = send(url, timeout=self.timeout, **kwargs)
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
            return _Transient(type(exc).__name__)
        if resp.status_code in RETRY_STATUSES:
            return _Transient(f"HTTP {resp.status_code}", resp)
        return resp

    def _backoff(self, attempt: int, resp: requests.Response | None, url: str, why: str) -> None:
        if attempt >= self.max_attempts:
            return
        delay = None
        if resp is not None and resp.status_code == 429:
            delay = _retry_after_seconds(resp.headers.get("Retry-After"))
            if delay is not None:
                delay = min(delay, self.retry_after_max)
        if delay is None:
            delay = random.uniform(0, min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1)))
        self.retries += 1
        log.warning("portal: %s on %s; retry %d/%d in %.2fs", why, url, attempt, self.max_attempts - 1, delay)
        self.sleep(delay)

    # ------------------------------------------------------------------ auth
    def _fetch_token(self) -> str:
        url = f"{self.base_url}/oauth/token"
        form = {"grant_type": "client_credentials", "client_id": self.client_id,
                "client_secret": self.client_secret}

        def attempt():
            resp = self._call(self.session.post, url, data=form)
            if isinstance(resp, _Transient):
                return resp
            if resp.status_code != 200:
                raise PortalError(
                    f"portal token request to {url} refused (HTTP {resp.status_code}); "
                    "check CCHC_PORTAL_CLIENT_ID and CCHC_PORTAL_CLIENT_SECRET")
            try:
                return resp.json()["access_token"]
            except (ValueError, KeyError, TypeError):
                return _Transient("token answer is not the contract's JSON")

        return self._retrying(url, attempt)

    # ------------------------------------------------------------------ one GET
    def get_json(self, path: str, params: dict) -> tuple[str, dict]:
        """GET one list page; returns (url, body). Rides out transient faults; a 401 gets a
        new token and repeats the request without spending an attempt."""
        url = f"{self.base_url}{path}?{urlencode(params)}"

        def attempt():
            for _ in range(4):
                if self._token is None:
                    self._token = self._fetch_token()
                resp = self._call(self.session.get, url, headers={"Authorization": f"Bearer {self._token}"})
                if isinstance(resp, _Transient):
                    return resp
                if resp.status_code != 401:
                    break
                self._token = None  # expired or revoked
            else:
                raise PortalError(f"portal GET {url} keeps answering HTTP 401 after new tokens")
            if resp.status_code != 200:
                raise PortalError(f"portal GET {url} answered HTTP {resp.status_code}: {resp.text[:200]}")
            try:
                body = resp.json()
            except ValueError:
                return _Transient("body is not valid JSON")
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                return _Transient("body is not the contract's list answer")
            return url, body

        return self._retrying(url, attempt)

    # ------------------------------------------------------------------ lists
    def _walk(self, endpoint: str, path: str, params: dict) -> Iterator[Page]:
        """Page-number walk driven by the server's ``size`` and ``total``."""
        page = 1
        while True:
            url, body = self.get_json(path, {**params, "page": page, "size": self.page_size})
            rows = body["data"]
            yield Page(endpoint, url, page, rows)
            size, total = _int(body.get("size"), len(rows)), _int(body.get("total"), 0)
            if not rows or size <= 0 or page * size >= total:
                return
            page += 1

    def procedures(self) -> Iterator[Page]:
        """The whole current procedure catalogue (thu-tuc)."""
        yield from self._walk("thu-tuc", "/api/v1/thu-tuc", {})

    def ratings(self, since: datetime, until: datetime) -> Iterator[Page]:
        """Ratings with ``since <= NgayDanhGia <= until``.

        The contract sets no order for ratings, so this is a plain page walk; a rating that
        shifts between pages is caught by the next run's overlap (a re-read counts once).
        """
        yield from self._walk("danh-gia", "/api/v1/danh-gia",
                              {"tuNgay": format_ts(since), "denNgay": format_ts(until)})

    def dossiers(self, since: datetime, until: datetime) -> Iterator[Page]:
        """Dossiers with ``since <= NgayCapNhat <= until``, keyset-paginated (module doc)."""
        lo, page = since, 1
        while True:
            url, body = self.get_json("/api/v1/ho-so", {
                "tuNgayCapNhat": format_ts(lo), "denNgayCapNhat": format_ts(until),
                "page": page, "size": self.page_size})
            rows = body["data"]
            yield Page("ho-so", url, page, rows)
            size, total = _int(body.get("size"), len(rows)), _int(body.get("total"), 0)
            if not rows or size <= 0 or page * size >= total:
                return
            last = next((t for t in (parse_ts(r.get("NgayCapNhat")) for r in reversed(rows)
                                     if isinstance(r, dict)) if t is not None), None)
            if last is not None and last > lo:
                lo, page = last, 1
            else:
                page += 1


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def page_to_arrow(page: Page, scrub: Callable[[dict], dict] | None = None):
    """One page as an Arrow table: ``_source`` (URL), ``_page``, ``_row`` and the JSON payload.

    Each record is serialised as received, after ``scrub`` removed personal data; a record
    that is not a JSON object is kept as received, so data quality can report it.
    """
    payloads = []
    for rec in page.records:
        if scrub is not None and isinstance(rec, dict):
            rec = scrub(rec)
        payloads.append(json.dumps(rec, ensure_ascii=False, separators=(",", ":")))
    n = len(payloads)
    return pa.table({
        "_source": pa.array([page.url] * n, pa.string()),
        "_page": pa.array([page.page] * n, pa.int32()),
        "_row": pa.array(range(1, n + 1), pa.int32()),
        "payload": pa.array(payloads, pa.string()),
    })


def prefetched(pages: Iterator[Page], depth: int = 2) -> Iterator[Page]:
    """Read ahead: the next pages are requested while the caller lands the current one.

    The portal generates and sends page n+1 while we scrub and land page n, so both sides
    work at once. Errors are raised in the caller's thread, in order.
    """
    import queue
    import threading

    done = object()
    buffer: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def worker() -> None:
        try:
            for page in pages:
                while not stop.is_set():
                    try:
                        buffer.put(page, timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            buffer.put(done)
        except BaseException as exc:  # handed to the caller
            buffer.put(exc)

    thread = threading.Thread(target=worker, name="portal-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = buffer.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
