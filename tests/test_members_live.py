"""The table socket knows who sits where: a snapshot on connect, then a members event per change."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from tests.conftest import WS_BASE, new_phone


def test_snapshot_then_members_as_others_join(client: TestClient, workshop: dict) -> None:
    code = workshop["tables"][0]["join_code"]
    first = new_phone(client)
    first.post(f"/api/tables/{code}/seat", json={"role": "interviewer", "name": "Ivo"})
    with first.websocket_connect(f"{WS_BASE}/ws/tables/{code}") as socket:
        snapshot = socket.receive_json()
        assert snapshot["type"] == "snapshot"
        assert [m["name"] for m in snapshot["members"]] == ["Ivo"]
        assert snapshot["you"]["role"] == "interviewer"
        new_phone(client).post(
            f"/api/tables/{code}/seat", json={"role": "respondent1", "name": "Roos"}
        )
        update = socket.receive_json()
        assert update["type"] == "event" and update["kind"] == "members"
        assert update["seq"] == snapshot["seq"] + 1
        assert {m["name"] for m in update["members"]} == {"Ivo", "Roos"}


def test_socket_needs_a_seat_at_that_table(client: TestClient, workshop: dict) -> None:
    code = workshop["tables"][0]["join_code"]
    other = workshop["tables"][1]["join_code"]
    stranger = new_phone(client)
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        stranger.websocket_connect(f"{WS_BASE}/ws/tables/{code}") as socket,
    ):
        socket.receive_json()  # accepted, then closed with the code
    assert closed.value.code == 4403
    seated = new_phone(client)
    seated.post(f"/api/tables/{code}/seat", json={"role": "observer"})
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        seated.websocket_connect(f"{WS_BASE}/ws/tables/{other}") as socket,
    ):
        socket.receive_json()  # accepted, then closed with the code
    assert closed.value.code == 4403
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        seated.websocket_connect(f"{WS_BASE}/ws/tables/NOPE") as socket,
    ):
        socket.receive_json()  # accepted, then closed with the code
    assert closed.value.code == 4404
