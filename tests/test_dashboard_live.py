"""The facilitator's live view: a dashboard snapshot, then every table's events, and the controls."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from tests.conftest import PUBLIC_URL, WS_BASE, form, new_phone
from tests.test_live_table import receive


def _token(workshop: dict) -> str:
    return workshop["facilitator_url"].rsplit("/", 1)[1]


def test_dashboard_sees_tables_and_round_controls(client: TestClient, workshop: dict) -> None:
    token = _token(workshop)
    code = workshop["tables"][1]["join_code"]
    with client.websocket_connect(f"{WS_BASE}/ws/workshops/{workshop['id']}?key={token}") as dash:
        snapshot = dash.receive_json()
        assert snapshot["type"] == "dashboard"
        assert [t["number"] for t in snapshot["tables"]] == [1, 2, 3]
        assert all(t["round"]["status"] == "waiting" for t in snapshot["tables"])
        table_ids = {t["number"]: t["table_id"] for t in snapshot["tables"]}

        new_phone(client).post(f"/api/tables/{code}/seat", json={"role": "respondent1"})
        joined = dash.receive_json()
        assert joined["kind"] == "members" and joined["table_id"] == table_ids[2]

        # The form the workshop page posts (works without JavaScript): start table 2 only.
        page = client.post(
            f"/f/{token}/rounds",
            data=form(client, {"action": "start", "table": "2"}),
            follow_redirects=False,
        )
        assert page.status_code == 303
        started = dash.receive_json()
        assert started["kind"] == "round" and started["table_id"] == table_ids[2]
        assert started["round"]["status"] == "running"

        ended = client.post(
            f"/api/workshops/{workshop['id']}/rounds/end",
            json={},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert ended.status_code == 200
        assert [r["ok"] for r in ended.json()] == [True, True, True]
        whistles = [dash.receive_json() for _ in range(3)]
        assert all(w["round"]["whistle"] for w in whistles)
        assert {w["table_id"] for w in whistles} == set(table_ids.values())


def test_dashboard_and_controls_need_the_facilitator_token(
    client: TestClient, workshop: dict
) -> None:
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        client.websocket_connect(f"{WS_BASE}/ws/workshops/{workshop['id']}?key=forged") as socket,
    ):
        socket.receive_json()  # accepted, then closed with the code
    assert closed.value.code == 4403
    refused = client.post(
        f"/api/workshops/{workshop['id']}/rounds/start",
        json={},
        headers={"Authorization": "Bearer forged"},
    )
    assert refused.status_code == 403
    bad_action = client.post(
        f"/api/workshops/{workshop['id']}/rounds/explode",
        json={},
        headers={"Authorization": f"Bearer {_token(workshop)}"},
    )
    assert bad_action.status_code == 422
    assert (
        client.post("/f/forged/rounds", data=form(client, {"action": "start"})).status_code == 404
    )


def test_workshop_page_has_round_controls(client: TestClient, workshop: dict) -> None:
    page = client.get(workshop["facilitator_url"].removeprefix(PUBLIC_URL))
    assert 'id="rounds"' in page.text and "/static/js/dashboard.js" in page.text
    assert page.text.count("data-table-number=") == 3


def test_dashboard_hears_moves_as_counts_not_boards(client: TestClient, workshop: dict) -> None:
    token = _token(workshop)
    code = workshop["tables"][0]["join_code"]
    phone = new_phone(client)
    assert phone.post(f"/api/tables/{code}/seat", json={"role": "respondent1"}).status_code == 201
    started = client.post(
        f"/api/workshops/{workshop['id']}/rounds/start",
        json={"table": 1},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert started.status_code == 200, started.text
    with (
        client.websocket_connect(f"{WS_BASE}/ws/workshops/{workshop['id']}?key={token}") as dash,
        phone.websocket_connect(f"{WS_BASE}/ws/tables/{code}") as socket,
    ):
        # The phone's presence may come before the dashboard's first summary (or after it).
        while (first := dash.receive_json())["type"] != "dashboard":
            assert first["type"] == "presence", first
        assert socket.receive_json()["type"] == "snapshot"
        moves = [("A1-1", "stimulating"), ("B1-1", "hindering"), ("C1-1", "stimulating")]
        for n, (card, side) in enumerate(moves):
            command = {"type": "place", "id": f"m{n}", "card": card, "side": side}
            socket.send_json(command | {"extent": "large", "position": 0})
        heard = []
        while len(heard) < len(moves):
            message = dash.receive_json()
            if message.get("kind") == "board":
                heard.append(message)
        assert "board" not in heard[-1]
        assert [(m["stimulating"], m["hindering"]) for m in heard] == [(1, 0), (1, 1), (2, 1)]
        assert {m["command"] for m in heard} == {"place"}


def test_the_dashboard_reads_its_messages_as_json_and_answers_each(
    client: TestClient, workshop: dict
) -> None:
    url = f"{WS_BASE}/ws/workshops/{workshop['id']}?key={_token(workshop)}"
    with client.websocket_connect(url) as dash:
        assert receive(dash)["type"] == "dashboard"
        dash.send_text('{"type": "resync"}')  # as docs/protocol.md writes it, with a space
        assert receive(dash)["type"] == "dashboard"
        dash.send_text('{ "type":"ping" }')
        assert receive(dash) == {"type": "pong"}
        for raw, code in [("resync", "bad_json"), ('{"type": "place"}', "invalid")]:
            dash.send_text(raw)
            error = receive(dash)
            assert (error["type"], error["code"], error["id"]) == ("error", code, None), error
        dash.send_text('{"type":"resync"}')  # and the socket is still there
        assert receive(dash)["type"] == "dashboard"
