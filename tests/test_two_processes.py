"""Two real uvicorn processes on one PostgreSQL database and one Redis: the phones at one table
are split across both, the facilitator acts on either, and every screen ends the same.

Each process gets a fresh database of its own test (dropped afterwards) and listens on
127.0.0.1 only. Every network step has a timeout and both servers are always stopped.
"""

from __future__ import annotations

import asyncio
import json
import random
import socket
import threading
import uuid
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from redis import Redis
from sqlalchemy import create_engine, text
from websockets.asyncio.client import ClientConnection

from tests.conftest import PG_ADMIN_URL, port_open, require
from tests.test_live_uvicorn import TIMEOUT, Server, board_key, place, round_action
from tests.test_redis_hub import Proxy

Message = dict[str, Any]
# Pub/sub ignores the database number, but Kaartspel puts it in its channel prefix; a random
# one keeps this test apart from anything else on the same Redis.
REDIS_DB = random.randint(1, 15)
SPLIT = {  # which process each phone talks to
    "interviewer": 0,
    "respondent1": 0,
    "observer": 0,
    "respondent2": 1,
    "reporter": 1,
}


@contextmanager
def two_servers(
    tmp_path: Path, postgres_url: str, redis_url: str
) -> Iterator[tuple[Server, Server]]:
    shared = {
        "DATABASE_URL": postgres_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": f"shared-{uuid.uuid4().hex}",
        # The rate limits' and sockets' keys of this test only (they outlive it for minutes).
        "REDIS_PREFIX": f"kaartspel-test-{uuid.uuid4().hex[:10]}:",
    }
    pair = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        server = Server(tmp_path / name)
        server.env.update(shared)
        pair.append(server)
    try:
        # One after the other: the first start migrates the empty database.
        for server in pair:
            server.start()
        yield pair[0], pair[1]
    finally:
        for server in pair:
            server.stop()
    for server in pair:
        assert not unexpected_errors(server.log()), server.log()


@pytest.fixture
def servers(tmp_path: Path, postgres_url: str) -> Iterator[tuple[Server, Server]]:
    require(port_open("127.0.0.1", 6379), "Redis is not running on 127.0.0.1:6379")
    with two_servers(tmp_path, postgres_url, f"redis://127.0.0.1:6379/{REDIS_DB}") as pair:
        yield pair


class RedisSwitch:
    """Redis for both servers through a proxy (tests.test_redis_hub.Proxy) that can go away
    and come back, as Redis does when it restarts. The proxy runs in a thread of its own."""

    def __init__(self) -> None:
        self.proxy = Proxy()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def url(self) -> str:
        return f"redis://127.0.0.1:{self.proxy.port}/{REDIS_DB}"

    def _call(self, step: Callable[[], Coroutine[Any, Any, None]]) -> None:
        asyncio.run_coroutine_threadsafe(step(), self.loop).result(TIMEOUT)

    def up(self) -> None:
        self._call(self.proxy.up)

    def down(self) -> None:
        self._call(self.proxy.down)

    def close(self) -> None:
        if self.proxy.server is not None:
            self.down()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(TIMEOUT)


@pytest.fixture
def servers_and_redis(
    tmp_path: Path, postgres_url: str
) -> Iterator[tuple[Server, Server, RedisSwitch]]:
    require(port_open("127.0.0.1", 6379), "Redis is not running on 127.0.0.1:6379")
    redis = RedisSwitch()
    try:
        redis.up()
        with two_servers(tmp_path, postgres_url, redis.url()) as (a, b):
            yield a, b, redis
    finally:
        redis.close()


KEEPER_FAILED = "clock keeper pass failed; retrying quietly until it works"


def unexpected_errors(log: str) -> list[str]:
    """Log lines of tracebacks other than the clock keeper's while the database was away
    (it logs the first failed pass of an outage, carries on, and says when it works again)."""
    before, *keeper = log.split(KEEPER_FAILED)
    unexpected = [line for line in before.splitlines() if "Traceback" in line]
    allowed = ("Traceback", "During handling", "The above exception", "(Background on")
    for chunk in keeper:
        for line in chunk.splitlines():
            if not line or line[0].isspace() or line.startswith(allowed):
                continue
            if "OperationalError" in line or "InvalidatePoolError" in line:
                continue
            if "the database answers again" in line:
                continue
            unexpected.append(line)
    return unexpected


