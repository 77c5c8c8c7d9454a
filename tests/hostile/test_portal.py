"""A misbehaving portal (a real HTTP server, tests/hostile/server.py) against the real
client: no secret leaves for another host or a log line, no walk runs past its budget, no
record is left unread because the server's numbers lie."""

from __future__ import annotations

import logging
import time
from datetime import datetime

import pytest

from connectors.portal import PortalClient, PortalError, excerpt, safe_url
from orchestration.settings import Settings
from tests.hostile.server import CLIENT_ID, CLIENT_SECRET, TOKEN, HostilePortal, HostileState, Misbehaviour

SINCE, UNTIL = datetime(2024, 1, 1), datetime(2024, 12, 31)


@pytest.fixture
def portals():
    started = []

    def _start(bad: Misbehaviour | None = None, **records) -> HostilePortal:
        state = HostileState(bad=bad or Misbehaviour())
        state.records.update(records)
        portal = HostilePortal(state).start()
        started.append(portal)
        return portal

    yield _start
    for portal in started:
        portal.stop()


def client(portal, **kw) -> PortalClient:
    kw.setdefault("sleep", lambda s: None)
    return PortalClient(portal.url, CLIENT_ID, CLIENT_SECRET, **kw)


def procedures(n: int) -> list[dict]:
    return [{"MaTTHC": f"1.{i:06d}", "NgayCapNhat": "20240101000000"} for i in range(n)]


def test_a_token_redirect_to_another_host_sends_it_nothing(portals):
    elsewhere = portals()
    portal = portals(Misbehaviour(token_redirect_to=elsewhere.url), **{"thu-tuc": procedures(3)})
    with pytest.raises(PortalError, match="redirect") as err:
        list(client(portal).procedures())
    assert elsewhere.state.requests == [], "credentials were sent to another host"
    assert CLIENT_SECRET not in str(err.value)


def test_a_list_redirect_loads_nothing_from_another_host(portals):
    elsewhere = portals(**{"thu-tuc": procedures(5)})
    portal = portals(Misbehaviour(list_redirect_to=elsewhere.url), **{"thu-tuc": procedures(3)})
    with pytest.raises(PortalError, match="HTTP 302, a redirect to http://127.0.0.1"):
        list(client(portal).procedures())
    assert elsewhere.state.requests == []


def test_an_error_that_echoes_the_request_leaks_no_token(portals, caplog):
    portal = portals(Misbehaviour(echo_error=True), **{"thu-tuc": procedures(3)})
    caplog.set_level(logging.DEBUG)
    with pytest.raises(PortalError, match="HTTP 400") as err:
        list(client(portal).procedures())
    text = str(err.value) + caplog.text
    assert TOKEN not in text and "SECRETTOKEN" not in text and CLIENT_SECRET not in text
    assert "Bad request. You sent" in str(err.value)  # a short excerpt is kept, scrubbed
    assert "\n" not in str(err.value)


def test_excerpt_and_url_scrub_secrets():
    body = (
        b'{"access_token": "abc123def", "client_secret":"s3cr3t", "detail": "Authorization: Bearer zzz999",'
        + b'"x": "'
        + b"y" * 500
        + b'"}'
    )
    text = excerpt(body, secrets=("s3cr3t",))
    assert "abc123def" not in text and "s3cr3t" not in text and "zzz999" not in text
    assert len(text) <= 161
    assert (
        safe_url("https://user:pw@portal.vn/api?page=1&access_token=T0K")
        == "https://portal.vn/api?page=1&access_token=%2A%2A%2A"
    )


def test_a_total_that_keeps_growing_is_stopped(portals):
    portal = portals(Misbehaviour(growing_total=True, page_cap=50))
    c = client(portal, page_size=50)
    started = time.monotonic()
    with pytest.raises(PortalError, match="grew|do not end"):
        list(c.procedures())
    assert c.requests_made < 80 and time.monotonic() - started < 20


def test_pages_that_never_end_are_stopped(portals):
    portal = portals(Misbehaviour(endless_pages=True, page_cap=50))
    c = client(portal, page_size=50)
    with pytest.raises(PortalError, match="do not end"):
        list(c.procedures())
    # 300 records announced, pages of 50: the cap is a few dozen pages, not thousands
    assert c.requests_made < 80


def test_a_trickling_answer_is_cut_off_within_the_budget(portals):
    portal = portals(Misbehaviour(trickle_seconds=0.2), **{"thu-tuc": procedures(2)})
    c = client(portal, response_timeout=1.0, time_budget=3.0, timeout=5.0)
    started = time.monotonic()
    with pytest.raises(PortalError, match="time budget"):
        list(c.procedures())
    assert time.monotonic() - started < 6


def test_size_zero_with_full_pages_reads_every_record_and_warns(portals, caplog):
    records = [{"MaHoSo": f"HS{i:03d}", "NgayCapNhat": f"202403{1 + i // 10:02d}120000"} for i in range(60)]
    portal = portals(Misbehaviour(announced_size=0, page_cap=10), **{"ho-so": records})
    caplog.set_level(logging.WARNING)
    read = [r["MaHoSo"] for page in client(portal, page_size=100).dossiers(SINCE, UNTIL) for r in page.records]
    assert set(read) == {r["MaHoSo"] for r in records}
    assert "announced size=0 but sent 10 records" in caplog.text


@pytest.mark.parametrize("value", ["0", "1001", "-5", "ten"])
def test_a_page_size_outside_1_to_1000_is_refused(value):
    with pytest.raises(ValueError, match="CCHC_PORTAL_PAGE_SIZE"):
        Settings.from_env({"CCHC_PORTAL_PAGE_SIZE": value})
    with pytest.raises(ValueError, match="page size"):
        PortalClient("http://127.0.0.1:9", "c", "s", page_size=0)


def test_time_budget_is_configurable_and_checked():
    assert Settings.from_env({"CCHC_PORTAL_TIME_BUDGET_SECONDS": "90"}).portal_time_budget_seconds == 90
    with pytest.raises(ValueError, match="CCHC_PORTAL_TIME_BUDGET_SECONDS"):
        Settings.from_env({"CCHC_PORTAL_TIME_BUDGET_SECONDS": "0"})
