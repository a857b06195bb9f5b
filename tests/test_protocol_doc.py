"""docs/protocol.md stays true: every message type is described, every example is exactly what
its model sends, and so is every message a round played over real sockets put on the wire.

"Exactly" is a round trip: a message validated by its model and serialised again must be the
message itself. A field the model lacks fails validation (the models forbid extras); a field
the message lacks comes back filled in and the two differ.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import websockets
from fastapi.testclient import TestClient
from pydantic import TypeAdapter
from websockets.asyncio.client import ClientConnection

from app.realtime import protocol as p
from tests.conftest import WS_BASE, new_phone
from tests.live_server import (
    STEP,
    LiveServer,
    create_workshop,
    place,
    round_action,
    serving,
    take_seats,
)

Message = dict[str, Any]
DOC = (Path(__file__).resolve().parent.parent / "docs" / "protocol.md").read_text(encoding="utf-8")
SECTIONS = dict(re.findall(r"^## (.+?)\n(.*?)(?=^## |\Z)", DOC, re.MULTILINE | re.DOTALL))
CLIENT, SERVER, DASHBOARD = "Client → server", "Server → client", "The dashboard socket"
KINDS = {"board", "note", "round", "members"}


def examples(section: str) -> list[Message]:
    return [
        json.loads(block)
        for block in re.findall(r"```json\n(.*?)\n```", SECTIONS[section], re.DOTALL)
    ]


def headings(section: str) -> set[str]:
    return set(re.findall(r"^### (\w+)$", SECTIONS[section], re.MULTILINE))


def exactly(adapter: TypeAdapter[Any], message: Message) -> None:
    """`message` is what the model sends: every field, no other, nothing changed."""
    value = adapter.validate_python(message)
    assert adapter.dump_python(value, mode="json") == message


def check_table_message(message: Message) -> None:
    exactly(p.EVENT if message["type"] == "event" else p.SERVER_MESSAGE, message)


def check_dashboard_message(message: Message) -> None:
    exactly(p.DASHBOARD_EVENT if message["type"] == "event" else p.DASHBOARD_MESSAGE, message)


def documented_codes() -> set[str]:
    listed = re.search(r"Codes include (.*?)\. The\s+connection", DOC, re.DOTALL)
    assert listed
    return set(re.findall(r"`(\w+)`", listed.group(1)))


# --- the document against the models ---------------------------------------------------------


def test_every_message_type_has_a_section_and_an_example() -> None:
    types = p.example_types()
    assert headings(CLIENT) == set(types["client"])
    assert headings(SERVER) == set(types["server"])
    # pong and error on the dashboard are the table socket's, described there.
    assert headings(DASHBOARD) | {"pong", "error"} == set(types["dashboard"])
    for section in (CLIENT, SERVER, DASHBOARD):
        assert {example["type"] for example in examples(section)} == headings(section), section
    for section in (SERVER, DASHBOARD):
        kinds = {e["kind"] for e in examples(section) if e["type"] == "event"}
        assert kinds == KINDS, section


@pytest.mark.parametrize("example", examples(CLIENT), ids=lambda e: e["type"])
def test_client_examples_validate(example: Message) -> None:
    exactly(p.CLIENT_MESSAGE, example)


@pytest.mark.parametrize("example", examples(SERVER), ids=lambda e: e.get("kind", e["type"]))
def test_server_examples_are_exactly_what_the_models_send(example: Message) -> None:
    check_table_message(example)


@pytest.mark.parametrize("example", examples(DASHBOARD), ids=lambda e: e.get("kind", e["type"]))
def test_dashboard_examples_are_exactly_what_the_models_send(example: Message) -> None:
    check_dashboard_message(example)


def test_an_example_missing_a_field_or_with_an_extra_one_fails() -> None:
    """The check above is strict both ways (else it would pass a doc that leaves out `null`s)."""
    board = next(e for e in examples(SERVER) if e.get("kind") == "board")
    with pytest.raises(ValueError, match="by"):  # a field without a default
        check_table_message({k: v for k, v in board.items() if k != "by"})
    with pytest.raises(ValueError, match="extra"):
        check_table_message({**board, "extra": 1})
    ack = next(e for e in examples(SERVER) if e["type"] == "error")
    with pytest.raises(AssertionError):  # a field with a default comes back filled in
        check_table_message({k: v for k, v in ack.items() if k != "retry"})


def test_documented_error_codes_exist_in_the_code() -> None:
    source = "\n".join(
        path.read_text(encoding="utf-8")
        for path in (Path(__file__).resolve().parent.parent / "app").rglob("*.py")
    )
    for code in documented_codes():
        assert f'"{code}"' in source, code


# --- the wire against the document: a round played over real sockets -----------------------


class Listener:
    """A socket and every message it received, in order."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.messages: list[Message] = []
        self.changed = asyncio.Event()
        self.reader = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, url: str, cookie: str | None = None) -> Listener:
        headers = {"Cookie": f"ks_device={cookie}"} if cookie else None
        socket = await websockets.connect(
            url, additional_headers=headers, proxy=None, open_timeout=STEP, close_timeout=1
        )
        return cls(socket)

    async def _read(self) -> None:
        try:
            async for raw in self.socket:
                self.messages.append(json.loads(raw))
                self.changed.set()
        finally:
            self.changed.set()

    async def wait_for(self, wanted: Callable[[Message], bool], what: str) -> Message:
        async def watch() -> Message:
            while True:
                found = next((m for m in self.messages if wanted(m)), None)
                if found is not None:
                    return found
                assert not self.reader.done(), f"socket closed while waiting for {what}"
                self.changed.clear()
                await self.changed.wait()

        try:
            return await asyncio.wait_for(watch(), STEP)
        except TimeoutError:
            raise AssertionError(f"no {what} within {STEP} s: {self.messages[-5:]}") from None

    async def send(self, message: Message | str) -> None:
        await self.socket.send(message if isinstance(message, str) else json.dumps(message))

    async def ask(self, message: Message) -> Message:
        """Send a command; its ack or error."""
        await self.send(message)
        return await self.wait_for(
            lambda m: m["type"] in ("ack", "error") and m.get("id") == message["id"],
            f"an answer to {message['id']}",
        )

    async def answer_to(self, raw: str, kind: str) -> Message:
        seen = len(self.messages)
        await self.send(raw)
        return await self.wait_for(
            lambda m: m["type"] == kind and self.messages.index(m) >= seen, f"a {kind}"
        )

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.socket.close(), STEP)
        self.reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self.reader


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    yield from serving(LiveServer(tmp_path))