class Screen:
    """A socket that applies what it hears as the phones' table.js does: events in seq order,
    duplicates ignored, and on a gap a resync, with events ignored until the snapshot."""

    def __init__(self, url: str, cookie: str | None = None) -> None:
        self.url, self.cookie = url, cookie
        self.socket: ClientConnection | None = None
        self.seq = -1
        self.awaiting = True
        self.board: list[Message] = []
        self.notes: dict[str, str] = {}
        self.locked = False
        self.snapshots: list[Message] = []
        self.events: list[Message] = []  # every event heard, as heard
        self.replies: dict[str | None, Message] = {}
        self.gaps = 0

    async def connect(self) -> Message:
        headers = {"Cookie": f"ks_device={self.cookie}"} if self.cookie else {}
        self.socket = await asyncio.wait_for(
            websockets.connect(
                self.url,
                additional_headers=headers,
                proxy=None,
                open_timeout=TIMEOUT,
                close_timeout=2,
            ),
            TIMEOUT,
        )
        first = await self.receive()
        assert not self.awaiting, first
        return first

    async def send(self, message: Message) -> None:
        assert self.socket is not None
        # Compact, as browsers send it: the dashboard matches its resync text exactly.
        text = json.dumps(message, separators=(",", ":"))
        await asyncio.wait_for(self.socket.send(text), TIMEOUT)

    async def receive(self) -> Message:
        assert self.socket is not None
        message: Message = json.loads(await asyncio.wait_for(self.socket.recv(), TIMEOUT))
        if message["type"] in ("snapshot", "dashboard"):
            self.take(message)
            self.snapshots.append(message)
        elif message["type"] == "event" and self.hear(message) == "gap":
            self.gaps += 1
            self.awaiting = True
            await self.send({"type": "resync"})
        elif message["type"] in ("ack", "error"):
            self.replies[message.get("id")] = message  # a busy error has no id
        return message

    def take(self, snapshot: Message) -> None:
        self.seq, self.awaiting = snapshot["seq"], False
        self.board, self.notes = snapshot["board"], dict(snapshot["notes"])
        self.locked = snapshot["locked"]

    def hear(self, event: Message) -> str:
        self.events.append(event)
        if self.awaiting or event["seq"] <= self.seq:
            return "ignored"
        if event["seq"] > self.seq + 1:
            return "gap"
        self.seq = event["seq"]
        if "board" in event:
            self.board = event["board"]
        if "locked" in event:
            self.locked = event["locked"]
        if event["kind"] == "note":
            self.notes[event["field"]] = event.get("text", "")
        return "applied"

    async def until(self, done: Callable[[], bool]) -> None:
        while not done():
            await self.receive()

    async def reach(self, seq: int) -> None:
        await self.until(lambda: not self.awaiting and self.seq >= seq)

    def heard_since(self, seq: int) -> list[int]:
        return [e["seq"] for e in self.events if e["seq"] > seq]

    async def close(self) -> None:
        if self.socket is not None:
            await asyncio.wait_for(self.socket.close(), TIMEOUT)
            self.socket = None


class Dashboard(Screen):
    """The facilitator's dashboard socket, following table 1 of the workshop."""

    table_id: int | None = None

    def take(self, snapshot: Message) -> None:
        table = next(t for t in snapshot["tables"] if t["number"] == 1)
        self.table_id, self.seq, self.awaiting = table["table_id"], table["seq"], False

    def hear(self, event: Message) -> str:
        if event.pop("table_id") != self.table_id:
            return "ignored"
        self.events.append(event)
        if self.awaiting or event["seq"] <= self.seq:
            return "ignored"
        # The dashboard shows counts, not the board: it only needs to notice a gap.
        if event["seq"] > self.seq + 1:
            return "gap"
        self.seq = event["seq"]
        return "applied"


def take_seat(server: Server, code: str, role: str) -> str:
    with httpx.Client(base_url=server.base, timeout=TIMEOUT, trust_env=False) as phone:
        response = phone.post(f"/api/tables/{code}/seat", json={"role": role, "name": role})
    assert response.status_code == 201, response.text
    return str(response.cookies["ks_device"])


