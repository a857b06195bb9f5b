"""A seat's sockets: one command allowance for all of them, a cap on how many, and presence
that lasts until the last of them closes (app/realtime/hub/sockets.py, app/realtime/endpoint.py)."""

from __future__ import annotations

import time
from contextlib import ExitStack

from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from app.realtime.endpoint import COMMAND_BURST, COMMANDS_PER_SECOND
from app.realtime.hub.sockets import CLOSE_ADDRESS_FULL, CLOSE_SEAT_FULL, SOCKETS_PER_SEAT
from tests.conftest import WS_BASE, new_phone


def _seated(client: TestClient, code: str, role: str = "observer") -> tuple[TestClient, int]:
    phone = new_phone(client)
    seat = phone.post(f"/api/tables/{code}/seat", json={"role": role})
    assert seat.status_code == 201, seat.text
    return phone, int(seat.json()["id"])


def _refused_with(phone: TestClient, code: str) -> int | None:
    try:
        with phone.websocket_connect(f"{WS_BASE}/ws/tables/{code}") as socket:
            socket.receive_json()
            return None
    except WebSocketDisconnect as closed:
        return int(closed.code)


def test_one_seat_has_one_command_allowance_whatever_its_number_of_sockets(
    client: TestClient, workshop: dict
) -> None:
    code = workshop["tables"][0]["join_code"]
    phone, _ = _seated(client, code)
    with ExitStack() as stack:
        sockets = [
            stack.enter_context(phone.websocket_connect(f"{WS_BASE}/ws/tables/{code}"))
            for _ in range(SOCKETS_PER_SEAT)
        ]
        for socket in sockets:
            assert socket.receive_json()["type"] == "snapshot"
        started = time.monotonic()
        for socket in sockets:
            for _ in range(40):
                socket.send_json({"type": "ping"})
        replies = [socket.receive_json() for socket in sockets for _ in range(40)]
        elapsed = time.monotonic() - started
    pongs = sum(r["type"] == "pong" for r in replies)
    slowed = [r for r in replies if r["type"] == "error"]
    assert all(r["code"] == "too_fast" for r in slowed)
    # One burst and what refilled meanwhile, not one burst per socket.
    assert COMMAND_BURST <= pongs <= COMMAND_BURST + COMMANDS_PER_SECOND * elapsed + 1


def test_a_seat_opens_at_most_three_sockets(client: TestClient, workshop: dict) -> None:
    code = workshop["tables"][0]["join_code"]
    phone, _ = _seated(client, code)
    with ExitStack() as stack:
        for _ in range(SOCKETS_PER_SEAT):
            socket = stack.enter_context(phone.websocket_connect(f"{WS_BASE}/ws/tables/{code}"))
            assert socket.receive_json()["type"] == "snapshot"
        assert _refused_with(phone, code) == CLOSE_SEAT_FULL
        other, _ = _seated(client, code, "reporter")  # another seat is not held up
        assert _refused_with(other, code) is None
    assert _refused_with(phone, code) is None  # closed sockets free their places


def test_an_address_opens_a_bounded_number_of_sockets(client: TestClient, workshop: dict) -> None:
    code = workshop["tables"][0]["join_code"]
    client.app.state.sockets.per_address = 2  # the real bound (1,400) is the same code path
    phones = [_seated(client, code, role)[0] for role in ("observer", "reporter", "interviewer")]
    with ExitStack() as stack:
        for phone in phones[:2]:
            socket = stack.enter_context(phone.websocket_connect(f"{WS_BASE}/ws/tables/{code}"))
            assert socket.receive_json()["type"] == "snapshot"
        assert _refused_with(phones[2], code) == CLOSE_ADDRESS_FULL


def test_a_seat_stays_present_until_its_last_socket_closes(
    client: TestClient, workshop: dict
) -> None:
    code = workshop["tables"][0]["join_code"]
    token = workshop["facilitator_url"].rsplit("/", 1)[1]
    phone, seat_id = _seated(client, code)
    with client.websocket_connect(f"{WS_BASE}/ws/workshops/{workshop['id']}?key={token}") as dash:
        assert dash.receive_json()["type"] == "dashboard"
        with phone.websocket_connect(f"{WS_BASE}/ws/tables/{code}") as first:
            first.receive_json()
            assert dash.receive_json()["online"] == [seat_id]
            with phone.websocket_connect(f"{WS_BASE}/ws/tables/{code}") as second:
                second.receive_json()
                assert dash.receive_json()["online"] == [seat_id]
            # The second socket closed (a reload, a second tab): the phone is still here.
            assert dash.receive_json()["online"] == [seat_id]
        assert dash.receive_json()["online"] == []  # the last one closed: away
