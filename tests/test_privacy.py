"""Privacy: retention with automatic deletion, deleting a workshop at once, the notice."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.routing import APIRoute, APIWebSocketRoute
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session
from starlette.routing import BaseRoute
from starlette.websockets import WebSocketDisconnect

from app.db import forget_deleted
from app.main import create_app
from app.settings import Settings
from app.tables.presence import mark_gone
from app.workshops.retention import delete_workshop, next_sweep_in, purge_expired
from tests.conftest import PUBLIC_URL, WS_BASE, form, new_phone
from tests.seeding import SEED_DATE, seed_workshop

CHILD_TABLES = (
    "workshop_table",
    "seat",
    "interview",
    "placement",
    "interview_note",
    "table_event",
    "share_link",
)


def _rows(client: TestClient, workshop_id: str) -> dict[str, int]:
    """How many rows of each table belong to one workshop (deleted must mean gone)."""
    queries = {
        "workshop": "SELECT count(*) FROM workshop WHERE id = :w",
        "workshop_table": "SELECT count(*) FROM workshop_table WHERE workshop_id = :w",
        "share_link": "SELECT count(*) FROM share_link WHERE workshop_id = :w",
    }
    tables = "SELECT id FROM workshop_table WHERE workshop_id = :w"
    for name in ("seat", "interview", "table_event"):
        queries[name] = f"SELECT count(*) FROM {name} WHERE table_id IN ({tables})"
    interviews = f"SELECT id FROM interview WHERE table_id IN ({tables})"
    for name in ("placement", "interview_note"):
        queries[name] = f"SELECT count(*) FROM {name} WHERE interview_id IN ({interviews})"
    with Session(client.app.state.engine) as session:
        return {
            k: session.execute(text(q), {"w": workshop_id}).scalar_one() for k, q in queries.items()
        }


def _full_workshop(client: TestClient, **kwargs: object) -> tuple[dict, str]:
    """A workshop with boards, notes, seats, events and a share link: something in every table."""
    workshop, token = seed_workshop(
        client,
        {(1, 1): [("A1-1", "stimulating", "large", "uitleg", "")]},
        {(1, 1): {"development": "Een verhaal over iemand"}},
        **kwargs,
    )
    code = workshop["tables"][0]["join_code"]
    phone = new_phone(client)
    phone.post(f"/api/tables/{code}/seat", json={"role": "reporter", "name": "Ann"})
    with phone.websocket_connect(f"{WS_BASE}/ws/tables/{code}") as socket:
        socket.receive_json()
        socket.send_json({"type": "note", "id": "n1", "field": "stands_out", "text": "iets"})
        while socket.receive_json()["type"] != "ack":
            pass
    client.post(f"/f/{token}/shares", data=form(client))
    return workshop, token


def test_retention_defaults_to_90_days_and_can_be_chosen(client: TestClient) -> None:
    day = dt.date.today() - dt.timedelta(days=3)
    made = client.post("/api/workshops", json={"title": "T", "tables": 1, "date": str(day)})
    body = made.json()
    assert body["retention_days"] == 90
    assert body["delete_on"] == str(day + dt.timedelta(days=90))
    short = client.post(
        "/api/workshops",
        json={"title": "T", "tables": 1, "date": str(day), "retention_days": 7},
    )
    assert short.json()["delete_on"] == str(day + dt.timedelta(days=7))
    for bad in (0, 366, "soon"):
        refused = client.post(
            "/api/workshops", json={"title": "T", "tables": 1, "retention_days": bad}
        )
        assert refused.status_code == 422


def test_expired_workshops_are_deleted_with_everything_in_them(client: TestClient) -> None:
    old, _ = _full_workshop(client)
    kept, _ = _full_workshop(client, title="Nog te bewaren")
    before = _rows(client, old["id"])
    assert all(before[name] > 0 for name in ("workshop", *CHILD_TABLES)), before
    engine = client.app.state.engine
    deletion_date = SEED_DATE + dt.timedelta(days=90)
    assert purge_expired(engine, deletion_date - dt.timedelta(days=1)) == 0  # nothing goes yet
    assert purge_expired(engine, deletion_date) == 2
    assert all(count == 0 for count in _rows(client, old["id"]).values())
    assert all(count == 0 for count in _rows(client, kept["id"]).values())


def _backdate(client: TestClient, workshop_id: str, day: str) -> None:
    """Move a workshop's date as only time (or an old database) can: past the API's checks."""
    with client.app.state.engine.begin() as connection:
        connection.execute(
            text("UPDATE workshop SET date = :d WHERE id = :w"), {"d": day, "w": workshop_id}
        )


def test_the_sweep_runs_when_the_app_starts(settings: Settings) -> None:
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8765") as client:
        gone = client.post("/api/workshops", json={"title": "Oud", "tables": 1}).json()
        _backdate(client, gone["id"], "2020-01-01")
        kept = client.post("/api/workshops", json={"title": "Nieuw", "tables": 1}).json()
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8765") as client:
        deadline = time.monotonic() + 10
        while _rows(client, gone["id"])["workshop"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _rows(client, gone["id"])["workshop"] == 0
        assert _rows(client, kept["id"])["workshop"] == 1


def _workshop_count(client: TestClient) -> int:
    with client.app.state.engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM workshop")).scalar_one())


def test_dates_far_from_today_are_refused_before_anything_is_stored(client: TestClient) -> None:
    today = dt.date.today()
    far = [
        "9999-12-31",  # with 365 days: past the calendar's end
        "0001-01-01",
        (today + dt.timedelta(days=5 * 365 + 2)).isoformat(),
        (today - dt.timedelta(days=5 * 365 + 2)).isoformat(),
    ]
    for day in far:
        body = {"title": "T", "tables": 1, "date": day, "retention_days": 365}
        refused = client.post("/api/workshops", json=body)
        assert refused.status_code == 422, (day, refused.text)
        assert refused.json()["error"]["details"][0]["field"] == "body.date"
        page = client.post("/workshops", data=form(client, {**body, "tables": "1"}))
        assert page.status_code == 422 and 'id="date-error"' in page.text
    # Already past its deletion date: it would be refused from its first request on.
    stale = (today - dt.timedelta(days=10)).isoformat()
    body = {"title": "T", "tables": 1, "date": stale, "retention_days": 7}
    refused = client.post("/api/workshops", json=body)
    assert refused.status_code == 422
    assert refused.json()["error"]["details"][0]["field"] == "body.retention_days"
    assert _workshop_count(client) == 0
    near = (today + dt.timedelta(days=5 * 365)).isoformat()
    made = client.post(
        "/api/workshops", json={"title": "T", "tables": 1, "date": near, "retention_days": 365}
    )
    assert made.status_code == 201 and _workshop_count(client) == 1
    start = client.get("/").text
    assert f'min="{(today - dt.timedelta(days=5 * 365 + 1)).isoformat()}"' in start


def test_a_workshop_is_stored_only_once_its_answer_is_made(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("the answer could not be made")

    for module in ("app.workshops.service", "app.workshops.router"):
        monkeypatch.setattr(f"{module}.describe", broken)
    app = create_app(settings)
    with TestClient(app, base_url=PUBLIC_URL, raise_server_exceptions=False) as client:
        assert client.post("/api/workshops", json={"title": "T"}).status_code == 500
        assert _workshop_count(client) == 0


def test_one_unreadable_workshop_does_not_stop_the_sweep(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    old, _ = _full_workshop(client)
    overflowing, _ = _full_workshop(client, title="Ver weg")
    broken, _ = _full_workshop(client, title="Kapot")
    _backdate(client, old["id"], "2020-01-01")
    # Rows an older version let in: a date whose deletion date is past the calendar's end,
    # and one the database holds but no one can read as a date.
    _backdate(client, overflowing["id"], "9999-12-31")
    _backdate(client, broken["id"], "2020-13-45")
    assert purge_expired(client.app.state.engine) == 1
    assert all(count == 0 for count in _rows(client, old["id"]).values())
    assert _rows(client, overflowing["id"])["workshop"] == 1
    assert _rows(client, broken["id"])["workshop"] == 1
    assert f"workshop {broken['id']} could not be checked" in caplog.text


def _files_holding(folder: Path, secret: str) -> list[str]:
    """The files in the database's folder (db, -wal, -shm, -journal) that hold the text."""
    return sorted(
        f.name for f in folder.iterdir() if f.is_file() and secret.encode() in f.read_bytes()
    )


