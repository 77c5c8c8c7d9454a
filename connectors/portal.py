"""HTTP client of the public-service portal (dịch vụ công), DOMAIN.md 2.1.

Plain Python, no Dagster: the pipeline calls it, tests drive it against the emulator.

- Client-credentials token, renewed when the server answers ``401``.
- Retries with exponential backoff and full jitter on ``429`` (honouring ``Retry-After``),
  ``5xx``, timeouts, dropped connections and bodies that are not valid JSON; a bounded
  number of attempts, then ``PortalError`` naming the URL and the last status.
- Nothing a server sends is trusted (docs/decisions.md, "Hostile input"):
  - redirects are never followed: credentials only ever go to ``base_url``;
  - an error names the status, the URL (without credentials) and at most a short excerpt
    of the answer with anything secret-looking cut out; neither the client secret nor the
    token ever appears in a message or a log line;
  - every walk has a time budget, every answer a deadline (a server trickling bytes is cut
    off) and a size cap;
  - pages are read until a short or empty page (the records are trusted, not ``size``),
    within a cap on pages and on ``total`` growing while reading.
- Dossiers are read with *keyset* pagination over the window: after each page the window's
  lower bound moves to the last ``NgayCapNhat`` read, and page numbers only advance when a
  whole page shares one timestamp. A dossier that changes while we page moves to a later
  ``NgayCapNhat``, so it is read again later instead of shifting an unread record onto a
  page we already passed (which a page-number walk would silently skip).
"""

from __future__ import annotations

import json
import logging
import math
import random
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson
import pyarrow as pa
import requests
import urllib3

from connectors.personal import without_personal

log = logging.getLogger(__name__)

TS_FORMAT = "%Y%m%d%H%M%S"
RETRY_STATUSES = {429, 500, 502, 503, 504}
MAX_PAGE_SIZE = 1000
EXCERPT_CHARS = 160
# A walk may read this much more than the first page announced (records that change while
# we page move inside the window) before the server is taken to be misbehaving.
TOTAL_GROWTH_SHARE = 0.05
TOTAL_GROWTH_RECORDS = 1000
EXTRA_PAGES = 10


class PortalError(RuntimeError):
    """The portal could not be read; the message names the URL and status, never a secret."""


