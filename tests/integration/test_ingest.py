"""Ingest: cursors move only with committed batches; a broken run loses nothing."""

from __future__ import annotations

import duckdb
import pytest

from connectors.portal import PortalError
from orchestration.ingest import client_from_settings, ingest_dossiers
from orchestration.warehouse import get_cursor, open_warehouse


def test_cursor_advances_only_with_committed_batches(make_portal, settings_for):
    server = make_portal(900)
    settings = settings_for(server, batch_rows=150, portal_page_size=100)
    client = client_from_settings(settings)
    client.max_attempts = 2
    client.sleep = lambda s: None

    # The portal breaks for good after a few pages: the run fails part-way.
    pages_before_failure = 5
    original = server.state.dossier_page
    calls = {"n": 0}

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > pages_before_failure:
            raise ConnectionResetError("portal went away")
        return original(*args, **kwargs)

    server.state.dossier_page = failing
    with open_warehouse(settings) as con, pytest.raises(PortalError):
        ingest_dossiers(con, client, settings)

    with open_warehouse(settings) as con:
        cursor = get_cursor(con, "portal.ho-so")
        landed = con.execute("select count(*), max(payload->>'NgayCapNhat') from raw.portal_dossiers").fetchone()
        batches = con.execute("select count(*), sum(rows_read) from raw.batches").fetchone()
    # Only whole batches landed (two pages of 100 reach the 150-record batch size), and the
    # cursor is the last committed batch's maximum.
    assert landed[0] == batches[1] == 200 * batches[0] and 0 < landed[0] < 100 * pages_before_failure
    assert cursor is not None and cursor.strftime("%Y%m%d%H%M%S") == landed[1]

    # The portal is back: the next run starts before the cursor and nothing is missing.
    server.state.dossier_page = original
    with open_warehouse(settings) as con:
        result = ingest_dossiers(con, client, settings)
    assert result.window_from < cursor
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    got = {
        tuple(r)
        for r in con.execute("select payload->>'MaHoSo', payload->>'NgayCapNhat' from raw.portal_dossiers").fetchall()
    }
    con.close()
    data = server.state.data
    expected = {(data.dossier_event(k)["MaHoSo"], data.dossier_event(k)["NgayCapNhat"]) for k in range(data.n_events)}
    assert expected <= got


def test_personal_data_never_lands(make_portal, settings_for):
    server = make_portal(200)
    settings = settings_for(server)
    with open_warehouse(settings) as con:
        ingest_dossiers(con, client_from_settings(settings), settings)
        payloads = " ".join(r[0] for r in con.execute("select payload from raw.portal_dossiers").fetchall())
    data = server.state.data
    for k in range(data.n_events):
        rec = data.dossier_event(k)
        for field in ("ChuHoSo", "SoGiayToChuHoSo", "DiaChi"):
            assert rec[field] not in payloads
        if rec["SoDienThoai"]:
            assert rec["SoDienThoai"] not in payloads