def _workshop_with_a_secret(client: TestClient, secret: str) -> tuple[dict, str]:
    """A story, an explanation and a reporter's note (written and rewritten) holding `secret`."""
    # Long enough (with three-byte characters) that a note spills onto overflow pages.
    story = f"{secret} {'€' * 1500} {secret}"
    workshop, token = seed_workshop(
        client,
        {(1, 1): [("A1-1", "stimulating", "large", f"uitleg {secret}", "")]},
        {(1, 1): {"development": story}},
    )
    code = workshop["tables"][0]["join_code"]
    phone = new_phone(client)
    phone.post(f"/api/tables/{code}/seat", json={"role": "reporter"})
    with phone.websocket_connect(f"{WS_BASE}/ws/tables/{code}") as socket:
        socket.receive_json()
        for n, text in enumerate((story, f"{secret} kort", f"{story} weer")):
            socket.send_json({"type": "note", "id": f"n{n}", "field": "stands_out", "text": text})
            while socket.receive_json()["type"] != "ack":
                pass
    return workshop, token


@pytest.mark.parametrize("how", ["delete now", "sweep"])
def test_deleted_text_is_gone_from_every_file_of_the_database(
    settings: Settings, tmp_path: Path, how: str
) -> None:
    secret = f"geheim-{uuid.uuid4().hex}"
    with TestClient(create_app(settings), base_url=PUBLIC_URL) as client:
        kept, _ = _workshop_with_a_secret(client, "blijft-staan")
        workshop, token = _workshop_with_a_secret(client, secret)
        assert _files_holding(tmp_path, secret), "the test wrote nowhere"
        if how == "delete now":
            done = client.post(
                f"/f/{token}/delete", data=form(client, {"confirm": "yes"}), follow_redirects=False
            )
            assert done.status_code == 303
        else:
            _backdate(client, workshop["id"], "2020-01-01")
            assert purge_expired(client.app.state.engine) == 1
        # While the app runs, with its connections open: not only after a clean stop.
        assert _files_holding(tmp_path, secret) == []
        assert _files_holding(tmp_path, "blijft-staan") == ["kaartspel.db"]