@dataclass(frozen=True)
class _Transient:
    """A fault worth another attempt (timeout, dropped connection, 429, 5xx, bad JSON)."""

    why: str
    response: requests.Response | None = None
    unreachable: bool = False  # no connection at all (refused, no such host, timed out connecting)


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
    page_size: int = MAX_PAGE_SIZE
    timeout: float = 30.0  # stall: seconds without a byte from the server
    response_timeout: float = 120.0  # one whole answer, however it trickles
    time_budget: float = 3600.0  # one walk of one endpoint (a run reads each once)
    max_page_bytes: int = 64 << 20
    max_attempts: int = 8
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    retry_after_max: float = 300.0
    sleep: Callable[[float], None] = time.sleep
    session: requests.Session = field(default_factory=requests.Session, repr=False)
    _token: str | None = field(default=None, init=False, repr=False)
    _deadline: float | None = field(default=None, init=False, repr=False)
    _budget_for: str = field(default="", init=False, repr=False)
    requests_made: int = field(default=0, init=False)
    retries: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        if not isinstance(self.page_size, int) or not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page size must be a whole number from 1 to {MAX_PAGE_SIZE}, got {self.page_size!r}")
        # Proxies and .netrc credentials from the environment are not this client's to send.
        self.session.trust_env = False

    # ------------------------------------------------------------------ budget
    def _start_budget(self, endpoint: str) -> None:
        self._deadline = time.monotonic() + self.time_budget
        self._budget_for = endpoint

    def _remaining(self) -> float:
        if self._deadline is None:
            return math.inf
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise PortalError(
                f"portal {self._budget_for}: time budget of {self.time_budget:g} s spent after "
                f"{self.requests_made} requests (CCHC_PORTAL_TIME_BUDGET_SECONDS); the next run goes on from "
                "the last landed batch"
            )
        return left

    # ------------------------------------------------------------------ transport
    def _retrying(self, url: str, attempt: Callable[[], _Transient | T]) -> T:
        """Run ``attempt`` until it returns a result, backing off after transient faults;
        past the last attempt (or the time budget) one ``PortalError`` says what kept failing."""
        started = time.monotonic()
        for n in range(1, self.max_attempts + 1):
            outcome = attempt()
            if not isinstance(outcome, _Transient):
                return outcome
            if n == self.max_attempts:
                raise PortalError(self._gave_up(url, outcome, n, started, ""))
            delay = self._delay(n, outcome.response)
            if delay >= self._remaining():
                raise PortalError(
                    self._gave_up(
                        url,
                        outcome,
                        n,
                        started,
                        f"; the time budget of {self.time_budget:g} s (CCHC_PORTAL_TIME_BUDGET_SECONDS) leaves no "
                        f"time for the retry in {delay:.0f} s",
                    )
                )
            self.retries += 1
            log.info(  # the run log has each retry; the error at the end counts them
                "portal: %s on %s; retry %d/%d in %.2fs", outcome.why, safe_url(url), n, self.max_attempts - 1, delay
            )
            self.sleep(delay)
        raise AssertionError("unreachable")  # the loop returns or raises

    def _gave_up(self, url: str, fault: _Transient, attempts: int, started: float, budget: str) -> str:
        tried = f"{attempts} attempt{'s' * (attempts > 1)} over {time.monotonic() - started:.0f} s"
        if fault.unreachable:
            return (
                f"cannot reach the portal at {safe_url(self.base_url)} (CCHC_PORTAL_URL): {fault.why}, {tried}{budget}"
            )
        return f"the portal at {safe_url(url)} kept failing: {fault.why}, {tried}{budget}"

    def _delay(self, attempt: int, resp: requests.Response | None) -> float:
        """Seconds before the next attempt: the server's ``Retry-After`` on 429 (capped),
        else exponential backoff with full jitter."""
        if resp is not None and resp.status_code == 429:
            delay = _retry_after_seconds(resp.headers.get("Retry-After"))
            if delay is not None:
                return min(delay, self.retry_after_max)
        return random.uniform(0, min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1)))

    def _call(
        self, send: Callable[..., requests.Response], url: str, **kwargs
    ) -> _Transient | tuple[requests.Response, bytes]:
        """One HTTP exchange, its body read within the answer's deadline and size cap;
        transient faults come back as ``_Transient``. Redirects are refused."""
        self.requests_made += 1
        remaining = self._remaining()
        deadline = time.monotonic() + min(self.response_timeout, remaining)
        stall = min(self.timeout, remaining)
        try:
            resp = send(url, timeout=(min(10.0, stall), stall), allow_redirects=False, stream=True, **kwargs)
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
            unreachable = isinstance(exc, requests.ConnectionError) and not isinstance(
                exc, requests.exceptions.ReadTimeout
            )
            return _Transient(_connection_fault(exc), unreachable=unreachable)
        try:
            if resp.is_redirect or 300 <= resp.status_code < 400:
                raise PortalError(
                    f"portal {safe_url(url)} answered HTTP {resp.status_code}, a redirect to "
                    f"{_origin(resp.headers.get('Location', ''))}: redirects are not followed (credentials go to "
                    "CCHC_PORTAL_URL only); set CCHC_PORTAL_URL to the address that answers"
                )
            limit = self.max_page_bytes if resp.status_code == 200 else 4096
            body = _read_body(resp, deadline, limit)
        except _TooSlow:
            return _Transient(f"answer not complete within {min(self.response_timeout, remaining):g} s")
        except _TooLarge:
            raise PortalError(
                f"portal {safe_url(url)} sent an answer larger than {self.max_page_bytes >> 20} MiB; "
                "ask for smaller pages (CCHC_PORTAL_PAGE_SIZE)"
            ) from None
        except (
            requests.ConnectionError,
            requests.Timeout,
            requests.exceptions.ChunkedEncodingError,
            urllib3.exceptions.HTTPError,
            OSError,
        ) as exc:
            return _Transient(type(exc).__name__)
        finally:
            resp.close()
        if resp.status_code in RETRY_STATUSES:
            return _Transient(f"HTTP {resp.status_code}", resp)
        return resp, body

    def _excerpt(self, body: bytes) -> str:
        return excerpt(body, secrets=(self.client_secret, self.client_id, self._token or ""))

    # ------------------------------------------------------------------ auth
    def _fetch_token(self) -> str:
        url = f"{self.base_url}/oauth/token"
        form = {"grant_type": "client_credentials", "client_id": self.client_id, "client_secret": self.client_secret}

        def attempt():
            answer = self._call(self.session.post, url, data=form)
            if isinstance(answer, _Transient):
                return answer
            resp, body = answer
            if resp.status_code in (400, 401, 403):
                raise PortalError(
                    f"the portal refused the client credentials (HTTP {resp.status_code} from {safe_url(url)}): "
                    "check CCHC_PORTAL_CLIENT_ID and CCHC_PORTAL_CLIENT_SECRET"
                )
            if resp.status_code != 200:
                raise PortalError(
                    f"the portal's token endpoint {safe_url(url)} answered HTTP {resp.status_code}: "
                    f"{self._excerpt(body)!r}"
                )
            try:
                token = json.loads(body)["access_token"]
            except (ValueError, KeyError, TypeError, RecursionError):
                return _Transient("token answer is not the contract's JSON")
            if not isinstance(token, str) or not token or not token.isprintable():
                return _Transient("token answer is not the contract's JSON")
            return token

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
                answer = self._call(self.session.get, url, headers={"Authorization": f"Bearer {self._token}"})
                if isinstance(answer, _Transient):
                    return answer
                resp, raw = answer
                if resp.status_code != 401:
                    break
                self._token = None  # expired or revoked
            else:
                raise PortalError(f"portal GET {safe_url(url)} keeps answering HTTP 401 after new tokens")
            if resp.status_code != 200:
                raise PortalError(
                    f"portal GET {safe_url(url)} answered HTTP {resp.status_code}: {self._excerpt(raw)!r}"
                )
            try:
                body = parse_json(raw)
            except (ValueError, RecursionError):
                return _Transient("body is not valid JSON")
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                return _Transient("body is not the contract's list answer")
            return url, body

        return self._retrying(url, attempt)

    # ------------------------------------------------------------------ lists
    def _walk(
        self, endpoint: str, path: str, params: dict, keyset: tuple[str, datetime] | None = None
    ) -> Iterator[Page]:
        """Read one endpoint page by page until a short or empty page.

        The records are trusted, not the server's ``size``: the longest page seen is the
        server's page length, and a page shorter than it ends the walk (a first page ends it
        when it is shorter than asked and ``total`` says nothing is left). With ``keyset``
        (the window's lower-bound parameter and its start), the walk restarts the window at
        the last ``NgayCapNhat`` read after each page (module doc).

        Guards against a server that never ends: the pages read, and ``total`` while
        reading, may pass what the first page announced by ``TOTAL_GROWTH_*`` at most.
        """
        self._start_budget(endpoint)
        lo = keyset[1] if keyset else None
        page, longest, pages_read, announced, consumed, warned = 1, 0, 0, None, 0, False
        window_rows = 0  # records read in the current keyset window
        while True:
            query = dict(params)
            if keyset:
                query[keyset[0]] = format_ts(lo)
            query.update(page=page, size=self.page_size)
            url, body = self.get_json(path, query)
            rows = body["data"]
            pages_read += 1
            yield Page(endpoint, url, page, rows)
            size, total = _count(body.get("size")), _count(body.get("total"))
            if not rows:
                return
            if len(rows) < longest:
                return  # a short page: the last
            if pages_read == 1 and len(rows) < self.page_size and total is not None and len(rows) >= total:
                return  # one page holds it all
            longest = len(rows)
            if size != len(rows) and not warned:
                warned = True
                log.warning(
                    "portal %s: the server announced size=%s but sent %d records a page; reading on "
                    "until a short or empty page",
                    endpoint,
                    body.get("size"),
                    len(rows),
                )
            window_rows += len(rows)
            if announced is None:
                announced = total if total is not None else 0
                limit = announced + max(TOTAL_GROWTH_RECORDS, int(announced * TOTAL_GROWTH_SHARE))
                max_pages = math.ceil(limit / max(1, longest // 2)) + EXTRA_PAGES
            if total is not None and consumed + total > limit:
                raise PortalError(
                    f"portal {endpoint}: the announced total grew from {announced} to "
                    f"{consumed + total} while reading; stopped (the server is not paging a fixed "
                    "window)"
                )
            if pages_read >= max_pages:
                raise PortalError(
                    f"portal {endpoint}: {pages_read} pages read for {announced} records announced; "
                    "stopped (the server's pages do not end)"
                )
            # the last well-formed NgayCapNhat of the page (14 digits sort as time)
            last_text = None
            if keyset:
                last_text = next(
                    (v for r in reversed(rows) if isinstance(r, dict) and parse_ts(v := r.get("NgayCapNhat"))),
                    None,
                )
            last = parse_ts(last_text) if last_text else None
            if last is not None and last > lo:
                # the records before `last` are done; those at `last` are read again
                at_last = sum(1 for r in rows if isinstance(r, dict) and r.get("NgayCapNhat") == last_text)
                consumed += window_rows - at_last
                lo, page, window_rows = last, 1, 0
            else:
                page += 1

    def procedures(self) -> Iterator[Page]:
        """The whole current procedure catalogue (thu-tuc)."""
        yield from self._walk("thu-tuc", "/api/v1/thu-tuc", {})

    def ratings(self, since: datetime, until: datetime) -> Iterator[Page]:
        """Ratings with ``since <= NgayDanhGia <= until``.

        The contract sets no order for ratings, so this is a plain page walk; a rating that
        shifts between pages is caught by the next run's overlap (a re-read counts once).
        """
        yield from self._walk("danh-gia", "/api/v1/danh-gia", {"tuNgay": format_ts(since), "denNgay": format_ts(until)})

    def dossiers(self, since: datetime, until: datetime) -> Iterator[Page]:
        """Dossiers with ``since <= NgayCapNhat <= until``, keyset-paginated (module doc)."""
        yield from self._walk(
            "ho-so", "/api/v1/ho-so", {"denNgayCapNhat": format_ts(until)}, keyset=("tuNgayCapNhat", since)
        )


class _TooSlow(Exception):
    pass


class _TooLarge(Exception):
    pass


def _read_body(resp: requests.Response, deadline: float, limit: int) -> bytes:
    """The whole body, as it arrives, by ``deadline`` and within ``limit`` bytes."""
    chunks, size = [], 0
    while True:
        if time.monotonic() > deadline:
            raise _TooSlow()
        block = resp.raw.read1(1 << 16, decode_content=True)
        if not block:
            return b"".join(chunks)
        size += len(block)
        if size > limit:
            if limit < (1 << 20):  # an error answer: its start is all we show
                chunks.append(block)
                return b"".join(chunks)[:limit]
            raise _TooLarge()
        chunks.append(block)


def _count(value) -> int | None:
    """A non-negative count sent by the server (``size``, ``total``), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


_SECRET_PARAM = re.compile(r"token|secret|key|pass|sig|auth|credential", re.IGNORECASE)
_SECRET_TEXT = re.compile(
    r"(?i)(bearer|basic)\s+[^\s\"',;}]+"
    r"|((?:access_|refresh_)?token|client_secret|secret|password|authorization|api[_-]?key)"
    r"([\"']?\s*[:=]\s*[\"']?)(?:(?:bearer|basic)\s+)?[^\s\"',;&}]+"
)


def _connection_fault(exc: Exception) -> str:
    """A failed connection in the words an operator searches for."""
    text = str(exc).lower()
    if isinstance(exc, requests.ConnectTimeout):
        return "connection timed out"
    if isinstance(exc, requests.Timeout):
        return "no answer in time"
    for marker, words in (
        ("connection refused", "connection refused"),
        ("name or service not known", "no such host (DNS)"),
        ("nodename nor servname", "no such host (DNS)"),
        ("temporary failure in name resolution", "no such host (DNS)"),
        ("network is unreachable", "network unreachable"),
        ("no route to host", "no route to host"),
        ("certificate verify failed", "TLS certificate not trusted"),
        ("connection reset", "connection reset"),
        ("remotedisconnected", "connection closed without an answer"),
    ):
        if marker in text:
            return words
    return type(exc).__name__


def safe_url(url: str) -> str:
    """A URL fit for a log line: no user or password, secret-looking query values masked."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    query = urlencode(
        [(k, "***" if _SECRET_PARAM.search(k) else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    )
    return urlunsplit((parts.scheme, host, parts.path, query, ""))


def _origin(location: str) -> str:
    parts = urlsplit(location)
    if not parts.netloc:
        return "a path on the same server"
    return f"{parts.scheme}://{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")


def excerpt(body: bytes, secrets: tuple[str, ...] = ()) -> str:
    """At most ``EXCERPT_CHARS`` of an answer, on one line, with credentials cut out."""
    text = body[:4096].decode("utf-8", errors="replace")
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    text = _SECRET_TEXT.sub(lambda m: (m.group(1) + " ***") if m.group(1) else (m.group(2) + m.group(3) + "***"), text)
    text = "".join(c if c.isprintable() else " " for c in text)
    text = re.sub(r"\s+", " ", text).strip()
    return text[:EXCERPT_CHARS] + ("…" if len(text) > EXCERPT_CHARS else "")


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


def source_location(url: str) -> str:
    """Where a page came from, as it stays meaningful after the run: the path and query
    (``/api/v1/ho-so?page=3&…``). The portal's base URL (a demo's port, a server that
    moves) is not part of a record; the publication names it once (``release_info``)."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def parse_json(raw: bytes):
    """A JSON answer, parsed by orjson (several times faster than ``json``); what orjson
    refuses and ``json`` reads (integers past 64 bits, ``NaN``) is read by ``json``, so a
    record is never lost to the parser's choice."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)


def _dumps(record) -> bytes:
    try:
        return orjson.dumps(record)
    except TypeError:
        # what orjson cannot write: an integer past 64 bits, or a lone surrogate (``"\\ud800"``
        # read by ``json``), which no UTF-8 text holds: it lands as U+FFFD
        text = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace").encode()


def page_to_arrow(page: Page, scrub: Callable[[dict], dict] | None = None):
    """One page as an Arrow table: ``_source`` (path and query), ``_page``, ``_row`` and the JSON payload.

    Each record is serialised as received, after ``scrub`` (or, for sources without
    personal fields by contract, ``without_personal``) removed personal data wherever it
    sits; a record that is not a JSON object is kept otherwise as received, so data quality
    can report it.
    """
    clean = scrub if scrub is not None else without_personal
    payloads = [_dumps(clean(rec)) for rec in page.records]
    n = len(payloads)
    return pa.table(
        {
            "_source": pa.array([source_location(page.url)] * n, pa.string()),
            "_page": pa.array([page.page] * n, pa.int32()),
            "_row": pa.array(range(1, n + 1), pa.int32()),
            "payload": pa.array(payloads, pa.binary()).cast(pa.string()),
        }
    )


def prefetched(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """Read ahead: the next items (pages, or pages already turned into Arrow) are produced
    in a reader thread while the caller lands the current one.

    The portal sends page n+1, and the reader parses and scrubs it, while we land page n,
    so both sides work at once. Errors are raised in the caller's thread, in order.
    """
    import queue
    import threading

    done = object()
    buffer: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def worker() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        buffer.put(item, timeout=0.2)
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