async def play_a_workshop(server: LiveServer) -> tuple[list[Message], list[Message]]:
    """Two rounds at one table, with every kind of message and refusal; what the phones and
    the dashboard received."""
    workshop = await asyncio.to_thread(create_workshop, server)
    code = workshop["tables"][0]["join_code"]
    key = workshop["facilitator_url"].rsplit("/", 1)[-1]
    dashboard = await Listener.open(f"{server.ws_base}/ws/workshops/{workshop['id']}?key={key}")
    await dashboard.wait_for(lambda m: m["type"] == "dashboard", "the dashboard")
    cookies = await asyncio.to_thread(take_seats, server, code)
    url = f"{server.ws_base}/ws/tables/{code}"
    phones = {role: await Listener.open(url, cookie) for role, cookie in cookies.items()}
    for phone in phones.values():
        await phone.wait_for(lambda m: m["type"] == "snapshot", "the snapshot")
    r1, reporter, observer = phones["respondent1"], phones["reporter"], phones["observer"]
    try:
        refused = await r1.ask(place("early", "A1-1", "stimulating", "large"))
        assert refused["code"] == "round_not_started", refused
        await asyncio.to_thread(round_action, server, workshop, "start")
        for command, outcome in [
            (place("c1", "A1-1", "stimulating", "large"), "ack"),
            (place("c2", "X-1", "hindering", "limited"), "ack"),
            (place("c3", "A1-2", "hindering", "large"), "ack"),
            (place("c4", "A1-1", "stimulating", "limited", 5), "ack"),
            ({"type": "explain", "id": "c5", "card": "A1-1", "text": "Wil verder."}, "ack"),
            ({"type": "name", "id": "c6", "card": "X-1", "text": "Reistijd"}, "ack"),
            ({"type": "return", "id": "c7", "card": "A1-2"}, "ack"),
            (place("e1", "A1-2", "stimulating", "large"), "factor_on_side"),
            (place("e2", "Q9-1", "stimulating", "large"), "unknown_card"),
            (place("e3", "B1-1", "stimulating", "large", 101), "bad_position"),
            ({"type": "explain", "id": "e4", "card": "A1-1", "text": "x" * 2001}, "text_too_long"),
            ({"type": "name", "id": "e5", "card": "A1-1", "text": "Geen blanco"}, "not_blank"),
            ({"type": "return", "id": "e6", "card": "C1-1"}, "not_on_board"),
            ({"type": "place", "id": "e7", "card": "A1-1"}, "invalid"),
        ]:
            answer = await r1.ask(command)
            assert answer.get("code", answer["type"]) == outcome, (command, answer)
        too_large = json.dumps({"type": "ping", "pad": "x" * 17_000})
        for raw, expected in [("{", "bad_json"), (too_large, "too_large")]:
            assert (await r1.answer_to(raw, "error"))["code"] == expected
        note = {"type": "note", "id": "n1", "field": "development", "text": "Volgt een opleiding."}
        assert (await reporter.ask(note))["type"] == "ack"
        reflection = {"type": "note", "id": "n2", "field": "reflection", "text": "Goed gevraagd."}
        assert (await observer.ask(reflection))["type"] == "ack"
        for phone, expected in [
            (observer, "not_allowed"),
            (phones["respondent2"], "not_your_turn"),
        ]:
            answer = await phone.ask(place(f"not-{expected}", "B1-1", "stimulating", "large"))
            assert answer["code"] == expected, answer
        await r1.answer_to('{"type": "ping"}', "pong")
        await r1.answer_to('{"type": "resync"}', "snapshot")
        # The dashboard's own messages, in any JSON spacing.
        await dashboard.answer_to('{"type": "resync"}', "dashboard")
        await dashboard.answer_to('{ "type" : "ping" }', "pong")
        assert (await dashboard.answer_to("resync", "error"))["code"] == "bad_json"
        assert (await dashboard.answer_to('{"type": "place"}', "error"))["code"] == "invalid"
        with server.http() as http:  # a sixth person joins: a members event
            response = http.post(f"/api/tables/{code}/seat", json={"role": "observer"})
            assert response.status_code == 201, response.text
        for action, body in [("pause", {}), ("start", {}), ("extend", {"minutes": 1}), ("end", {})]:
            await asyncio.to_thread(round_action, server, workshop, action, **body)
        await r1.wait_for(
            lambda m: m.get("kind") == "round" and m["round"]["whistle"], "the whistle"
        )
        blocked = await r1.ask(place("e10", "B1-1", "stimulating", "large"))
        assert blocked["code"] == "board_locked", blocked
        await asyncio.to_thread(round_action, server, workshop, "start")  # round 2: resets
        last = await r1.wait_for(
            lambda m: (
                m.get("kind") == "note" and m["field"] == "reflection" and m["command"] == "reset"
            ),
            "round 2's last reset",
        )
        for listener in [*phones.values(), dashboard]:
            await listener.wait_for(
                lambda m: m.get("seq") == last["seq"] and m["type"] == "event", "everything"
            )
        await phones["respondent2"].close()
        await dashboard.wait_for(
            lambda m: m["type"] == "presence" and len(m["online"]) == 4, "presence"
        )
    finally:
        for listener in [*phones.values(), dashboard]:
            await listener.close()
    return [m for phone in phones.values() for m in phone.messages], dashboard.messages


