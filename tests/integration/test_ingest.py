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


def _landed(settings) -> dict[str, list]:
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        return {
            table: sorted(r[0] for r in con.execute(f"select payload from raw.{table}").fetchall())
            for table in ("portal_procedures", "portal_dossiers", "portal_ratings")
        }
    finally:
        con.close()


def test_bench_portal_serves_what_the_sample_portal_serves(make_portal, settings_for, tmp_path):
    """The bench's pre-built pages are the sample portal's records: the bench measures the
    client on the same data; a run on the first 99 % of the year and a daily run after it
    land what one run over the whole year lands."""
    import threading

    from bench.portal_pages import PrebuiltPortal, build
    from orchestration.ingest import ingest_procedures, ingest_ratings

    folder = build(1500, cache=tmp_path / "cache")

    def land(server, warehouse):
        settings = settings_for(server, portal_page_size=100, warehouse=tmp_path / warehouse)
        client = client_from_settings(settings)
        with open_warehouse(settings) as con:
            for ingest in (ingest_procedures, ingest_dossiers, ingest_ratings):
                ingest(con, client, settings)
        return settings

    expected = _landed(land(make_portal(1500), "sample.duckdb"))
    servers = [PrebuiltPortal(folder, visible) for visible in (1.0, 0.99, 1.0)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert _landed(land(servers[0], "prebuilt.duckdb")) == expected
        land(servers[1], "daily.duckdb")
        daily = _landed(land(servers[2], "daily.duckdb"))
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
    assert len(set(expected["portal_dossiers"])) == 1650 and expected["portal_ratings"]
    # the daily run re-reads the overlap window: every record lands, some twice
    assert {k: sorted(set(v)) for k, v in daily.items()} == {k: sorted(set(v)) for k, v in expected.items()}
