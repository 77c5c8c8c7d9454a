"""An HTTP emulator of the provincial public-service portal (DOMAIN.md 2.1).

It speaks the reference contract exactly: ``POST /oauth/token`` (client credentials),
``GET /api/v1/thu-tuc``, ``GET /api/v1/ho-so`` windowed on ``NgayCapNhat`` and
``GET /api/v1/danh-gia`` windowed on ``NgayDanhGia``; every list answers
``{"data", "page", "size", "total"}``. Faults a real portal shows can be switched on
(``Faults``) to prove the client rides them out.

Run it on its own: ``python -m sandbox.portal --port 8765 --dossiers 50000 --year 2024``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from sandbox.portal_data import PortalData

MAX_PAGE_SIZE = 1000
DEMO_CLIENT_ID = "demo-client"
DEMO_CLIENT_SECRET = "demo-secret-not-for-production"


@dataclass
class Faults:
    """Every fault is off at 0. ``*_every=n`` hits every n-th API request."""

    rate_limit_every: int = 0
    retry_after: int = 1
    server_error_every: int = 0
    truncate_every: int = 0
    drop_every: int = 0
    slow_every: int = 0
    slow_seconds: float = 0.0
    token_ttl_calls: int = 0  # a token stops working after this many calls
    page_cap: int = MAX_PAGE_SIZE  # the largest page the server agrees to send
    move_every: int = 0  # every n-th dossier page, a dossier already served gets a new version

    @classmethod
    def all_on(cls) -> Faults:
        return cls(
            rate_limit_every=9,
            server_error_every=7,
            truncate_every=11,
            drop_every=13,
            token_ttl_calls=5,
            page_cap=97,
            move_every=3,
        )


def _parse_ts(value: str | None) -> datetime | None:
    if value is None or len(value) != 14 or not value.isdigit():
        return None
    try:
        return datetime.strptime(value, "%Y%m%d%H%M%S")
    except ValueError:
        return None


@dataclass
class PortalState:
    data: PortalData
    faults: Faults = field(default_factory=Faults)
    client_id: str = DEMO_CLIENT_ID
    client_secret: str = DEMO_CLIENT_SECRET
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: int = 0
    dossier_pages: int = 0
    tokens: dict[str, int] = field(default_factory=dict)  # token -> calls left (-1 = unlimited)
    moved: dict[int, datetime] = field(default_factory=dict)  # event index -> new NgayCapNhat
    last_dossier_page: tuple[int, int] | None = None  # event index range served last
    rating_cache: dict[tuple, list] = field(default_factory=dict)

    # ------------------------------------------------------------------ dossiers
    def dossier_window(self, lo: datetime, hi: datetime) -> tuple[int, int, list[int], list[tuple[datetime, int]]]:
        """Event range [a, b) inside the window, moved-away events in it, moved-in extras."""
        a = self.data.first_event_at_or_after(lo)
        b = self.data.first_event_at_or_after(hi + timedelta(seconds=1))
        removed = sorted(k for k in self.moved if a <= k < b)
        extras = sorted((t, k) for k, t in self.moved.items() if lo <= t <= hi)
        return a, b, removed, extras

    def dossier_page(self, lo: datetime, hi: datetime, page: int, size: int) -> tuple[list[dict], int]:
        a, b, removed, extras = self.dossier_window(lo, hi)
        base_count = (b - a) - len(removed)
        total = base_count + len(extras)
        start, stop = (page - 1) * size, min(page * size, total)
        out: list[dict] = []
        served: list[int] = []
        if start < base_count:
            # Walk base events from the start-th surviving one, skipping moved-away events.
            k = a + start
            for r in removed:
                if r <= k:
                    k += 1
            removed_set = set(removed)
            while k < b and len(out) < min(stop, base_count) - start:
                if k not in removed_set:
                    out.append(self.data.dossier_event(k))
                    served.append(k)
                k += 1
        # Moved records carry a NgayCapNhat after every base event, so they come last.
        for i in range(max(start, base_count), stop):
            t, k = extras[i - base_count]
            out.append(self.data.dossier_event(k, updated_at=t))
        if served:
            self.last_dossier_page = (served[0], served[-1])
        return out, total

    def maybe_move(self) -> None:
        """Data changes between pages: a dossier already served gets a newer version."""
        self.dossier_pages += 1
        if not self.faults.move_every or self.dossier_pages % self.faults.move_every:
            return
        if self.last_dossier_page is None or len(self.moved) >= 50:
            return
        k = self.last_dossier_page[0]
        if k in self.moved:
            return
        last = self.data.time_of(self.data.n_events - 1)
        self.moved[k] = last + timedelta(seconds=1 + len(self.moved))

    # ------------------------------------------------------------------ ratings
    def ratings_window(self, lo: datetime, hi: datetime) -> list[tuple]:
        """Rating stubs in [lo, hi], in the server's order (NgayDanhGia, MaDanhGia)."""
        key = (lo, hi)
        if key not in self.rating_cache:
            a = self.data.first_event_at_or_after(lo - self.data.RATING_DELAY_MAX)
            b = self.data.first_event_at_or_after(hi + timedelta(seconds=1))
            stubs = [s for s in map(self.data.rating_stub, range(a, b)) if s is not None and lo <= s[0] <= hi]
            stubs.sort()
            self.rating_cache = {key: stubs}
        return self.rating_cache[key]

    def ratings(self, lo: datetime, hi: datetime, page: int = 1, size: int | None = None) -> tuple[list[dict], int]:
        stubs = self.ratings_window(lo, hi)
        chosen = stubs if size is None else stubs[(page - 1) * size : page * size]
        return [self.data.rating_record(s) for s in chosen], len(stubs)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: PortalServer

    def log_message(self, fmt, *args):  # keep test output quiet
        pass

    # ------------------------------------------------------------------ plumbing
    def _send(self, status: int, body: dict | None = None, headers: dict | None = None, truncate: bool = False) -> None:
        payload = json.dumps(body, ensure_ascii=False).encode() if body is not None else b""
        if truncate:
            payload = payload[: max(1, len(payload) // 2)]
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(payload)

    def _error(self, status: int, message: str, headers: dict | None = None) -> None:
        self._send(status, {"error": message}, headers)

    # ------------------------------------------------------------------ token
    def do_POST(self):
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        if urlparse(self.path).path != "/oauth/token":
            return self._error(404, "not found")
        if form.get("grant_type") != "client_credentials":
            return self._error(400, "unsupported_grant_type")
        if form.get("client_id") != state.client_id or form.get("client_secret") != state.client_secret:
            return self._error(401, "invalid_client")
        token = secrets.token_hex(16)
        with state.lock:
            state.tokens[token] = state.faults.token_ttl_calls or -1
        self._send(200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600})

    # ------------------------------------------------------------------ lists
    def do_GET(self):
        state = self.server.state
        url = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        f = state.faults
        with state.lock:
            state.requests += 1
            n = state.requests
            auth = self.headers.get("Authorization", "")
            token = auth[7:] if auth.startswith("Bearer ") else ""
            left = state.tokens.get(token)
            if left is not None and left > 0:
                state.tokens[token] = left - 1
            valid = left is not None and left != 0
        if not valid:
            return self._error(401, "invalid_token", {"WWW-Authenticate": 'Bearer error="invalid_token"'})
        if f.drop_every and n % f.drop_every == 0:
            self.close_connection = True
            self.connection.shutdown(2)
            return None
        if f.rate_limit_every and n % f.rate_limit_every == 0:
            return self._error(429, "too many requests", {"Retry-After": str(f.retry_after)})
        if f.server_error_every and n % f.server_error_every == 0:
            return self._error((500, 502, 503, 504)[n % 4], "upstream error")
        if f.slow_every and n % f.slow_every == 0:
            time.sleep(f.slow_seconds)
        truncate = bool(f.truncate_every and n % f.truncate_every == 0)

        try:
            page = int(q.get("page", "1"))
            size = int(q.get("size", "100"))
        except ValueError:
            return self._error(400, "page and size must be integers")
        if page < 1 or size < 1:
            return self._error(400, "page and size start at 1")
        size = min(size, MAX_PAGE_SIZE, f.page_cap)

        if url.path == "/api/v1/thu-tuc":
            rows = [state.data.procedure_record(p) for p in state.data.procedures]
            return self._send(
                200,
                {"data": rows[(page - 1) * size : page * size], "page": page, "size": size, "total": len(rows)},
                truncate=truncate,
            )
        if url.path == "/api/v1/ho-so":
            lo, hi = _parse_ts(q.get("tuNgayCapNhat")), _parse_ts(q.get("denNgayCapNhat"))
            if lo is None or hi is None:
                return self._error(400, "tuNgayCapNhat and denNgayCapNhat are yyyyMMddHHmmss")
            with state.lock:
                # Data changes between pages: before this page is served, a dossier from the
                # previous page may get a newer version (so it moves to a later position).
                state.maybe_move()
                rows, total = state.dossier_page(lo, hi, page, size)
            return self._send(200, {"data": rows, "page": page, "size": size, "total": total}, truncate=truncate)
        if url.path == "/api/v1/danh-gia":
            lo, hi = _parse_ts(q.get("tuNgay")), _parse_ts(q.get("denNgay"))
            if lo is None or hi is None:
                return self._error(400, "tuNgay and denNgay are yyyyMMddHHmmss")
            with state.lock:
                rows, total = state.ratings(lo, hi, page, size)
            return self._send(200, {"data": rows, "page": page, "size": size, "total": total}, truncate=truncate)
        return self._error(404, "not found")


class PortalServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: PortalState, host: str = "127.0.0.1", port: int = 0):
        super().__init__((host, port), _Handler)
        self.state = state
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> PortalServer:
        self._thread = threading.Thread(target=self.serve_forever, name="sample-portal", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def __enter__(self) -> PortalServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def serve(data: PortalData | None = None, faults: Faults | None = None, port: int = 0) -> PortalServer:
    """Start the emulator on loopback in a background thread."""
    return PortalServer(PortalState(data or PortalData(), faults or Faults()), port=port).start()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Sample public-service portal (dịch vụ công) emulator")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--dossiers", type=int, default=50_000)
    ap.add_argument("--year", type=int, default=2024)
    ap.add_argument("--seed", type=int, default=766)
    ap.add_argument("--faults", action="store_true", help="switch every fault on")
    args = ap.parse_args(argv)
    state = PortalState(
        PortalData(year=args.year, n_dossiers=args.dossiers, seed=args.seed),
        Faults.all_on() if args.faults else Faults(),
    )
    server = PortalServer(state, host=args.host, port=args.port)
    print(f"sample portal on {server.url} ({args.dossiers} dossiers, {args.year})", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