def test_a_log_a_busy_reader_kept_full_is_emptied_by_the_next_sweep(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    secret = f"geheim-{uuid.uuid4().hex}"
    with TestClient(create_app(settings), base_url=PUBLIC_URL) as client:
        workshop, _ = _workshop_with_a_secret(client, secret)
        engine = client.app.state.engine
        # A reader in the middle of a long read (a report being typeset) holds older pages.
        with engine.connect() as reader:
            reader.exec_driver_sql("BEGIN")
            reader.exec_driver_sql("SELECT count(*) FROM interview_note").one()
            with Session(engine) as session:
                delete_workshop(session, workshop["id"])
            assert "a reader was busy" in caplog.text
            assert "kaartspel.db-wal" in _files_holding(tmp_path, secret)
            reader.exec_driver_sql("COMMIT")
        assert purge_expired(engine) == 0
        assert _files_holding(tmp_path, secret) == []


def _every_route(routes: list[BaseRoute]) -> Iterator[BaseRoute]:
    """The app's routes, those of its included routers too (FastAPI keeps those apart)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        yield from _every_route(included.routes) if included is not None else (route,)


# Deleting is what an expired workshop is waiting for: the facilitator may do it at once.
STILL_ALLOWED = {("POST", "/f/{token}/delete"), ("DELETE", "/api/workshops/{workshop_id}")}
API_BODIES = {
    "/api/tables/{code}/seat": {"role": "observer"},
    "/api/workshops/{workshop_id}/retention": {"days": 30},
}


def test_a_workshop_past_its_deletion_date_is_refused_everywhere_at_once(
    client: TestClient,
) -> None:
    workshop, token = _full_workshop(client)
    share_id = re.findall(r"/shares/(\d+)/revoke", client.get(f"/f/{token}/summary").text)[0]
    made = client.post(f"/f/{token}/shares", data=form(client), follow_redirects=False)
    share_token = re.findall(r"new_share=([\w-]+)", made.headers["location"])[0]
    code = workshop["tables"][0]["join_code"]
    phone = new_phone(client)
    assert phone.post(f"/api/tables/{code}/seat", json={"role": "observer"}).status_code == 201
    values = {
        "token": token,
        "code": code,
        "number": "1",
        "round_number": "1",
        "share_id": share_id,
        "workshop_id": workshop["id"],
        "action": "start",
        "language": "nl",
    }
    sockets = {
        f"{WS_BASE}/ws/tables/{code}": 4404,
        f"{WS_BASE}/ws/workshops/{workshop['id']}?key={token}": 4403,
    }
    for url in sockets:  # served while the workshop is kept
        with phone.websocket_connect(url) as ws:
            assert ws.receive_json()["type"]  # accepted, and talking
    # Its deletion date (the date plus 90 days) is today: from today on, nothing is served.
    _backdate(client, workshop["id"], str(dt.date.today() - dt.timedelta(days=90)))
    checked = []
    for route in _every_route(client.app.routes):
        if not isinstance(route, APIRoute | APIWebSocketRoute) or "{" not in route.path:
            continue
        shared = route.path.startswith("/s/")
        path = route.path.format(**(values | {"token": share_token} if shared else values))
        if isinstance(route, APIWebSocketRoute):
            (url,) = (url for url in sockets if url.startswith(f"{WS_BASE}{path}"))
            with pytest.raises(WebSocketDisconnect) as closed, phone.websocket_connect(url) as ws:
                ws.receive_json()
            assert closed.value.code == sockets[url], path
            checked.append(path)
            continue
        for method in sorted(route.methods - {"HEAD"}):
            if (method, route.path) in STILL_ALLOWED:
                continue
            if not path.startswith("/api/"):
                options: dict[str, object] = {"data": form(phone)} if method == "POST" else {}
            else:
                body = method in ("POST", "PUT")
                options = {"json": API_BODIES.get(route.path, {})} if body else {}
            response = phone.request(
                method, path, headers={"authorization": f"Bearer {token}"}, **options
            )
            assert response.status_code == 410, (method, path, response.text[:300])
            if path.startswith("/api/"):
                assert response.json()["error"]["code"] == "workshop_expired"
            checked.append(f"{method} {path}")
    assert len(checked) >= 30, checked
    assert "verwijderdatum" in phone.get(f"/j/{code}").text
    # Deleting it is still allowed: it is what the workshop is waiting for.
    bearer = {"authorization": f"Bearer {token}"}
    assert client.delete(f"/api/workshops/{workshop['id']}", headers=bearer).status_code == 204


def test_a_retention_that_has_run_out_already_is_refused(client: TestClient) -> None:
    workshop, token = seed_workshop(client, {})
    _backdate(client, workshop["id"], str(dt.date.today() - dt.timedelta(days=40)))
    refused = client.post(f"/f/{token}/retention", data=form(client, {"days": "30"}))
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "retention_past"
    assert client.get(f"/f/{token}/summary").status_code == 200


def test_the_sweep_interval_is_a_setting(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RETENTION_SWEEP_SECONDS", "60")
    assert Settings().retention_sweep_seconds == 60
    for bad in ("0", "-1", "86401", "soon"):
        monkeypatch.setenv("RETENTION_SWEEP_SECONDS", bad)
        with pytest.raises(ValueError):
            Settings()
    fast = settings.model_copy(update={"retention_sweep_seconds": 0.2})
    with TestClient(create_app(fast), base_url=PUBLIC_URL) as client:
        workshop = client.post("/api/workshops", json={"title": "Oud", "tables": 1}).json()
        time.sleep(0.5)  # the sweep at start has run: the workshop was not expired then
        _backdate(client, workshop["id"], "2020-01-01")
        deadline = time.monotonic() + 10
        while _rows(client, workshop["id"])["workshop"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _rows(client, workshop["id"])["workshop"] == 0


def test_the_sweep_also_runs_just_after_midnight_when_deletion_dates_arrive() -> None:
    evening = dt.datetime(2026, 12, 1, 23, 59, 30)
    assert next_sweep_in(3600, evening) == 31
    assert next_sweep_in(10, evening) == 10
    assert next_sweep_in(3600, dt.datetime(2026, 12, 1, 10, 0)) == 3600


def test_a_socket_open_when_its_workshop_is_deleted_is_closed_on_its_next_command(
    client: TestClient,
) -> None:
    workshop, _ = seed_workshop(client, {})
    code = workshop["tables"][0]["join_code"]
    phone = new_phone(client)
    phone.post(f"/api/tables/{code}/seat", json={"role": "reporter"})
    with phone.websocket_connect(f"{WS_BASE}/ws/tables/{code}") as socket:
        socket.receive_json()
        socket.send_json({"type": "note", "id": "n1", "field": "stands_out", "text": "eerst"})
        while socket.receive_json()["type"] != "ack":
            pass
        _backdate(client, workshop["id"], "2020-01-01")
        assert purge_expired(client.app.state.engine) == 1
        socket.send_json({"type": "note", "id": "n2", "field": "stands_out", "text": "daarna"})
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                socket.receive_json()
        assert closed.value.code == 4403


def test_the_log_is_emptied_even_while_another_checkpoint_runs(
    settings: Settings, tmp_path: Path
) -> None:
    """A checkpoint running elsewhere (the live tables run one a second) makes TRUNCATE give up
    at once, without waiting: forget_deleted must try again, not leave the log as it is."""
    secret = f"geheim-{uuid.uuid4().hex}"
    with TestClient(create_app(settings), base_url=PUBLIC_URL) as client:
        workshop, _ = _workshop_with_a_secret(client, secret)
        engine = client.app.state.engine
        with engine.begin() as connection:  # deleted, the log not yet emptied
            connection.execute(text("DELETE FROM workshop WHERE id = :w"), {"w": workshop["id"]})
        database = str(tmp_path / "kaartspel.db")
        reader = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM workshop").fetchone()
        # Another checkpoint: it holds SQLite's checkpoint lock while it waits for the reader.
        other = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
        other.execute("PRAGMA busy_timeout=10000")
        running = threading.Thread(
            target=lambda: other.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
        )
        running.start()
        time.sleep(0.3)
        threading.Timer(1.0, lambda: reader.execute("COMMIT")).start()
        assert forget_deleted(engine)
        running.join()
        other.close()
        reader.close()
        assert _files_holding(tmp_path, secret) == []


def test_the_facilitator_deletes_a_workshop_at_once(client: TestClient) -> None:
    workshop, token = _full_workshop(client)
    code = workshop["tables"][0]["join_code"]
    summary = client.get(f"/f/{token}/summary").text
    share = re.search(r"/shares/(\d+)/revoke", summary)
    assert share and "/delete" in summary
    unconfirmed = client.post(f"/f/{token}/delete", data=form(client))
    assert unconfirmed.status_code == 422
    assert _rows(client, workshop["id"])["workshop"] == 1
    done = client.post(
        f"/f/{token}/delete", data=form(client, {"confirm": "yes"}), follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == "/?deleted=1"
    assert all(count == 0 for count in _rows(client, workshop["id"]).values())
    assert client.get(f"/f/{token}").status_code == 404
    assert client.get(f"/j/{code}").status_code == 404
    assert "deleted" in client.get("/?deleted=1&lang=en").text


def test_the_api_deletes_with_the_facilitator_token(client: TestClient) -> None:
    workshop, token = _full_workshop(client)
    url = f"/api/workshops/{workshop['id']}"
    assert client.delete(url, headers={"authorization": "Bearer wrong"}).status_code in (401, 403)
    assert client.delete(url).status_code in (401, 403)
    assert client.delete(url, headers={"authorization": f"Bearer {token}"}).status_code == 204
    assert all(count == 0 for count in _rows(client, workshop["id"]).values())


def _shown(day: dt.date) -> str:
    return day.strftime("%d-%m-%Y")


def test_summary_shows_when_data_goes_and_lets_the_facilitator_change_it(
    client: TestClient,
) -> None:
    _, token = seed_workshop(client, {})
    page = client.get(f"/f/{token}/summary?lang=en").text
    assert _shown(SEED_DATE + dt.timedelta(days=90)) in page
    assert "90 days after the workshop" in page
    changed = client.post(
        f"/f/{token}/retention", data=form(client, {"days": "30"}), follow_redirects=False
    )
    assert changed.status_code == 303
    assert _shown(SEED_DATE + dt.timedelta(days=30)) in client.get(f"/f/{token}/summary").text
    assert client.post(f"/f/{token}/retention", data=form(client, {"days": "0"})).status_code == 422


@pytest.mark.parametrize(("lang", "phrase"), [("nl", "Privacy"), ("en", "Privacy")])
def test_the_join_page_says_what_is_kept(client: TestClient, lang: str, phrase: str) -> None:
    workshop, _ = seed_workshop(client, {})
    page = client.get(f"/j/{workshop['tables'][0]['join_code']}?lang={lang}").text
    assert phrase in page and _shown(SEED_DATE + dt.timedelta(days=90)) in page
    expected = "optioneel" if lang == "nl" else "optional"
    assert expected in page


def test_no_page_asks_another_host_for_anything(client: TestClient) -> None:
    workshop, token = seed_workshop(client, {(1, 1): [("A1-1", "stimulating", "large", "", "")]})
    code = workshop["tables"][0]["join_code"]
    for path in ("/", f"/j/{code}", f"/f/{token}", f"/f/{token}/summary", f"/f/{token}/plenary"):
        page = client.get(path).text
        for url in re.findall(r'(?:src|href|action)="([^"]+)"', page):
            outside = re.match(r"(https?:)?//", url) and not url.startswith(PUBLIC_URL + "/")
            assert not outside, (path, url)


def test_names_stay_out_of_the_summary_and_downloads(client: TestClient) -> None:
    workshop, token = _full_workshop(client)
    for path in ("summary", "report.html", "placements.csv", "workshop.json"):
        assert "Ann" not in client.get(f"/f/{token}/{path}").text, path


def _kept_tables(client: TestClient, workshop: dict) -> list[int]:
    """The tables of this workshop whose state this process keeps in memory."""
    states = client.app.state.live_tables.states
    with Session(client.app.state.engine) as session:
        ids = session.execute(
            text("SELECT id FROM workshop_table WHERE workshop_id = :w"), {"w": workshop["id"]}
        ).scalars()
        return [table_id for table_id in ids if states.get(table_id) is not None]


@pytest.mark.parametrize("how", ["form", "api", "sweep"])
def test_a_deleted_workshop_leaves_no_kept_table_state_behind(settings: Settings, how: str) -> None:
    """Its boards and seats are gone from memory too, at once: not when the LRU gets to them."""
    fast = settings.model_copy(update={"retention_sweep_seconds": 0.2})
    with TestClient(create_app(fast), base_url=PUBLIC_URL) as client:
        workshop, token = _full_workshop(client)  # a note sent over the socket: state kept
        other, _ = _full_workshop(client, title="Blijft")
        assert _kept_tables(client, workshop) and _kept_tables(client, other)
        if how == "form":
            done = client.post(
                f"/f/{token}/delete", data=form(client, {"confirm": "yes"}), follow_redirects=False
            )
            assert done.status_code == 303
        elif how == "api":
            done = client.delete(
                f"/api/workshops/{workshop['id']}", headers={"authorization": f"Bearer {token}"}
            )
            assert done.status_code == 204
        else:  # the app's own sweep, every 0.2 s here
            kept = _kept_tables(client, workshop)
            _backdate(client, workshop["id"], "2020-01-01")
            _backdate(client, other["id"], str(dt.date.today()))
            deadline = time.monotonic() + 10
            while _rows(client, workshop["id"])["workshop"] and time.monotonic() < deadline:
                time.sleep(0.05)
            assert _rows(client, workshop["id"])["workshop"] == 0
            states = client.app.state.live_tables.states
            assert [t for t in kept if states.get(t) is not None] == []
        assert _kept_tables(client, other)  # another workshop's tables stay kept
        assert client.app.state.live_tables.states.count() == len(_kept_tables(client, other))


def test_a_phone_leaving_as_its_workshop_is_deleted_leaves_no_error(client: TestClient) -> None:
    """The sockets of a workshop close as it is deleted: a seat gone between reading and
    writing its presence is simply gone, not a traceback (seen in bench/compare.py)."""
    workshop, _ = seed_workshop(client, {})
    code = workshop["tables"][0]["join_code"]
    phone = new_phone(client)
    phone.post(f"/api/tables/{code}/seat", json={"role": "reporter"})
    engine = client.app.state.engine
    with engine.begin() as connection:
        seat_id = connection.execute(text("SELECT max(id) FROM seat")).scalar_one()
        connection.execute(
            text("UPDATE seat SET connected_until_ms = 1 WHERE id = :s"), {"s": seat_id}
        )

    class Deleting(Session):
        """The deletion lands just after the seat is read."""

        def get(self, *args: object, **kwargs: object) -> object:
            found = super().get(*args, **kwargs)  # type: ignore[arg-type]
            with engine.begin() as other:
                other.execute(text("DELETE FROM workshop WHERE id = :w"), {"w": workshop["id"]})
            return found

    with Deleting(engine) as session:
        mark_gone(session, seat_id)  # raised StaleDataError when it read before writing
    with engine.connect() as connection:
        left = connection.execute(
            text("SELECT connected_until_ms FROM seat WHERE id = :s"), {"s": seat_id}
        ).all()
    assert left in ([], [(None,)])  # deleted, or marked away: either way not "connected"