def test_what_a_played_workshop_sends_is_what_the_document_says(server: LiveServer) -> None:
    to_phones, to_dashboard = asyncio.run(asyncio.wait_for(play_a_workshop(server), 90))
    for message in to_phones:
        check_table_message(message)
    for message in to_dashboard:
        check_dashboard_message(message)
    # The play above reached every message the document describes, so all were checked.
    types = p.example_types()
    assert {m["type"] for m in to_phones} == set(types["server"])
    assert {m["type"] for m in to_dashboard} == set(types["dashboard"])
    for seen in (to_phones, to_dashboard):
        events = [m for m in seen if m["type"] == "event"]
        assert {e["kind"] for e in events} == KINDS
        assert {e["command"] for e in events if e["kind"] == "board"} == {
            "place",
            "return",
            "explain",
            "name",
            "reset",
        }
        assert {e["command"] for e in events if e["kind"] == "note"} == {"note", "reset"}
    sent_codes = {m["code"] for m in [*to_phones, *to_dashboard] if m["type"] == "error"}
    assert sent_codes <= documented_codes(), sent_codes - documented_codes()


# --- a client written from the document: a seat, the deck, a card from the hand --------------


def test_a_client_takes_a_seat_reads_the_deck_and_lays_a_card_from_its_hand(
    client: TestClient, workshop: dict
) -> None:
    code = workshop["tables"][0]["join_code"]
    phone = new_phone(client)
    seat = phone.post(f"/api/tables/{code}/seat", json={"role": "respondent1", "name": "Roos"})
    assert seat.status_code == 201, seat.text
    assert seat.json() == {
        "id": seat.json()["id"],
        "role": "respondent1",
        "name": "Roos",
        "table": 1,
        "table_url": f"/t/{code}",
    }
    cookie = seat.headers["set-cookie"].lower()
    assert cookie.startswith("ks_device=") and "httponly" in cookie and "samesite=lax" in cookie

    deck = phone.get(f"/api/tables/{code}/deck")
    assert deck.status_code == 200, deck.text
    cards = deck.json()["cards"]
    library_deck = client.app.state.library.deck("llo", "nl")  # type: ignore[attr-defined]
    assert [c["id"] for c in cards] == [card.id for card in library_deck.cards()]
    assert {c["id"] for c in cards if c["blank"]} == {"X-1", "X-2"}
    first = cards[0]
    assert first == {
        "id": "A1-1",
        "factor": "A1",
        "category": "A",
        "title": "Toekomstdromen",
        "subtitle": "Aspiraties en vooruitzichten",
        "blank": False,
    }
    english = phone.get(f"/api/tables/{code}/deck?lang=en").json()
    assert english["language"] == "en" and english["cards"][0]["title"] != first["title"]
    assert phone.get("/api/tables/ZZZZ2345/deck").status_code == 404

    token = workshop["facilitator_url"].rsplit("/", 1)[-1]
    started = client.post(
        f"/api/workshops/{workshop['id']}/rounds/start",
        json={"table": 1},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert started.status_code == 200, started.text
    with phone.websocket_connect(f"{WS_BASE}/ws/tables/{code}") as socket:
        snapshot = socket.receive_json()
        on_board = {placement["card"] for placement in snapshot["board"]}
        hand = [c for c in cards if c["id"] not in on_board]
        socket.send_json(place("from-hand", hand[0]["id"], "stimulating", "large"))
        ack = socket.receive_json()
        assert ack == {"type": "ack", "id": "from-hand", "seq": snapshot["seq"] + 1}
        event = socket.receive_json()
        assert [pl["card"] for pl in event["board"]] == [hand[0]["id"]]
