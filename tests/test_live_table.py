"""A live table over real websockets (Starlette's test client): snapshots, commands and their
permissions, acks and events in sequence, bad messages, and the round clock driven by the
facilitator's API and by the deadline.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import anyio
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from app.models import WorkshopTable
from app.realtime import endpoint
from app.realtime.protocol import MAX_MESSAGE_BYTES
from app.tables.clock_keeper import expire_due_rounds
from app.tables.service import now_ms
from tests.conftest import WS_BASE, form, new_phone

ROLES = ("interviewer", "respondent1", "respondent2", "reporter", "observer")
NOTE_FIELDS = {"development", "stands_out", "recommendations", "connections", "reflection"}
TIMEOUT = 5.0  # seconds for any one message: a missing message fails, it never hangs
Message = dict[str, Any]


def receive(socket: WebSocketTestSession, timeout: float = TIMEOUT) -> Message:
    """The next message on a socket, or TimeoutError (the test client's own receive waits forever)."""

    async def next_message() -> Message:
        with anyio.fail_after(timeout):
            return dict(await socket._send_rx.receive())

    message = socket.portal.call(next_message)
    if message["type"] == "websocket.close":
        raise WebSocketDisconnect(message.get("code", 1000), message.get("reason", ""))
    decoded: Message = json.loads(message["text"])
    return decoded


def board_key(board: list[Message]) -> list[tuple]:
    """A board as a set of placements: snapshots and events may list zones in another order."""
    return sorted(
        (p["side"], p["extent"], p["position"], p["card"], p["explanation"], p["custom_name"])
        for p in board
    )


class Table:
    """One table's phones and their sockets, each on the app's own event loop."""

    def __init__(self, client: TestClient, workshop: dict, code: str, stack: ExitStack) -> None:
        self.client, self.workshop, self.code, self.stack = client, workshop, code, stack
        self.phones: dict[str, TestClient] = {}
        self.sockets: dict[str, WebSocketTestSession] = {}
        self.snapshots: dict[str, Message] = {}
        self._ids = itertools.count(1)

    def sit(self, role: str, name: str = "") -> TestClient:
        phone = new_phone(self.client)
        # Share the app's event loop, as phones on one server do: the hub's queues belong to it.
        phone.portal = self.client.portal
        response = phone.post(
            f"/api/tables/{self.code}/seat", json={"role": role, "name": name or role}
        )
        assert response.status_code == 201, response.text
        self.phones[role] = phone
        return phone

    def connect(self, role: str, screen: str = "") -> Message:
        """Open the seat's socket; `screen` names a second one of the same seat (the
        respondent's laptop beside the phone) in `sockets`."""
        socket = self.stack.enter_context(
            self.phones[role].websocket_connect(f"{WS_BASE}/ws/tables/{self.code}")
        )
        self.sockets[screen or role] = socket
        snapshot = receive(socket)
        assert snapshot["type"] == "snapshot"
        self.snapshots[screen or role] = snapshot
        return snapshot

    def new_id(self) -> str:
        return f"cmd-{next(self._ids)}"

    def send(self, role: str, message: Message) -> str:
        command_id = message.get("id") or self.new_id()
        self.sockets[role].send_json({**message, "id": command_id})
        return command_id

    def command(self, role: str, message: Message) -> tuple[Message, Message | None]:
        """Send one command; return the sender's reply and the event every phone got for it."""
        command_id = self.send(role, message)
        reply = receive(self.sockets[role])
        assert reply.get("id") == command_id, reply
        if reply["type"] == "error":
            self.expect_quiet()  # a refusal is broadcast to nobody
            return reply, None
        assert reply["type"] == "ack", reply
        events = self.everyone_receives()
        assert {e["seq"] for e in events.values()} == {reply["seq"]}, events
        first = next(iter(events.values()))
        assert all(e == first for e in events.values()), "every phone sees the same event"
        return reply, first

    def everyone_receives(self) -> dict[str, Message]:
        return {role: receive(socket) for role, socket in self.sockets.items()}

    def expect_quiet(self) -> None:
        """Nothing is waiting on any socket: a ping's pong comes next."""
        for role, socket in self.sockets.items():
            socket.send_json({"type": "ping"})
            assert receive(socket) == {"type": "pong"}, role

    def resync(self, role: str) -> Message:
        self.sockets[role].send_json({"type": "resync"})
        snapshot = receive(self.sockets[role])
        assert snapshot["type"] == "snapshot"
        return snapshot

    def rounds(self, action: str, **body: int) -> list[Message]:
        token = str(self.workshop["facilitator_url"]).rsplit("/", 1)[-1]
        response = self.client.post(
            f"/api/workshops/{self.workshop['id']}/rounds/{action}",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200, response.text
        results: list[Message] = response.json()
        return results

    def round_event(self) -> Message:
        """The next message on every socket is the same round event; return it."""
        events = self.everyone_receives()
        first = next(iter(events.values()))
        assert first["type"] == "event" and first["kind"] == "round", first
        assert all(e == first for e in events.values())
        return first


@contextmanager
def open_table(
    client: TestClient,
    workshop: dict,
    roles: tuple[str, ...] = ROLES,
    index: int = 0,
    started: bool = True,
) -> Iterator[Table]:
    """Everyone sits down first, the round starts (cards are laid in a round, never before
    it), then everyone connects: the snapshots are the only messages so far."""
    with ExitStack() as stack:
        table = Table(client, workshop, workshop["tables"][index]["join_code"], stack)
        for role in roles:
            table.sit(role)
        if started:
            table.rounds("start", table=index + 1)
        for role in roles:
            table.connect(role)
        yield table


def place(
    card: str, side: str = "stimulating", extent: str = "large", position: int = 0
) -> Message:
    return {"type": "place", "card": card, "side": side, "extent": extent, "position": position}


def workshop_with(client: TestClient, **fields: object) -> dict:
    response = client.post("/api/workshops", json={"title": "Klokproef", "tables": 2, **fields})
    assert response.status_code == 201, response.text
    data: dict = response.json()
    return data


# --- connecting ------------------------------------------------------------------------------


def test_snapshot_on_connect(client: TestClient, workshop: dict) -> None:
    with open_table(client, workshop, ("interviewer", "respondent1"), started=False) as table:
        snapshot = table.snapshots["respondent1"]
        # Two seats taken, one members event each: the table is at seq 2.
        assert snapshot["seq"] == 2
        assert snapshot["you"]["role"] == "respondent1" and snapshot["you"]["name"] == "respondent1"
        assert table.snapshots["interviewer"]["you"]["role"] == "interviewer"
        assert snapshot["table"]["code"] == table.code and snapshot["table"]["number"] == 1
        assert snapshot["table"]["language"] == "nl"
        assert {m["role"] for m in snapshot["members"]} == {"interviewer", "respondent1"}
        assert snapshot["round"]["number"] == 1
        assert snapshot["round"]["status"] == "waiting"
        assert snapshot["round"]["respondent"] == "respondent1"
        assert snapshot["round"]["duration_ms"] == snapshot["round"]["remaining_ms"] == 15 * 60_000
        assert snapshot["board"] == [] and snapshot["pictures"] == []
        assert snapshot["locked"] is False
        assert snapshot["notes"] == dict.fromkeys(NOTE_FIELDS, "")


# --- commands and who may send them -----------------------------------------------------------

OK = None
# What each role gets for each command in round 1: OK, or the error code.
PERMISSIONS: dict[str, dict[str, str | None]] = {
    "interviewer": {  # asks; the respondent lays the cards (issue #19)
        "place": "not_allowed",
        "explain": "not_allowed",
        "name": "not_allowed",
        "note_development": "not_allowed",
        "note_reflection": "not_allowed",
        "return": "not_allowed",
    },
    "respondent1": {
        "place": OK,
        "explain": OK,
        "name": OK,
        "note_development": "not_allowed",
        "note_reflection": "not_allowed",
        "return": OK,
    },
    "respondent2": {
        "place": "not_your_turn",
        "explain": "not_your_turn",
        "name": "not_your_turn",
        "note_development": "not_allowed",
        "note_reflection": "not_allowed",
        "return": "not_your_turn",
    },
    "reporter": {
        "place": "not_allowed",
        "explain": OK,
        "name": "not_allowed",
        "note_development": OK,
        "note_reflection": "not_allowed",
        "return": "not_allowed",
    },
    "observer": {
        "place": "not_allowed",
        "explain": "not_allowed",
        "name": "not_allowed",
        "note_development": "not_allowed",
        "note_reflection": OK,
        "return": "not_allowed",
    },
}
COMMANDS: dict[str, Message] = {
    "place": place("A2-1", "hindering", "limited", 0),
    "explain": {"type": "explain", "card": "A1-1", "text": "Hij wil teamleider worden."},
    "name": {"type": "name", "card": "X-1", "text": "Reistijd"},
    "note_development": {"type": "note", "field": "development", "text": "Volgt een opleiding."},
    "note_reflection": {"type": "note", "field": "reflection", "text": "Goed doorgevraagd."},
    "return": {"type": "return", "card": "A1-1"},
}


@pytest.mark.parametrize("role", ROLES)
def test_every_command_and_its_permission_per_role(
    client: TestClient, workshop: dict, role: str
) -> None:
    with open_table(client, workshop) as table:
        _, setup = table.command("respondent1", place("A1-1"))
        _, setup = table.command("respondent1", place("X-1", "hindering", "large"))
        assert setup is not None
        board = setup["board"]
        notes = dict.fromkeys(NOTE_FIELDS, "")
        for name, message in COMMANDS.items():
            expected = PERMISSIONS[role][name]
            reply, event = table.command(role, message)
            if expected is not None:
                assert reply["type"] == "error" and reply["code"] == expected, (name, reply)
                assert reply["message"]  # a sentence for people, in the table's language
                assert reply["retry"] is False
                continue
            assert reply["type"] == "ack", (name, reply)
            assert event is not None
            assert event["by"] == table.snapshots[role]["you"]["id"]
            assert event["command"] == message["type"]
            if message["type"] == "note":
                assert event["kind"] == "note"
                assert (event["field"], event["text"]) == (message["field"], message["text"])
                notes[message["field"]] = message["text"]
                continue
            assert event["kind"] == "board" and event["locked"] is False
            board = event["board"]
            cards = {p["card"]: p for p in board}
            if name == "place":
                assert (cards["A2-1"]["side"], cards["A2-1"]["extent"]) == ("hindering", "limited")
                assert cards["A2-1"]["factor"] == "A2"
            elif name == "explain":
                assert cards["A1-1"]["explanation"] == "Hij wil teamleider worden."
            elif name == "name":
                assert cards["X-1"]["custom_name"] == "Reistijd"
            elif name == "return":
                assert "A1-1" not in cards
        # Refused commands left no trace: the board and notes are what the accepted ones made.
        snapshot = table.resync("observer")
        assert board_key(snapshot["board"]) == board_key(board)
        assert snapshot["notes"] == notes


def test_ack_carries_the_seq_of_the_event_every_phone_gets(
    client: TestClient, workshop: dict
) -> None:
    with open_table(client, workshop, ("interviewer", "respondent1", "observer")) as table:
        seq = table.snapshots["observer"]["seq"]
        assert all(s["seq"] == seq for s in table.snapshots.values())
        for step, card in enumerate(["A1-1", "B2-1", "C1-2"], start=1):
            ack, event = table.command("respondent1", place(card, "stimulating", "limited", 9))
            assert ack == {"type": "ack", "id": ack["id"], "seq": seq + step}
            assert event is not None and event["seq"] == seq + step
            assert event["by"] == table.snapshots["respondent1"]["you"]["id"]
        assert event is not None
        assert [(p["card"], p["position"]) for p in event["board"]] == [
            ("A1-1", 0),
            ("B2-1", 1),
            ("C1-2", 2),
        ]
        assert table.resync("interviewer")["seq"] == seq + 3


def test_a_resent_command_is_applied_once(client: TestClient, workshop: dict) -> None:
    with open_table(client, workshop, ("respondent1", "observer")) as table:
        command = {**place("A1-1"), "id": "same-id-twice"}
        first, event = table.command("respondent1", command)
        assert first["type"] == "ack" and event is not None
        # The phone lost the ack (a reconnect, say) and sends the very same command again.
        table.sockets["respondent1"].send_json(command)
        again = receive(table.sockets["respondent1"])
        assert again == first
        table.expect_quiet()  # no second event anywhere
        assert table.resync("observer")["seq"] == first["seq"]
        # The id with other content is another command: refused (issue #14), not applied.
        table.sockets["respondent1"].send_json(
            {**place("A1-1", "hindering"), "id": "same-id-twice"}
        )
        refused = receive(table.sockets["respondent1"])
        assert (refused["type"], refused["id"], refused["code"]) == (
            "error",
            "same-id-twice",
            "id_reused",
        )
        table.expect_quiet()
        assert table.resync("observer")["board"][0]["side"] == "stimulating"


def test_resync_sends_a_fresh_snapshot(client: TestClient, workshop: dict) -> None:
    with open_table(client, workshop, ("respondent1", "reporter")) as table:
        table.command("respondent1", place("A1-1"))
        table.command("respondent1", place("A3-2", "hindering", "limited"))
        ack, event = table.command("reporter", {"type": "explain", "card": "A1-1", "text": "Dus"})
        assert event is not None
        snapshot = table.resync("reporter")
        assert snapshot["seq"] == ack["seq"]
        assert board_key(snapshot["board"]) == board_key(event["board"])
        assert snapshot["you"]["role"] == "reporter"
        table.expect_quiet()


# --- bad messages ------------------------------------------------------------------------------

BAD_MESSAGES: list[tuple[str, str, str, str | None]] = [
    # (what, raw text, error code, id the error carries)
    ("not json", '{"type": "place", ', "bad_json", None),
    ("not an object", "[1, 2, 3]", "invalid", None),
    ("null", "null", "invalid", None),
    ("unknown type", '{"type": "shuffle", "id": "u1"}', "invalid", "u1"),
    ("no type", '{"id": "u2"}', "invalid", "u2"),
    ("no id", json.dumps(place("A1-1")), "invalid", None),
    ("bad id", json.dumps({**place("A1-1"), "id": "no spaces!"}), "invalid", "no spaces!"),
    ("card a number", json.dumps({**place("A1-1"), "card": 11, "id": "w1"}), "invalid", "w1"),
    ("position a word", json.dumps({**place("A1-1"), "position": "first", "id": "w2"}), "bad_position", "w2"),
    ("position negative", json.dumps({**place("A1-1"), "position": -1, "id": "w3"}), "bad_position", "w3"),
    ("position past 100", json.dumps({**place("A1-1"), "position": 101, "id": "w3b"}), "bad_position", "w3b"),
    ("side unknown", json.dumps({**place("A1-1"), "side": "left", "id": "w4"}), "invalid", "w4"),
    ("extra field", json.dumps({**place("A1-1"), "colour": "red", "id": "w5"}), "invalid", "w5"),
    ("text a list", '{"type": "note", "id": "w6", "field": "development", "text": ["a"]}', "invalid", "w6"),
    ("unknown note field", '{"type": "note", "id": "w7", "field": "diary", "text": "x"}', "invalid", "w7"),
    ("explanation too long", json.dumps({"type": "explain", "id": "w8", "card": "A1-1", "text": "x" * 2001}), "text_too_long", "w8"),
    ("note too long", json.dumps({"type": "note", "id": "w8b", "field": "development", "text": "x" * 2001}), "text_too_long", "w8b"),
    ("name too long", json.dumps({"type": "name", "id": "w8c", "card": "X-1", "text": "x" * 81}), "text_too_long", "w8c"),
    ("too large", json.dumps({**place("A1-1"), "id": "big", "pad": "x" * MAX_MESSAGE_BYTES}), "too_large", None),
    ("unknown card", json.dumps({**place("Z9-1"), "id": "k1"}), "unknown_card", "k1"),
    ("third copy", json.dumps({**place("A1-3"), "id": "k2"}), "unknown_card", "k2"),
    ("return a card in the hand", '{"type": "return", "id": "k3", "card": "B1-1"}', "not_on_board", "k3"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "code", "command_id"),
    [pytest.param(raw, code, command_id, id=what) for what, raw, code, command_id in BAD_MESSAGES],
)
def test_a_bad_message_gets_an_error_and_the_socket_stays_usable(
    client: TestClient, workshop: dict, raw: str, code: str, command_id: str | None
) -> None:
    with open_table(client, workshop, ("respondent1", "observer")) as table:
        table.command("respondent1", place("A1-1"))
        before = table.resync("observer")
        socket = table.sockets["respondent1"]
        socket.send_text(raw)
        error = receive(socket)
        assert error["type"] == "error" and error["code"] == code, error
        assert error.get("id") == command_id
        assert error["message"]
        table.expect_quiet()  # still connected, and nothing was broadcast
        ack, _ = table.command("respondent1", place("A1-2", "hindering"))
        assert ack["type"] == "ack" and ack["seq"] == before["seq"] + 1
        assert {p["card"] for p in table.resync("observer")["board"]} == {"A1-1", "A1-2"}


def test_binary_frames_are_read_as_text(client: TestClient, workshop: dict) -> None:
    with open_table(client, workshop, ("respondent1",)) as table:
        socket = table.sockets["respondent1"]
        socket.send_bytes(b'{"type": "ping"}')
        assert receive(socket) == {"type": "pong"}
        socket.send_bytes(b"\xff\xfe not utf-8")
        assert receive(socket)["code"] == "bad_json"
        table.expect_quiet()


# --- two phones at once --------------------------------------------------------------------------


def test_two_phones_move_the_same_card_at_once(client: TestClient, workshop: dict) -> None:
    with open_table(client, workshop, ("interviewer", "respondent1", "observer")) as table:
        table.connect("respondent1", screen="laptop")  # the respondent's second screen
        start_seq = table.snapshots["observer"]["seq"]
        ids = {
            "respondent1": table.send("respondent1", place("A1-1", "stimulating", "large")),
            "laptop": table.send("laptop", place("A1-1", "hindering", "limited")),
        }
        replies: dict[str, Message] = {}
        events: dict[str, list[Message]] = {role: [] for role in table.sockets}
        for role in ids:  # read each sender's socket up to its own reply
            while role not in replies:
                message = receive(table.sockets[role])
                if message["type"] == "event":
                    events[role].append(message)
                else:
                    assert message.get("id") == ids[role], message
                    replies[role] = message
        for role, socket in table.sockets.items():  # then everything else, up to a pong
            socket.send_json({"type": "ping"})
            while (message := receive(socket)) != {"type": "pong"}:
                assert message["type"] == "event", message
                events[role].append(message)
        acks = sorted(r["seq"] for r in replies.values() if r["type"] == "ack")
        assert acks, replies  # at least one of them went through
        assert all(r["type"] in ("ack", "error") for r in replies.values())
        expected_seqs = list(range(start_seq + 1, start_seq + 1 + len(acks)))
        assert acks == expected_seqs
        for role, seen in events.items():
            assert [e["seq"] for e in seen] == expected_seqs, role
            assert seen == events["observer"]
        fresh = table.resync("observer")
        assert fresh["seq"] == acks[-1]
        last_board = events["observer"][-1]["board"]
        assert board_key(fresh["board"]) == board_key(last_board)
        assert [p["card"] for p in fresh["board"]] == ["A1-1"]


# --- the round clock, driven by the facilitator -------------------------------------------------


def test_two_more_minutes_for_all_extends_only_the_rounds_in_progress(
    client: TestClient, workshop: dict
) -> None:
    """Issue #19: "+2 min for all" left tables that had not started 17 minutes long."""
    with open_table(client, workshop, ("respondent1", "observer"), started=False) as table:
        table.rounds("start", table=1)
        started = table.round_event()["round"]
        results = {r["number"]: r for r in table.rounds("extend", minutes=2)}
        assert results[1]["ok"] is True
        extended = table.round_event()["round"]
        assert extended["duration_ms"] == started["duration_ms"] + 120_000
        for waiting in (2, 3):
            assert results[waiting] == {
                "number": waiting,
                "ok": False,
                "status": "waiting",
                "round": 1,
                "code": "not_running",
            }
        # Table 2's clock, as a phone there sees it: not started, still 15 minutes.
        phone = new_phone(client)
        phone.portal = client.portal
        code_2 = workshop["tables"][1]["join_code"]
        assert (
            phone.post(f"/api/tables/{code_2}/seat", json={"role": "observer"}).status_code == 201
        )
        with phone.websocket_connect(f"{WS_BASE}/ws/tables/{code_2}") as socket:
            round_2 = receive(socket)["round"]
        assert round_2["status"] == "waiting"
        assert round_2["duration_ms"] == started["duration_ms"]
        # One table can still be given time before it starts.
        assert table.rounds("extend", minutes=1, table=2)[0]["ok"] is True


def test_rounds_start_pause_extend_and_end_with_the_whistle(
    client: TestClient, workshop: dict
) -> None:
    roles = ("interviewer", "respondent1", "observer")
    with open_table(client, workshop, roles, started=False) as table:
        results = table.rounds("start", table=1)
        assert results == [{"number": 1, "ok": True, "status": "running", "round": 1, "code": None}]
        started = table.round_event()["round"]
        table.command("respondent1", place("A1-1", "stimulating", "large"))
        table.command("respondent1", place("X-1", "hindering", "limited"))
        table.command("respondent1", {"type": "name", "card": "X-1", "text": "Reistijd"})
        assert started["status"] == "running" and started["number"] == 1
        assert started["deadline"] == started["server_time"] + 15 * 60_000
        assert started["look_until"] == started["server_time"] + 60_000
        assert started["whistle"] is False

        table.rounds("pause", table=1)
        paused = table.round_event()["round"]
        assert paused["status"] == "paused" and paused["deadline"] is None
        assert 0 < paused["remaining_ms"] <= 15 * 60_000

        table.rounds("extend", minutes=2, table=1)
        extended = table.round_event()["round"]
        assert extended["status"] == "paused"
        assert extended["duration_ms"] == started["duration_ms"] + 120_000
        assert extended["remaining_ms"] == paused["remaining_ms"] + 120_000

        table.rounds("start", table=1)  # resume
        resumed = table.round_event()["round"]
        assert resumed["status"] == "running" and resumed["number"] == 1
        assert resumed["deadline"] == resumed["server_time"] + extended["remaining_ms"]

        table.rounds("end", table=1)
        ended = table.round_event()
        assert ended["round"]["whistle"] is True and ended["round"]["status"] == "ended"
        assert ended["locked"] is True
        picture_url = f"/t/{table.code}/rounds/1.svg"
        assert ended["pictures"] == [{"round": 1, "url": picture_url}]

        for command in (
            place("A2-1"),
            {"type": "return", "card": "A1-1"},
            {"type": "explain", "card": "A1-1", "text": "te laat"},
        ):
            error, _ = table.command("respondent1", command)
            assert error["code"] == "board_locked"
        snapshot = table.resync("observer")
        assert snapshot["locked"] is True and snapshot["round"]["status"] == "ended"
        assert snapshot["pictures"] == ended["pictures"]

        picture = table.phones["observer"].get(picture_url)
        assert picture.status_code == 200
        assert picture.headers["content-type"].startswith("image/svg+xml")
        assert "Toekomstdromen" in picture.text and "Reistijd" in picture.text
        stranger = new_phone(client)
        stranger.portal = client.portal
        assert stranger.get(picture_url).status_code == 403
        assert table.phones["observer"].get(f"/t/{table.code}/rounds/2.svg").status_code == 404


def test_nothing_is_laid_before_the_round_starts_and_the_first_minute_only_advises(
    client: TestClient, workshop: dict
) -> None:
    roles = ("interviewer", "respondent1", "reporter")
    with open_table(client, workshop, roles, started=False) as table:
        for role, command in (
            ("respondent1", place("A1-1")),
            ("interviewer", place("X-1", "hindering")),
            ("respondent1", {"type": "return", "card": "A1-1"}),
            ("respondent1", {"type": "name", "card": "X-1", "text": "Reistijd"}),
            ("reporter", {"type": "explain", "card": "A1-1", "text": "Vooraf"}),
        ):
            error, _ = table.command(role, command)
            assert error["code"] == "round_not_started", (role, command, error)
            assert error["retry"] is False and error["message"]
        # The record is not the board: the reporter may note down what is said already.
        ack, _ = table.command("reporter", {"type": "note", "field": "development", "text": "x"})
        assert ack["type"] == "ack"
        table.rounds("start", table=1)
        started = table.round_event()["round"]
        assert started["server_time"] < started["look_until"]  # "look at the cards" is on
        ack, event = table.command("respondent1", place("A1-1"))
        assert ack["type"] == "ack" and event is not None


def test_round_two_starts_on_a_fresh_board(client: TestClient, workshop: dict) -> None:
    with open_table(client, workshop) as table:
        table.command("respondent1", place("A1-1"))
        table.command("reporter", {"type": "note", "field": "development", "text": "Groei"})
        table.command("observer", {"type": "note", "field": "reflection", "text": "Mooi"})
        table.rounds("end")
        assert table.round_event()["round"]["whistle"] is True

        table.rounds("start")
        second = table.round_event()
        assert second["round"]["number"] == 2 and second["round"]["status"] == "running"
        assert second["round"]["respondent"] == "respondent2"
        assert second["locked"] is False
        reset = table.everyone_receives()["observer"]
        assert reset["kind"] == "board" and reset["command"] == "reset"
        assert reset["board"] == [] and reset["seq"] == second["seq"] + 1 and reset["by"] is None
        cleared = [table.everyone_receives()["observer"] for _ in NOTE_FIELDS]
        assert {(e["kind"], e["field"], e["text"], e["command"], e["by"]) for e in cleared} == {
            ("note", field, "", "reset", None) for field in NOTE_FIELDS
        }
        assert [e["seq"] for e in cleared] == list(range(reset["seq"] + 1, reset["seq"] + 6))
        table.expect_quiet()

        snapshot = table.resync("interviewer")
        assert snapshot["board"] == [] and snapshot["notes"] == dict.fromkeys(NOTE_FIELDS, "")
        assert snapshot["round"]["number"] == 2 and snapshot["locked"] is False
        assert snapshot["pictures"] == [{"round": 1, "url": f"/t/{table.code}/rounds/1.svg"}]

        error, _ = table.command("respondent1", place("A1-1"))
        assert error["code"] == "not_your_turn"
        ack, event = table.command("respondent2", place("A1-1"))
        assert ack["type"] == "ack" and event is not None
        assert [p["card"] for p in event["board"]] == ["A1-1"]
        # Round 1's board is kept as it was: its picture still shows it.
        assert (
            "Toekomstdromen" in table.phones["respondent1"].get(snapshot["pictures"][0]["url"]).text
        )

        table.rounds("end")
        table.round_event()
        results = table.rounds("start")
        assert results[0]["ok"] is False and results[0]["code"] == "all_rounds_played"
        table.expect_quiet()


def test_round_api_refusals_and_one_table_at_a_time(client: TestClient, workshop: dict) -> None:
    with open_table(client, workshop, ("observer",), started=False) as table:
        results = table.rounds("pause")  # every table: none is running
        assert [r["code"] for r in results] == ["not_running"] * 3
        assert table.rounds("extend", minutes=0, table=1)[0]["code"] == "bad_minutes"
        table.expect_quiet()
        table.rounds("start", table=2)  # another table's round: nothing here
        table.expect_quiet()
        assert table.resync("observer")["round"]["status"] == "waiting"
        url = f"/api/workshops/{workshop['id']}/rounds/start"
        wrong = client.post(url, json={}, headers={"Authorization": "Bearer not-the-token"})
        assert wrong.status_code == 403
        assert client.post(url, json={}).status_code == 403
        table.expect_quiet()


# --- the round clock, driven by the deadline -------------------------------------------------


def test_the_whistle_blows_when_the_deadline_passes(client: TestClient) -> None:
    workshop = workshop_with(client, round_minutes=1)
    with open_table(client, workshop, ("respondent1", "observer")) as table:
        app, portal = client.app, client.portal
        assert isinstance(app, FastAPI) and portal is not None
        engine, hub = app.state.engine, app.state.hub
        with Session(engine) as session:
            stored = session.exec(
                select(WorkshopTable).where(WorkshopTable.join_code == table.code)
            ).one()
            stored.deadline_ms = now_ms() - 1_000
            session.add(stored)
            session.commit()
        # The app's own clock keeper may get there first; either way there is one whistle.
        portal.call(expire_due_rounds, engine, hub, app.state.table_locks)
        whistle = table.round_event()
        assert whistle["round"]["whistle"] is True and whistle["round"]["status"] == "ended"
        assert whistle["locked"] is True
        assert whistle["pictures"] == [{"round": 1, "url": f"/t/{table.code}/rounds/1.svg"}]
        assert portal.call(expire_due_rounds, engine, hub, app.state.table_locks) == 0
        table.expect_quiet()
        error, _ = table.command("respondent1", place("A1-1"))
        assert error["code"] == "board_locked"


def test_the_round_lasts_the_workshop_s_round_minutes(client: TestClient) -> None:
    workshop = workshop_with(client, round_minutes=1)
    with open_table(client, workshop, ("respondent1",), started=False) as table:
        snapshot = table.snapshots["respondent1"]
        assert snapshot["round"]["duration_ms"] == snapshot["round"]["remaining_ms"] == 60_000
        table.rounds("start", table=1)
        started = table.round_event()["round"]
        assert started["deadline"] == started["server_time"] + 60_000


# --- notes --------------------------------------------------------------------------------------


def test_notes_survive_a_reconnect(client: TestClient, workshop: dict) -> None:
    with open_table(client, workshop, ("reporter", "observer")) as table:
        table.command("reporter", {"type": "note", "field": "stands_out", "text": "Collega's!"})
        table.command("observer", {"type": "note", "field": "reflection", "text": "Luisteren."})
        _, event = table.command(
            "reporter", {"type": "note", "field": "stands_out", "text": "Vooral collega's."}
        )
        assert event is not None and event["text"] == "Vooral collega's."
        table.sockets.pop("reporter").close()
        snapshot = table.connect("reporter")
        assert snapshot["you"]["role"] == "reporter"
        assert snapshot["notes"]["stands_out"] == "Vooral collega's."
        assert snapshot["notes"]["reflection"] == "Luisteren."
        assert snapshot["seq"] == event["seq"]


def test_a_phone_that_left_is_closed_with_4403_on_its_next_command(
    client: TestClient, workshop: dict
) -> None:
    with open_table(client, workshop, ("respondent1", "observer")) as table:
        phone = table.phones["respondent1"]
        response = phone.post(f"/t/{table.code}/leave", data=form(phone), follow_redirects=False)
        assert response.status_code == 303
        left = table.everyone_receives()
        assert left["observer"]["kind"] == "members"
        assert [m["role"] for m in left["observer"]["members"]] == ["observer"]
        table.sockets["respondent1"].send_json({**place("A1-1"), "id": "after-leaving"})
        with pytest.raises(WebSocketDisconnect) as closed:
            receive(table.sockets.pop("respondent1"))
        assert closed.value.code == 4403
        table.expect_quiet()
        assert table.resync("observer")["board"] == []


def test_an_event_that_comes_while_the_snapshot_is_read_follows_the_snapshot(
    client: TestClient, workshop: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A phone ignores events until its snapshot comes (play/table.js). An event committed
    after the snapshot was read, but queued before the snapshot was, must reach the phone
    after it, not before: else the phone sits one move behind until the next event."""
    reading, go = threading.Event(), threading.Event()
    read_snapshot = endpoint.snapshot

    def slow_snapshot(*args: Any) -> Any:
        made = read_snapshot(*args)
        if not go.is_set():
            reading.set()
            go.wait(TIMEOUT)  # the respondent's move lands meanwhile
        return made

    with open_table(client, workshop, ("respondent1",)) as table:
        table.sit("reporter")
        assert receive(table.sockets["respondent1"])["kind"] == "members"  # the new seat
        monkeypatch.setattr(endpoint, "snapshot", slow_snapshot)
        late = table.stack.enter_context(
            table.phones["reporter"].websocket_connect(f"{WS_BASE}/ws/tables/{table.code}")
        )
        assert reading.wait(TIMEOUT)
        ack, _ = table.command("respondent1", place("A1-1"))
        go.set()
        snapshot = receive(late)
        assert snapshot["type"] == "snapshot", snapshot
        assert snapshot["seq"] == ack["seq"] - 1  # read before the move
        event = receive(late)
        assert event["type"] == "event" and event["seq"] == ack["seq"], event
