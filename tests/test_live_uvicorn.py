"""End to end against a real uvicorn process: five phones on real websockets, the facilitator's
API, a phone that drops out and comes back, and a server restart on the same database.

Every network call has a timeout and the server is always stopped, so a failure never hangs.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from tests.live_server import ROLES, STEP, serving
from tests.live_server import LiveServer as Server

TIMEOUT = STEP
Message = dict[str, Any]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    yield from serving(Server(tmp_path))


def http_client(server: Server) -> httpx.Client:
    return httpx.Client(base_url=server.base, timeout=TIMEOUT, trust_env=False)


def new_workshop(server: Server) -> tuple[dict, str]:
    with http_client(server) as http:
        response = http.post("/api/workshops", json={"title": "Eind-tot-eind", "tables": 2})
    assert response.status_code == 201, response.text
    workshop: dict = response.json()
    return workshop, workshop["tables"][0]["join_code"]


def take_seats(server: Server, code: str) -> dict[str, str]:
    """Each role's device cookie, from a phone of its own that took the seat."""
    cookies: dict[str, str] = {}
    for role in ROLES:
        with http_client(server) as phone:
            response = phone.post(f"/api/tables/{code}/seat", json={"role": role, "name": role})
            assert response.status_code == 201, response.text
            cookies[role] = response.cookies["ks_device"]
    return cookies


