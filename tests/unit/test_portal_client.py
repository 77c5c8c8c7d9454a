"""The portal client against the emulator: faults ridden out, nothing lost or doubled."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from connectors.portal import PortalClient, PortalError, parse_ts
from sandbox.portal import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Faults

SINCE, UNTIL = datetime(2023, 1, 1), datetime(2026, 1, 1)


def client(server, **kw) -> tuple[PortalClient, list[float]]:
    sleeps: list[float] = []
    c = PortalClient(server.url, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, sleep=sleeps.append, **kw)
    return c, sleeps


def expected_final_state(server) -> dict[str, dict]:
    """What the portal holds now, read straight from its state (not through the client)."""
    state = server.state
    a, b, _, _ = state.dossier_window(SINCE, UNTIL)
    total = (b - a) - len([k for k in state.moved if a <= k < b]) + len(state.moved)
    rows, _ = state.dossier_page(SINCE, UNTIL, 1, total)
    latest: dict[str, dict] = {}
    for r in rows:
        latest[r["MaHoSo"] + "|" + r["NgayCapNhat"]] = r
    return latest


def test_clean_read_returns_every_event_once_in_order(make_portal):
    server = make_portal(300)
    c, sleeps = client(server, page_size=50)
    records = [r for page in c.dossiers(SINCE, UNTIL) for r in page.records]
    keys = [(r["MaHoSo"], r["NgayCapNhat"]) for r in records]
    # keyset pagination re-reads the last record of each page; nothing else repeats
    assert len(set(keys)) == server.state.data.n_events
    assert len(keys) - len(set(keys)) <= c.requests_made
    assert sleeps == []


def test_every_fault_on_nothing_lost_nothing_invented(make_portal, caplog):
    server = make_portal(2000, Faults.all_on())
    c, sleeps = client(server, page_size=1000)
    caplog.set_level(logging.DEBUG)
    pages = list(c.dossiers(SINCE, UNTIL))
    got = {r["MaHoSo"] + "|" + r["NgayCapNhat"]: r for p in pages for r in p.records}
    expected = expected_final_state(server)
    # every record the portal holds now was read (moved dossiers in their new version)...
    assert set(expected) <= set(got)
    # ...and the only extra keys are older versions of dossiers that moved while we paged
    extra = {k.split("|")[0] for k in set(got) - set(expected)}
    moved_codes = {server.state.data.dossier_event(k)["MaHoSo"] for k in server.state.moved}
    assert extra <= moved_codes
    assert server.state.moved, "the moving-records fault must have fired"
    # the page cap was honoured: the client followed the server's size, not its own
    assert max(len(p.records) for p in pages) <= Faults.all_on().page_cap
    # 429 answers were honoured with their Retry-After (1 s); others backed off with jitter
    assert 1.0 in sleeps
    assert c.retries >= 4
    assert DEMO_CLIENT_SECRET not in caplog.text
    assert "Bearer" not in caplog.text


def test_token_expiry_is_renewed_transparently(make_portal):
    server = make_portal(200, Faults(token_ttl_calls=2))
    c, _ = client(server, page_size=20)
    records = [r for p in c.dossiers(SINCE, UNTIL) for r in p.records]
    assert {r["MaHoSo"] for r in records} == {
        server.state.data.dossier_event(k)["MaHoSo"] for k in range(server.state.data.n_events)
    }
    assert len(server.state.tokens) > 3  # several tokens were issued


def test_procedures_and_ratings_walk_by_server_size(make_portal):
    server = make_portal(500, Faults(page_cap=7))
    c, _ = client(server, page_size=1000)
    procs = [r for p in c.procedures() for r in p.records]
    assert len(procs) == len({r["MaTTHC"] for r in procs}) == 60
    ratings = [r for p in c.ratings(SINCE, UNTIL) for r in p.records]
    assert len(ratings) == len({r["MaDanhGia"] for r in ratings}) == server.state.ratings(SINCE, UNTIL)[1]
    assert len(ratings) > 50


def test_persistent_failure_gives_a_clear_error_without_the_secret(make_portal):
    server = make_portal(50, Faults(server_error_every=1))
    c, sleeps = client(server, max_attempts=4)
    with pytest.raises(PortalError) as err:
        list(c.procedures())
    message = str(err.value)
    assert "/api/v1/thu-tuc" in message and "HTTP 50" in message and "4 attempts" in message
    assert DEMO_CLIENT_SECRET not in message
    assert len(sleeps) == 3  # bounded: attempts - 1 waits


def test_wrong_credentials_fail_at_once_naming_the_settings(make_portal):
    server = make_portal(50)
    c = PortalClient(server.url, DEMO_CLIENT_ID, "wrong-secret", sleep=lambda s: None)
    with pytest.raises(PortalError) as err:
        list(c.procedures())
    assert "CCHC_PORTAL_CLIENT_SECRET" in str(err.value)
    assert "wrong-secret" not in str(err.value)


def test_window_is_inclusive_at_both_ends(make_portal):
    server = make_portal(100)
    data = server.state.data
    first, last = data.time_of(10), data.time_of(20)
    c, _ = client(server)
    records = [r for p in c.dossiers(first, last) for r in p.records]
    stamps = sorted({parse_ts(r["NgayCapNhat"]) for r in records} - {None})
    assert stamps[0] == first and stamps[-1] == last


@pytest.mark.parametrize(
    "value,expected",
    [
        ("20240229235959", datetime(2024, 2, 29, 23, 59, 59)),
        ("20230229000000", None),
        ("2024022912000", None),
        ("", None),
        (None, None),
        ("2024-02-29 10:00", None),
    ],
)
def test_parse_ts_follows_the_contract(value, expected):
    assert parse_ts(value) == expected


def test_moving_records_would_defeat_a_plain_page_walk(make_portal):
    """The emulator's 'records move between pages' fault is real: a client that walks page
    numbers over a fixed window loses records, which is why ours pages by keyset."""
    server = make_portal(300, Faults(move_every=1, page_cap=25))
    c, _ = client(server)
    params = {"tuNgayCapNhat": "20230101000000", "denNgayCapNhat": "20260101000000", "size": 25}
    seen, page = set(), 1
    while True:
        _, body = c.get_json("/api/v1/ho-so", {**params, "page": page})
        seen |= {(r["MaHoSo"], r["NgayCapNhat"]) for r in body["data"]}
        if page * body["size"] >= body["total"]:
            break
        page += 1
    expected = {(r["MaHoSo"], r["NgayCapNhat"]) for r in expected_final_state(server).values()}
    assert expected - seen, "a page-number walk should have skipped records that shifted"


def test_timeouts_are_retried(make_portal):
    server = make_portal(150, Faults(slow_every=2, slow_seconds=0.6))
    c, sleeps = client(server, page_size=40, timeout=0.3)
    records = [r for p in c.dossiers(SINCE, UNTIL) for r in p.records]
    assert {r["MaHoSo"] for r in records} == {
        server.state.data.dossier_event(k)["MaHoSo"] for k in range(server.state.data.n_events)
    }
    assert c.retries >= 1


def test_retry_after_as_an_http_date():
    from datetime import timedelta
    from email.utils import format_datetime

    from connectors.portal import _retry_after_seconds

    later = datetime.now(UTC) + timedelta(seconds=30)
    assert 25 <= _retry_after_seconds(format_datetime(later, usegmt=True)) <= 31
    assert _retry_after_seconds("7") == 7.0
    assert _retry_after_seconds("soon") is None


def test_what_the_fast_parser_refuses_is_read_and_landed_all_the_same():
    """orjson refuses integers past 64 bits, NaN and lone surrogates, which ``json`` reads:
    such a record is still parsed, serialised, and lands as JSON DuckDB reads."""
    import duckdb

    from connectors.portal import Page, page_to_arrow, parse_json

    body = parse_json(
        b'{"data": [{"a": 123456789012345678901234567890, "b": NaN, "c": "x\\ud800y", "d": "Vi\xe1\xbb\x87t"}]}'
    )
    record = body["data"][0]
    assert record["a"] == 123456789012345678901234567890 and record["d"] == "Việt"
    payload = page_to_arrow(Page("ho-so", "http://h/api/v1/ho-so?page=1", 1, body["data"])).column("payload")[0].as_py()
    got = duckdb.execute("select ?::json->>'c', ?::json->>'d', (?::json->>'a')", [payload] * 3).fetchone()
    assert got == ("x\ufffd\ufffd\ufffdy", "Việt", "123456789012345678901234567890")


def test_the_cursor_is_the_latest_well_formed_time():
    from orchestration.ingest import _latest

    records = [
        {"NgayCapNhat": "20240301101010"},
        {"NgayCapNhat": "20241399000000"},  # 14 digits, not a time: never the cursor
        {"NgayCapNhat": "2024"},
        {"NgayCapNhat": 20250101000000},
        "not a record",
        {"NgayCapNhat": "20240302000000"},
    ]
    assert _latest(records, "NgayCapNhat", None) == "20240302000000"
    assert _latest(records, "NgayCapNhat", "20240401000000") == "20240401000000"  # nothing later: kept
    assert _latest([{"NgayCapNhat": "20241399000000"}], "NgayCapNhat", None) is None
