"""A portal that misbehaves on purpose: a real HTTP server on loopback speaking the
contract of DOMAIN.md 2.1, whose answers a test bends (``Misbehaviour``).

Kept apart from ``sandbox/portal.py`` (the honest emulator the demo uses): this one holds a
handful of hand-written records and every way a server can lie, stall or redirect.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

CLIENT_ID, CLIENT_SECRET = "hostile-client", "hostile-secret-XYZ123"
TOKEN = "tok-SECRETTOKEN-0042"


@dataclass
class Misbehaviour:
    token_redirect_to: str | None = None  # the token endpoint answers 307 there
    list_redirect_to: str | None = None  # every list answers 302 there
    echo_error: bool = False  # lists answer 400 echoing the request's headers
    growing_total: bool = False  # total grows by a page each page; pages stay full
    endless_pages: bool = False  # total stays put; full pages never end
    trickle_seconds: float = 0.0  # the body goes out a byte at a time, this far apart
    announced_size: object = None  # `size` sent instead of the true page length
    page_cap: int = 1000  # the largest page sent


@dataclass
class HostileState:
    records: dict[str, list] = field(default_factory=lambda: {"thu-tuc": [], "ho-so": [], "danh-gia": []})
    bad: Misbehaviour = field(default_factory=Misbehaviour)
    requests: list[tuple[str, str, dict]] = field(default_factory=list)  # (method, path, headers)
    first_lo: dict[str, str] = field(default_factory=dict)  # the window start of each endpoint's first walk
    lock: threading.Lock = field(default_factory=threading.Lock)


WINDOWS = {
    "ho-so": ("tuNgayCapNhat", "denNgayCapNhat", "NgayCapNhat"),
    "danh-gia": ("tuNgay", "denNgay", "NgayDanhGia"),
}


def _in_window(record, endpoint: str, query: dict, first_lo: str) -> bool:
    """Windowed lists keep records whose time is in the window; a record without a usable
    time (a hostile shape) comes first in the walk's first window."""
    if endpoint not in WINDOWS:
        return True
    lo_name, hi_name, field_name = WINDOWS[endpoint]
    lo, hi = query.get(lo_name, [""])[0], query.get(hi_name, [""])[0]
    value = record.get(field_name) if isinstance(record, dict) else None
    if not (isinstance(value, str) and len(value) == 14 and value.isdigit()):
        return lo == first_lo
    return lo <= value <= hi


def _sort_key(record, endpoint: str):
    if endpoint not in WINDOWS or not isinstance(record, dict):
        return ("", "")
    _, _, field_name = WINDOWS[endpoint]
    value = record.get(field_name)
    return (value if isinstance(value, str) else "", str(record.get("MaHoSo", "")))


class Handler(BaseHTTPRequestHandler):
    state: HostileState

    def log_message(self, *args):  # quiet
        pass

    def _record(self, method: str) -> None:
        with self.state.lock:
            self.state.requests.append((method, self.path, dict(self.headers)))

    def _send(self, status: int, body: bytes, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        bad = self.state.bad
        if bad.trickle_seconds and status == 200 and self.path.startswith("/api/"):
            try:
                for i in range(len(body)):
                    self.wfile.write(body[i : i + 1])
                    self.wfile.flush()
                    time.sleep(bad.trickle_seconds)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return
        self.wfile.write(body)

    def do_POST(self):
        self._record("POST")
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode())
        bad = self.state.bad
        if bad.token_redirect_to:
            self._send(307, b"", {"Location": bad.token_redirect_to + "/oauth/token"})
            return
        if form.get("client_id") != [CLIENT_ID] or form.get("client_secret") != [CLIENT_SECRET]:
            self._send(401, b'{"error":"invalid_client"}')
            return
        self._send(200, json.dumps({"access_token": TOKEN, "token_type": "Bearer", "expires_in": 3600}).encode())

    def do_GET(self):
        self._record("GET")
        url = urlparse(self.path)
        query = parse_qs(url.query)
        bad = self.state.bad
        if bad.list_redirect_to:
            self._send(302, b"", {"Location": bad.list_redirect_to + self.path})
            return
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._send(401, b'{"error":"invalid_token"}')
            return
        if bad.echo_error:
            echoed = "".join(f"{k}: {v}\n" for k, v in self.headers.items())
            self._send(400, f"Bad request. You sent:\n{echoed}".encode())
            return
        endpoint = url.path.rsplit("/", 1)[-1]
        page = int(query.get("page", ["1"])[0])
        size = min(int(query.get("size", ["1000"])[0]), bad.page_cap)
        if bad.growing_total or bad.endless_pages:
            data = [{"MaTTHC": f"9.{page:06d}.{i}", "NgayCapNhat": "20240101000000"} for i in range(size)]
            total = (page + 1) * size if bad.growing_total else 6 * size
        else:
            lo_name = WINDOWS.get(endpoint, ("",))[0]
            first_lo = self.state.first_lo.setdefault(endpoint, query.get(lo_name, [""])[0])
            rows = sorted(
                (r for r in self.state.records.get(endpoint, []) if _in_window(r, endpoint, query, first_lo)),
                key=lambda r: _sort_key(r, endpoint),
            )
            data, total = rows[(page - 1) * size : page * size], len(rows)
        announced = len(data) if bad.announced_size is None else bad.announced_size
        self._send(
            200,
            json.dumps({"data": data, "page": page, "size": announced, "total": total}, ensure_ascii=False).encode(),
        )


class HostilePortal:
    def __init__(self, state: HostileState | None = None):
        self.state = state or HostileState()
        handler = type("BoundHandler", (Handler,), {"state": self.state})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> HostilePortal:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