def round_action(server: Server, workshop: dict, action: str, **body: int) -> list[Message]:
    token = workshop["facilitator_url"].rsplit("/", 1)[-1]
    with http_client(server) as http:
        response = http.post(
            f"/api/workshops/{workshop['id']}/rounds/{action}",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 200, response.text
    results: list[Message] = response.json()
    return results


def board_key(board: list[Message]) -> list[tuple]:
    return sorted(
        (p["side"], p["extent"], p["position"], p["card"], p["explanation"], p["custom_name"])
        for p in board
    )


def place(command_id: str, card: str, side: str, extent: str, position: int = 99) -> Message:
    return {
        "type": "place",
        "id": command_id,
        "card": card,
        "side": side,
        "extent": extent,
        "position": position,
    }


class Phone:
    """One phone's socket, and every event it saw in order."""

    def __init__(self, role: str, cookie: str, server: Server, code: str) -> None:
        self.role, self.cookie, self.server, self.code = role, cookie, server, code
        self.socket: ClientConnection | None = None
        self.snapshot: Message = {}
        self.events: list[Message] = []
        self.replies: dict[str, Message] = {}

    async def connect(self) -> Message:
        self.socket = await asyncio.wait_for(
            websockets.connect(
                f"{self.server.ws_base}/ws/tables/{self.code}",
                additional_headers={"Cookie": f"ks_device={self.cookie}"},
                proxy=None,
                open_timeout=TIMEOUT,
                close_timeout=2,
            ),
            TIMEOUT,
        )
        self.snapshot = await self.receive()
        assert self.snapshot["type"] == "snapshot", self.snapshot
        assert self.snapshot["you"]["role"] == self.role
        return self.snapshot

    async def receive(self) -> Message:
        assert self.socket is not None
        message: Message = json.loads(await asyncio.wait_for(self.socket.recv(), TIMEOUT))
        if message["type"] == "event":
            self.events.append(message)
        elif message["type"] in ("ack", "error"):
            self.replies[message["id"]] = message
        return message

    async def send(self, message: Message) -> None:
        assert self.socket is not None
        await asyncio.wait_for(self.socket.send(json.dumps(message)), TIMEOUT)

    async def receive_until(self, events: int, replies: int = 0) -> None:
        """Read until this many events (and replies) have arrived in all."""
        while len(self.events) < events or len(self.replies) < replies:
            await self.receive()

    async def close(self) -> None:
        if self.socket is not None:
            await asyncio.wait_for(self.socket.close(), TIMEOUT)
            self.socket = None

    def board(self) -> list[Message]:
        """The board as this phone knows it: from the last board event, else the snapshot."""
        boards = [e["board"] for e in self.events if e["kind"] == "board"]
        return boards[-1] if boards else self.snapshot["board"]

    def last_seq(self) -> int:
        return self.events[-1]["seq"] if self.events else int(self.snapshot["seq"])


def assert_in_order_without_gaps(phone: Phone) -> None:
    seqs = [e["seq"] for e in phone.events]
    first = phone.snapshot["seq"] + 1
    assert seqs == list(range(first, first + len(seqs))), (phone.role, seqs)


CARDS = [
    ("A1-1", "stimulating", "large"),
    ("C2-1", "stimulating", "large"),
    ("A2-1", "hindering", "large"),
    ("B2-1", "stimulating", "limited"),
    ("X-1", "hindering", "limited"),
]


def test_five_phones_play_a_round_over_a_real_server(server: Server) -> None:
    workshop, code = new_workshop(server)
    cookies = take_seats(server, code)
    assert round_action(server, workshop, "start", table=1)[0]["ok"] is True

    async def play() -> None:
        phones = {role: Phone(role, cookies[role], server, code) for role in ROLES}
        try:
            snapshots = [await phone.connect() for phone in phones.values()]
            assert len({s["seq"] for s in snapshots}) == 1
            assert all(s["board"] == [] for s in snapshots)
            assert {m["role"] for m in snapshots[0]["members"]} == set(ROLES)

            # Respondent 1 lays five cards without waiting for each ack.
            respondent = phones["respondent1"]
            for n, (card, side, extent) in enumerate(CARDS):
                await respondent.send(place(f"r1-{n}", card, side, extent))
            await asyncio.gather(
                *(
                    phone.receive_until(events=5, replies=5 if phone is respondent else 0)
                    for phone in phones.values()
                )
            )
            acks = [respondent.replies[f"r1-{n}"] for n in range(5)]
            assert all(a["type"] == "ack" for a in acks), acks
            assert [a["seq"] for a in acks] == [e["seq"] for e in respondent.events]
            for phone in phones.values():
                assert_in_order_without_gaps(phone)
                assert phone.events == respondent.events
            assert {p["card"] for p in respondent.board()} == {card for card, _, _ in CARDS}

            # The observer's phone drops out; the table plays on without it.
            observer = phones.pop("observer")
            await observer.close()
            await respondent.send(place("r1-move", "A1-1", "stimulating", "large", 0))
            await phones["reporter"].send(
                {"type": "explain", "id": "rep-1", "card": "X-1", "text": "Reistijd"}
            )
            await respondent.send({"type": "return", "id": "r1-back", "card": "B2-1"})
            await asyncio.gather(*(phone.receive_until(events=8) for phone in phones.values()))
            for phone in phones.values():
                assert_in_order_without_gaps(phone)
            assert all(
                phone.replies.get(command_id, {}).get("type") == "ack"
                for phone, command_id in (
                    (respondent, "r1-move"),
                    (phones["reporter"], "rep-1"),
                    (respondent, "r1-back"),
                )
            )
            # It comes back: its snapshot is the board everyone else has.
            back = await observer.connect()
            assert back["seq"] == respondent.last_seq()
            assert board_key(back["board"]) == board_key(respondent.board())
            assert {p["card"] for p in back["board"]} == {"A1-1", "C2-1", "A2-1", "X-1"}
            phones["observer"] = observer
            observer.events.clear()

            # The facilitator extends and ends the round: every phone hears the whistle.
            seen = {role: len(phone.events) for role, phone in phones.items()}
            assert round_action(server, workshop, "extend", minutes=1, table=1)[0]["ok"] is True
            assert round_action(server, workshop, "end", table=1)[0]["ok"] is True
            await asyncio.gather(
                *(phone.receive_until(events=seen[role] + 2) for role, phone in phones.items())
            )
            for phone in phones.values():
                extended, ended = phone.events[-2:]
                assert extended["kind"] == ended["kind"] == "round"
                assert extended["round"]["status"] == "running"
                assert ended["round"]["whistle"] is True and ended["locked"] is True
                assert_in_order_without_gaps(phone)
        finally:
            for phone in phones.values():
                await phone.close()

    asyncio.run(asyncio.wait_for(play(), 60))


def test_acknowledged_placements_survive_a_server_restart(server: Server) -> None:
    workshop, code = new_workshop(server)
    cookies = take_seats(server, code)
    assert round_action(server, workshop, "start", table=1)[0]["ok"] is True
    interviewer = Phone("interviewer", cookies["interviewer"], server, code)
    respondent = Phone("respondent1", cookies["respondent1"], server, code)

    async def play() -> None:
        try:
            await interviewer.connect()
            await respondent.connect()
            for n, (card, side, extent) in enumerate(CARDS):
                await respondent.send(place(f"keep-{n}", card, side, extent, 0))
            await respondent.send(
                {"type": "name", "id": "keep-name", "card": "X-1", "text": "Reistijd"}
            )
            await respondent.receive_until(events=6, replies=6)
            await interviewer.receive_until(events=6)
            assert all(r["type"] == "ack" for r in respondent.replies.values())
            acknowledged = respondent.board()
            assert len(acknowledged) == len(CARDS)
            await respondent.close()

            # The interviewer's phone stays connected while the server restarts.
            await asyncio.to_thread(server.stop)
            with pytest.raises(ConnectionClosed):
                while True:
                    await interviewer.receive()
            await asyncio.to_thread(server.start)

            snapshot = await respondent.connect()
            assert board_key(snapshot["board"]) == board_key(acknowledged)
            blank = next(p for p in snapshot["board"] if p["card"] == "X-1")
            assert blank["custom_name"] == "Reistijd"
            assert snapshot["seq"] == respondent.replies["keep-name"]["seq"]
            again = await interviewer.connect()
            assert board_key(again["board"]) == board_key(acknowledged)
            # And play goes on where it was: the next event follows on without a gap.
            await respondent.send(place("after-restart", "C1-1", "hindering", "large"))
            await respondent.receive_until(events=7, replies=7)
            assert respondent.replies["after-restart"]["seq"] == snapshot["seq"] + 1
        finally:
            await respondent.close()
            await interviewer.close()

    asyncio.run(asyncio.wait_for(play(), 60))