def kill_subscriber_connection(server: Server) -> None:
    """CLIENT KILL this server process's Redis pub/sub connection, as a Redis restart would."""
    assert server.process is not None
    name = f"kaartspel-{socket.gethostname()}-{server.process.pid}"
    with Redis(host="127.0.0.1", port=6379, socket_timeout=TIMEOUT) as admin:
        ids = [c["id"] for c in admin.client_list(_type="pubsub") if c["name"] == name]
        assert len(ids) == 1, ids
        admin.execute_command("CLIENT", "KILL", "ID", ids[0])


def same_event(screens: list[Screen], seq: int) -> None:
    """Every screen that heard event `seq` heard the same event (the dashboard as counts)."""
    heard = {
        json.dumps(counted(e), sort_keys=True) for s in screens for e in s.events if e["seq"] == seq
    }
    assert len(heard) <= 1, heard


def counted(event: Message) -> Message:
    """An event as the dashboard hears it: a board as its cards left and right."""
    if "board" not in event:
        return event
    sides = [placement["side"] for placement in event["board"]]
    rest = {key: value for key, value in event.items() if key != "board"}
    return rest | {"stimulating": sides.count("stimulating"), "hindering": sides.count("hindering")}


CONCURRENT_CARDS = [
    ("A1-1", "stimulating", "large"),
    ("B1-1", "stimulating", "limited"),
    ("C1-1", "hindering", "large"),
    ("D1-1", "hindering", "limited"),
    ("E1-1", "stimulating", "large"),
]


