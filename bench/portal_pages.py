"""A bench portal that serves pre-built pages, so the ingest figure is the client's own.

The sample portal (``sandbox.portal``) generates each record when a page is asked for
(about 90 µs a dossier), which is the portal's cost, not ours. Here every record of the
sample year is generated once, before any timing, and written as its JSON text into one
file per list (cached under ``data/bench_cache``: the same size is built once per
machine). Serving a page is then a binary search for the window and one slice of a
memory-mapped file: the client's parsing, scrubbing and landing are what the bench
measures.

It speaks the same contract as the sample portal (token, ``ho-so`` keyset windows on
``NgayCapNhat``, ``danh-gia`` windows on ``NgayDanhGia``, ``thu-tuc``), without faults.
``--visible`` serves only the first share of the year's events (the portal as it stood on
an earlier day): a bench run at 0.99 and then at 1.0 is a daily run that brings the last
1 % of new and changed dossiers.

    python -m bench.portal_pages --dossiers 1000000 --port 8766 [--visible 0.99]
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import json
import mmap
import os
import secrets
import subprocess
import sys
from array import array
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from orchestration.demo import free_port, wait_for_port
from sandbox.portal import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, MAX_PAGE_SIZE, _parse_ts
from sandbox.portal_data import PortalData

CACHE = Path("data/bench_cache")
CHUNK = 20_000  # events a generating worker encodes at a time
EPOCH = datetime(1970, 1, 1)


def _seconds(ts: datetime) -> int:
    return int((ts - EPOCH).total_seconds())


def _encode(record: dict) -> bytes:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode()


def _dossier_chunk(args: tuple[int, int, int, int]) -> tuple[bytes, list[int], list[int]]:
    """Events [a, b) encoded: their bytes (each followed by ','), lengths and times."""
    n, year, a, b = args
    data = PortalData(year=year, n_dossiers=n)
    out, lengths, times = [], [], []
    for k in range(a, b):
        text = _encode(data.dossier_event(k)) + b","
        out.append(text)
        lengths.append(len(text))
        times.append(_seconds(data.time_of(k)))
    return b"".join(out), lengths, times


def _rating_chunk(args: tuple[int, int, int, int]) -> list[tuple[int, str, bytes]]:
    n, year, a, b = args
    data = PortalData(year=year, n_dossiers=n)
    out = []
    for k in range(a, b):
        stub = data.rating_stub(k)
        if stub is not None:
            out.append((_seconds(stub[0]), stub[1], _encode(data.rating_record(stub)) + b","))
    return out


class PrebuiltList:
    """One list's records in server order: a file of JSON texts each followed by ',', the
    offset where each starts and its window time (seconds since the epoch)."""

    def __init__(self, folder: Path, name: str):
        self.file = open(folder / f"{name}.json", "rb")  # noqa: SIM115 - lives as long as the server
        self.map = mmap.mmap(self.file.fileno(), 0, access=mmap.ACCESS_READ) if os.path.getsize(self.file.name) else b""
        self.offsets, self.times = array("q"), array("q")
        self.offsets.frombytes((folder / f"{name}.offsets").read_bytes())
        self.times.frombytes((folder / f"{name}.times").read_bytes())

    def window(self, lo: datetime, hi: datetime, visible: int) -> tuple[int, int]:
        a = bisect.bisect_left(self.times, _seconds(lo), 0, visible)
        b = bisect.bisect_right(self.times, _seconds(hi), 0, visible)
        return a, b

    def page(self, a: int, b: int) -> bytes:
        """The records [a, b) as the inside of a JSON array."""
        return self.map[self.offsets[a] : self.offsets[b] - 1] if b > a else b""


def _write_list(folder: Path, name: str, chunks) -> None:
    offsets, times, at = array("q", [0]), array("q"), 0
    with open(folder / f"{name}.json", "wb") as f:
        for blob, lengths, chunk_times in chunks:
            f.write(blob)
            for length in lengths:
                at += length
                offsets.append(at)
            times.extend(chunk_times)
    (folder / f"{name}.offsets").write_bytes(offsets.tobytes())
    (folder / f"{name}.times").write_bytes(times.tobytes())


def build(dossiers: int, year: int = 2024, cache: Path = CACHE) -> Path:
    """Generate (once) the pre-built lists of a sample year; returns their folder."""
    folder = cache / f"portal-{dossiers}-{year}"
    if (folder / "done").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    data = PortalData(year=year, n_dossiers=dossiers)
    spans = [(dossiers, year, a, min(a + CHUNK, data.n_events)) for a in range(0, data.n_events, CHUNK)]
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        _write_list(folder, "ho-so", pool.map(_dossier_chunk, spans))
        stubs = sorted(s for chunk in pool.map(_rating_chunk, spans) for s in chunk)
    _write_list(folder, "danh-gia", ((s[2], [len(s[2])], [s[0]]) for s in stubs))
    procedures = [data.procedure_record(p) for p in data.procedures]
    (folder / "thu-tuc.json").write_bytes(json.dumps(procedures, ensure_ascii=False).encode())
    (folder / "done").write_text(datetime.now().isoformat())
    return folder


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: PrebuiltPortal

    def log_message(self, fmt, *args):
        pass

    def _send(self, status: int, parts: list[bytes]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(sum(len(p) for p in parts)))
        self.end_headers()
        for part in parts:
            self.wfile.write(part)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        if form.get("client_id") != DEMO_CLIENT_ID or form.get("client_secret") != DEMO_CLIENT_SECRET:
            return self._send(401, [b'{"error":"invalid_client"}'])
        token = secrets.token_hex(16)
        self.server.tokens.add(token)
        body = {"access_token": token, "token_type": "Bearer", "expires_in": 3600}
        return self._send(200, [json.dumps(body).encode()])

    def do_GET(self):
        server = self.server
        if self.headers.get("Authorization", "")[7:] not in server.tokens:
            return self._send(401, [b'{"error":"invalid_token"}'])
        url = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        page, size = int(q.get("page", "1")), min(int(q.get("size", "100")), MAX_PAGE_SIZE)
        if url.path == "/api/v1/thu-tuc":
            rows, total = server.procedures[(page - 1) * size : page * size], len(server.procedures)
            return self._send(200, [json.dumps({"data": rows, "page": page, "size": size, "total": total}).encode()])
        if url.path == "/api/v1/ho-so":
            listing, lo, hi = server.dossiers, q.get("tuNgayCapNhat"), q.get("denNgayCapNhat")
        elif url.path == "/api/v1/danh-gia":
            listing, lo, hi = server.ratings, q.get("tuNgay"), q.get("denNgay")
        else:
            return self._send(404, [b'{"error":"not found"}'])
        lo, hi = _parse_ts(lo), _parse_ts(hi)
        if lo is None or hi is None:
            return self._send(400, [b'{"error":"window bounds are yyyyMMddHHmmss"}'])
        visible = server.visible(listing)
        a, b = listing.window(lo, hi, visible)
        start, stop = min(b, a + (page - 1) * size), min(b, a + page * size)
        tail = f'],"page":{page},"size":{size},"total":{b - a}}}'.encode()
        return self._send(200, [b'{"data":[', listing.page(start, stop), tail])


class PrebuiltPortal(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, folder: Path, visible: float = 1.0, host: str = "127.0.0.1", port: int = 0):
        super().__init__((host, port), _Handler)
        self.dossiers, self.ratings = PrebuiltList(folder, "ho-so"), PrebuiltList(folder, "danh-gia")
        self.procedures = json.loads((folder / "thu-tuc.json").read_bytes())
        self.tokens: set[str] = set()
        # the portal as it stood when the first `visible` share of the year's events had happened
        last = max(0, int(len(self.dossiers.times) * visible) - 1)
        self.until = self.dossiers.times[last] if visible < 1 else max(self.ratings.times, default=0)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def visible(self, listing: PrebuiltList) -> int:
        return bisect.bisect_right(listing.times, self.until)


def start(dossiers: int, visible: float = 1.0, year: int = 2024) -> tuple[subprocess.Popen, str]:
    """The pre-built portal in its own process (built first if the cache lacks it)."""
    build(dossiers, year)
    port = free_port()
    cmd = [sys.executable, "-m", "bench.portal_pages", "--dossiers", str(dossiers), "--year", str(year)]
    proc = subprocess.Popen([*cmd, "--port", str(port), "--visible", str(visible)], stderr=subprocess.DEVNULL)
    return proc, wait_for_port(proc, port)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.portal_pages", description=__doc__.splitlines()[0])
    ap.add_argument("--dossiers", type=int, default=50_000)
    ap.add_argument("--year", type=int, default=2024)
    ap.add_argument("--port", type=int, default=8766)
    ap.add_argument("--visible", type=float, default=1.0, help="share of the year's events served (0-1]")
    ap.add_argument("--build-only", action="store_true", help="build the pages and exit")
    args = ap.parse_args(argv)
    folder = build(args.dossiers, args.year)
    if args.build_only:
        return
    server = PrebuiltPortal(folder, args.visible, port=args.port)
    print(f"pre-built portal on http://127.0.0.1:{args.port} ({folder})", file=sys.stderr, flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