def test_a_round_played_across_two_processes(servers: tuple[Server, Server]) -> None:
    a, b = servers
    with httpx.Client(base_url=a.base, timeout=TIMEOUT, trust_env=False) as http:
        response = http.post("/api/workshops", json={"title": "Twee processen", "tables": 2})
    assert response.status_code == 201, response.text
    workshop = response.json()
    code = workshop["tables"][0]["join_code"]
    token = workshop["facilitator_url"].rsplit("/", 1)[-1]
    cookies = {role: take_seat(servers[at], code, role) for role, at in SPLIT.items()}

    async def play() -> None:
        phones = {
            role: Screen(f"{servers[at].ws_base}/ws/tables/{code}", cookies[role])
            for role, at in SPLIT.items()
        }
        screens: list[Screen] = list(phones.values())
        try:
            snapshots = [await phone.connect() for phone in phones.values()]
            assert len({s["seq"] for s in snapshots}) == 1
            dashboards = [
                Dashboard(f"{server.ws_base}/ws/workshops/{workshop['id']}?key={token}")
                for server in servers
            ]
            for dashboard in dashboards:
                assert (await dashboard.connect())["type"] == "dashboard"
            screens += dashboards
            start = snapshots[0]["seq"]
            assert all(d.seq == start for d in dashboards)

            async def everyone_reaches(seq: int) -> None:
                await asyncio.gather(*(screen.reach(seq) for screen in screens))

            # The facilitator starts the round through process b.
            assert round_action(b, workshop, "start", table=1)[0]["ok"] is True
            await everyone_reaches(start + 1)

            # At once, through both processes: respondent 1 lays cards, the reporter writes.
            # Events two processes commit at the same moment may reach Redis in either order;
            # a screen that sees a gap resyncs (protocol step 5), as Screen does. So here the
            # test asserts that all converge; the turns below assert strict order.
            respondent, reporter = phones["respondent1"], phones["reporter"]
            for n, (card, side, extent) in enumerate(CONCURRENT_CARDS):
                await respondent.send(place(f"lay-{n}", card, side, extent, 0))
                await reporter.send(
                    {"type": "note", "id": f"dev-{n}", "field": "development", "text": f"v{n}"}
                )
            await respondent.until(lambda: len(respondent.replies) == 5)
            await reporter.until(lambda: len(reporter.replies) == 5)
            acks = [*respondent.replies.values(), *reporter.replies.values()]
            assert all(r["type"] == "ack" for r in acks), acks
            # The database numbered them: ten changes, ten consecutive numbers.
            assert sorted(r["seq"] for r in acks) == list(range(start + 2, start + 12))
            await everyone_reaches(start + 11)
            for seq in range(start + 2, start + 12):
                same_event(screens, seq)
            phone_list = list(phones.values())
            assert all(p.seq == start + 11 for p in phone_list)
            assert len({json.dumps(board_key(p.board)) for p in phone_list}) == 1
            assert {c["card"] for c in respondent.board} == {c for c, _, _ in CONCURRENT_CARDS}
            assert all(p.notes["development"] == "v4" for p in phone_list)

            # Turn by turn, alternating processes: now every screen hears every event in
            # order, without a gap or a repeat.
            strict_from = start + 11
            turns: list[tuple[str, Message]] = [
                ("respondent1", place("move", "A1-1", "stimulating", "large", 1)),
                ("reporter", {"type": "explain", "id": "why", "card": "C1-1", "text": "Reistijd"}),
                ("respondent1", {"type": "return", "id": "back", "card": "D1-1"}),
                (
                    "reporter",
                    {"type": "note", "id": "rec", "field": "recommendations", "text": "!"},
                ),
                ("observer", {"type": "note", "id": "refl", "field": "reflection", "text": "Rust"}),
            ]
            for n, (role, command) in enumerate(turns, start=1):
                await phones[role].send(command)
                await everyone_reaches(strict_from + n)
                assert phones[role].replies[command["id"]]["seq"] == strict_from + n
            # The facilitator ends the round through process a: the whistle everywhere.
            assert round_action(a, workshop, "end", table=1)[0]["ok"] is True
            end = strict_from + len(turns) + 1
            await everyone_reaches(end)
            for screen in screens:
                assert screen.heard_since(strict_from) == list(range(strict_from + 1, end + 1))
            for seq in range(strict_from + 1, end + 1):
                same_event(screens, seq)
            whistle = respondent.events[-1]
            assert whistle["kind"] == "round" and whistle["round"]["whistle"] is True
            assert all(p.locked for p in phone_list)

            # Process b loses its Redis connection (as when Redis restarts), and a note is
            # written through process a at that very moment: b's screens may miss the event,
            # but they are sent a fresh snapshot once b is back, so nothing is lost.
            b_screens = [p for role, p in phones.items() if SPLIT[role] == 1] + [dashboards[1]]
            before = [len(s.snapshots) for s in b_screens]
            a_screens = [s for s in screens if s not in b_screens]
            a_before = [len(s.snapshots) for s in a_screens]
            await asyncio.to_thread(kill_subscriber_connection, b)
            await phones["observer"].send(
                {"type": "note", "id": "late", "field": "reflection", "text": "Na het fluitje"}
            )
            await phones["observer"].until(lambda: "late" in phones["observer"].replies)
            late = phones["observer"].replies["late"]["seq"]
            await asyncio.gather(
                *(
                    s.until(lambda s=s, n=n: len(s.snapshots) > n and s.seq >= late)
                    for s, n in zip(b_screens, before, strict=True)
                ),
                *(s.reach(late) for s in a_screens),
            )
            assert [len(s.snapshots) for s in a_screens] == a_before  # a kept its connection

            # The truth is in the database: a new socket on either process agrees with all.
            for server in servers:
                fresh = Screen(f"{server.ws_base}/ws/tables/{code}", cookies["interviewer"])
                truth = await fresh.connect()
                await fresh.close()
                assert truth["seq"] == late
                for phone in phone_list:
                    assert phone.seq == late
                    assert board_key(phone.board) == board_key(truth["board"])
                    assert phone.notes == truth["notes"]
                    assert phone.notes["reflection"] == "Na het fluitje"
        finally:
            for screen in screens:
                await screen.close()

    asyncio.run(asyncio.wait_for(play(), 90))
    assert "Redis subscriber connection lost" in b.log()


def test_while_postgres_is_away_commands_are_refused_busy_and_a_resend_applies_once(
    servers: tuple[Server, Server], postgres_url: str
) -> None:
    a, b = servers
    with httpx.Client(base_url=a.base, timeout=TIMEOUT, trust_env=False) as http:
        response = http.post("/api/workshops", json={"title": "Even weg", "tables": 1})
    assert response.status_code == 201, response.text
    code = response.json()["tables"][0]["join_code"]
    assert round_action(a, response.json(), "start")[0]["ok"] is True  # cards go down in a round
    respondent = Screen(f"{b.ws_base}/ws/tables/{code}", take_seat(b, code, "respondent1"))
    observer = Screen(f"{a.ws_base}/ws/tables/{code}", take_seat(a, code, "observer"))
    database = postgres_url.rsplit("/", 1)[1]
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")

    def postgres(available: bool) -> None:
        """Away: its connections cut and new ones refused, as while PostgreSQL restarts."""
        with admin.connect() as connection:
            allow = "true" if available else "false"
            connection.execute(text(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS {allow}'))
            if not available:
                connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d"
                    ),
                    {"d": database},
                )

    async def play() -> None:
        try:
            await respondent.connect()
            await observer.connect()
            command = place("while-away", "A1-1", "stimulating", "large", 0)
            await asyncio.to_thread(postgres, False)
            try:
                await respondent.send(command)
                error = await respondent.receive()
                assert error["type"] == "error", error
                assert error["code"] == "busy" and error["retry"] is True
                assert error["id"] == "while-away"  # the phone knows which command to resend
                respondent.replies.pop("while-away", None)
                await asyncio.sleep(1)  # long enough for the clock keepers to notice too
            finally:
                await asyncio.to_thread(postgres, True)
            # PostgreSQL is back: the phone resends the same command, which is applied once.
            await respondent.send(command)
            await respondent.until(lambda: "while-away" in respondent.replies)
            ack = respondent.replies.pop("while-away")
            assert ack["type"] == "ack", ack
            await respondent.send(command)
            await respondent.until(lambda: "while-away" in respondent.replies)
            assert respondent.replies["while-away"] == ack
            await observer.reach(ack["seq"])
            assert [c["card"] for c in observer.board] == ["A1-1"]
            assert [e["seq"] for e in observer.events] == [ack["seq"]]
        finally:
            await respondent.close()
            await observer.close()

    try:
        asyncio.run(asyncio.wait_for(play(), 60))
    finally:
        admin.dispose()


def test_while_redis_is_away_commands_apply_and_every_phone_resyncs_when_it_is_back(
    servers_and_redis: tuple[Server, Server, RedisSwitch],
) -> None:
    a, b, redis = servers_and_redis
    with httpx.Client(base_url=a.base, timeout=TIMEOUT, trust_env=False) as http:
        response = http.post("/api/workshops", json={"title": "Zonder Redis", "tables": 1})
    assert response.status_code == 201, response.text
    code = response.json()["tables"][0]["join_code"]
    assert round_action(a, response.json(), "start")[0]["ok"] is True  # cards go down in a round
    respondent = Screen(f"{a.ws_base}/ws/tables/{code}", take_seat(a, code, "respondent1"))
    observer = Screen(f"{b.ws_base}/ws/tables/{code}", take_seat(b, code, "observer"))

    async def play() -> None:
        try:
            await respondent.connect()
            await observer.connect()
            await asyncio.to_thread(redis.down)
            # The database is the truth: the command is applied and acknowledged...
            await respondent.send(place("no-redis", "A1-1", "stimulating", "large", 0))
            await respondent.until(lambda: "no-redis" in respondent.replies)
            ack = respondent.replies["no-redis"]
            assert ack["type"] == "ack", ack
            # ...but nobody hears of it while Redis is away.
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(observer.receive(), 1)
            assert observer.seq < ack["seq"]
            await asyncio.to_thread(redis.up)
            # Back: every socket on both processes gets a fresh snapshot, with the card.
            for phone in (respondent, observer):
                await phone.until(lambda phone=phone: len(phone.snapshots) > 1)
                await phone.reach(ack["seq"])
                assert [c["card"] for c in phone.board] == ["A1-1"]
            # And events flow again.
            await observer.send(
                {"type": "note", "id": "back", "field": "reflection", "text": "Weer verbonden"}
            )
            await observer.until(lambda: "back" in observer.replies)
            await respondent.reach(observer.replies["back"]["seq"])
            assert respondent.notes["reflection"] == "Weer verbonden"
        finally:
            await respondent.close()
            await observer.close()

    asyncio.run(asyncio.wait_for(play(), 60))
    assert "Redis subscriber connection lost" in a.log() + b.log()
