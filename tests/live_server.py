"""A real uvicorn process that tests may kill, freeze and restart, and phones that behave like
socket.js and outbox.js: reconnect with backoff, keep unacknowledged commands and resend them
with the same id, and ask for a snapshot when they see a gap in the sequence numbers.

Every wait has a deadline, so a misbehaving server fails a test instead of hanging it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from app.realtime.protocol import MAX_FRAME_BYTES
from app.settings import ROOT

ROLES = ("interviewer", "respondent1", "respondent2", "reporter", "observer")
STEP = 5.0  # seconds for any one network step
STARTUP_SECONDS = 60.0  # a loaded machine is slow to import the app; a crash ends the wait at once
Message = dict[str, Any]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class LiveServer:
    """`uvicorn app.main:create_app --factory` on a fixed port and SQLite file, so a restart
    (after a clean stop or a SIGKILL) serves the same address from the same database."""

    def __init__(self, tmp_path: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.ws_base = f"ws://127.0.0.1:{self.port}"
        self.db_path = tmp_path / "kaartspel.db"
        self.log_path = tmp_path / "uvicorn.log"
        self.env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{self.db_path}",
            "PUBLIC_URL": self.base,
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "SECRET_KEY": "e2e-secret",
            "ADMIN_TOKEN": "",
            "REDIS_URL": "",
            "PYTHONPATH": str(ROOT),
        }
        self.workdir = tmp_path  # no stray .env file is read from here
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--log-level",
            "warning",
            "--ws-max-size",  # as app/__main__.py starts it
            str(MAX_FRAME_BYTES),
        ]

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> None:
        assert self.process is None
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(),
                env=self.env,
                cwd=self.workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + STARTUP_SECONDS
        with httpx.Client(base_url=self.base, timeout=1.0, trust_env=False) as http:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise AssertionError(
                        f"uvicorn exited with {self.process.returncode}:\n{self.log()}"
                    )
                with contextlib.suppress(httpx.TransportError):
                    if http.get("/healthz").status_code == 200:
                        return
                time.sleep(0.1)
        self.stop()
        raise AssertionError(
            f"uvicorn did not answer /healthz in {STARTUP_SECONDS} s:\n{self.log()}"
        )

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flushing — what a crash or the OOM killer does."""
        process, self.process = self.process, None
        assert process is not None and process.poll() is None
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            terminate(process)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=STEP, trust_env=False)


def terminate(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, a clean stop (after SIGCONT: a frozen process cannot handle it); SIGKILL if it
    has not stopped within 10 s. Nothing happens to a process that has already ended."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(process.pid, signal.SIGCONT)
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def serving(server: LiveServer) -> Iterator[LiveServer]:
    """Start the server for a test and stop it after; a traceback in its log fails the test,
    since a server-side exception that no phone or page showed is still a failure."""
    server.start()
    try:
        yield server
    finally:
        server.stop()
    assert "Traceback" not in server.log(), server.log()


# --- setting up a table over HTTP ---------------------------------------------------------


def create_workshop(server: LiveServer, round_minutes: int = 15) -> dict[str, Any]:
    with server.http() as http:
        response = http.post(
            "/api/workshops",
            json={"title": "Storingen", "tables": 1, "round_minutes": round_minutes},
        )
    assert response.status_code == 201, response.text
    workshop: dict[str, Any] = response.json()
    return workshop


def take_seats(server: LiveServer, code: str) -> dict[str, str]:
    """Each role's device cookie, from a phone of its own that took the seat."""
    cookies: dict[str, str] = {}
    for role in ROLES:
        with server.http() as phone:
            response = phone.post(f"/api/tables/{code}/seat", json={"role": role, "name": role})
            assert response.status_code == 201, response.text
            cookies[role] = response.cookies["ks_device"]
    return cookies


def round_action(
    server: LiveServer, workshop: dict[str, Any], action: str, **body: int
) -> list[Message]:
    token = workshop["facilitator_url"].rsplit("/", 1)[-1]
    with server.http() as http:
        response = http.post(
            f"/api/workshops/{workshop['id']}/rounds/{action}",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 200, response.text
    results: list[Message] = response.json()
    return results


def place(command_id: str, card: str, side: str, extent: str, position: int = 99) -> Message:
    return {
        "type": "place",
        "id": command_id,
        "card": card,
        "side": side,
        "extent": extent,
        "position": position,
    }


def board_key(board: list[Message]) -> list[tuple[Any, ...]]:
    return sorted(
        (p["side"], p["extent"], p["position"], p["card"], p["explanation"], p["custom_name"])
        for p in board
    )


# --- reading the database behind the server's back ---------------------------------------


def open_db(path: Path, timeout: float = 0.0) -> sqlite3.Connection:
    """Our own connection: autocommit, so we decide exactly when a transaction starts."""
    return sqlite3.connect(path, timeout=timeout, isolation_level=None)


def table_id_of(path: Path, code: str) -> int:
    with contextlib.closing(open_db(path, timeout=STEP)) as db:
        row = db.execute("SELECT id FROM workshop_table WHERE join_code = ?", (code,)).fetchone()
    assert row is not None, code
    return int(row[0])


def table_events(path: Path, table_id: int) -> list[tuple[int, str | None, str]]:
    """(seq, command_id, kind) of every stored event of the table, in seq order."""
    with contextlib.closing(open_db(path, timeout=STEP)) as db:
        rows = db.execute(
            "SELECT seq, command_id, kind FROM table_event WHERE table_id = ? ORDER BY seq",
            (table_id,),
        ).fetchall()
    return [(int(seq), command_id, kind) for seq, command_id, kind in rows]


def check_consistent(path: Path, table_id: int) -> list[tuple[int, str | None, str]]:
    """The file is sound and the table's event log is 1..seq without holes or twins."""
    with contextlib.closing(open_db(path, timeout=STEP)) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        (table_seq,) = db.execute(
            "SELECT seq FROM workshop_table WHERE id = ?", (table_id,)
        ).fetchone()
    events = table_events(path, table_id)
    seqs = [seq for seq, _, _ in events]
    assert seqs == list(range(1, table_seq + 1)), (table_seq, seqs)
    command_ids = [command_id for _, command_id, _ in events if command_id is not None]
    assert len(command_ids) == len(set(command_ids)), command_ids
    return events


# --- a phone -------------------------------------------------------------------------------


class Phone:
    """One seat's phone: one socket at a time, a reader task that keeps the table state the way
    play/table.js does, and an outbox of commands not yet answered (as play/outbox.js)."""

    def __init__(self, role: str, cookie: str, server: LiveServer, code: str) -> None:
        self.role, self.cookie, self.server, self.code = role, cookie, server, code
        self.socket: ClientConnection | None = None
        self.reader: asyncio.Task[None] | None = None
        self.changed = asyncio.Event()
        self.snapshots: list[Message] = []
        self.snapshot_walls: list[float] = []  # time.time() each snapshot arrived
        self.seq = 0
        self.board: list[Message] = []
        self.notes: dict[str, str] = {}
        self.round: Message = {}
        self.events: list[Message] = []  # since the last snapshot, in arrival order
        self.gaps: list[tuple[int, int]] = []  # (expected, got): should stay empty
        self.replies: dict[str, list[Message]] = {}  # every ack/error per command id
        self.anonymous_errors: list[Message] = []  # errors without a command id
        self.pongs = 0
        self.outbox: dict[str, Message] = {}  # sent or queued, no answer yet
        self.connect_attempts = 0

    # connecting

    async def connect(self) -> Message:
        """Open a socket and wait for the snapshot the server sends first."""
        self.connect_attempts += 1
        self.socket = await asyncio.wait_for(
            websockets.connect(
                f"{self.server.ws_base}/ws/tables/{self.code}",
                additional_headers={"Cookie": f"ks_device={self.cookie}"},
                proxy=None,
                open_timeout=STEP,
                close_timeout=1,
            ),
            STEP,
        )
        seen = len(self.snapshots)
        self.reader = asyncio.create_task(self._read(self.socket))
        await self.wait_until(lambda: len(self.snapshots) > seen, "the snapshot on connect")
        return self.snapshots[-1]

    async def reconnect(self, within: float, first_delay: float = 0.1, cap: float = 1.0) -> Message:
        """socket.js's loop: try, and after a failure wait twice as long (up to a cap)."""
        deadline = time.monotonic() + within
        delay = first_delay
        while True:
            try:
                return await self.connect()
            except (TimeoutError, OSError, InvalidHandshake, ConnectionClosed):
                await self.close()
                if time.monotonic() + delay > deadline:
                    raise
                await asyncio.sleep(delay)
                delay = min(delay * 2, cap)

    async def close(self) -> None:
        """The phone goes away (screen off, out of range): its socket closes, its outbox stays."""
        socket, self.socket = self.socket, None
        if socket is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(socket.close(), STEP)
        reader, self.reader = self.reader, None
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader

    async def stop_listening(self) -> None:
        """Keep the socket but read nothing more: whatever the server answers is never seen,
        as with a phone whose connection dies between sending and hearing back."""
        reader, self.reader = self.reader, None
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader

    async def flush(self) -> None:
        """A ping round trip: the server answers in order, so every earlier reply has arrived."""
        pongs = self.pongs
        await self.send_raw({"type": "ping"})
        await self.wait_until(lambda: self.pongs > pongs, "a pong")

    @property
    def online(self) -> bool:
        return self.socket is not None and self.reader is not None and not self.reader.done()

    # sending

    async def send_raw(self, message: Message) -> None:
        assert self.socket is not None, f"{self.role} is offline"
        await asyncio.wait_for(self.socket.send(json.dumps(message)), STEP)

    async def push(self, command: Message) -> None:
        """Queue a command and send it now if online (outbox.push)."""
        self.outbox[command["id"]] = command
        if self.socket is not None:
            await self.send_raw(command)

    async def resend(self) -> None:
        """After (re)connecting: everything unanswered again, in order, same ids."""
        for command in list(self.outbox.values()):
            await self.send_raw(command)

    async def request(self, command: Message) -> Message:
        """Push one command and wait for its answer."""
        await self.push(command)
        return await self.reply_to(command["id"])

    async def reply_to(self, command_id: str, timeout: float = STEP) -> Message:
        await self.wait_until(
            lambda: command_id in self.replies, f"an answer to {command_id}", timeout
        )
        return self.replies[command_id][-1]

    async def wait_until(
        self, condition: Callable[[], bool], what: str, timeout: float = STEP
    ) -> None:
        async def watch() -> None:
            while not condition():
                self.changed.clear()
                if self.reader is not None and self.reader.done() and not condition():
                    raise AssertionError(f"{self.role}: socket closed while waiting for {what}")
                await self.changed.wait()

        try:
            await asyncio.wait_for(watch(), timeout)
        except TimeoutError:
            raise AssertionError(f"{self.role}: no {what} within {timeout} s") from None

    # receiving

    async def _read(self, socket: ClientConnection) -> None:
        try:
            async for raw in socket:
                self._take(json.loads(raw))
                self.changed.set()
        finally:
            self.changed.set()  # waiters notice the closed socket

    def _take(self, message: Message) -> None:
        kind = message["type"]
        if kind == "snapshot":
            self.snapshots.append(message)
            self.snapshot_walls.append(time.time())
            self.seq = message["seq"]
            self.board, self.notes = message["board"], dict(message["notes"])
            self.round = message["round"]
            self.events = []
        elif kind == "event":
            if message["seq"] <= self.seq:
                return  # a duplicate: already in what we have
            if message["seq"] != self.seq + 1:
                self.gaps.append((self.seq + 1, message["seq"]))
            self.events.append(message)
            self.seq = message["seq"]
            if message["kind"] == "board":
                self.board = message["board"]
            elif message["kind"] == "note":
                self.notes[message["field"]] = message["text"]
            elif message["kind"] == "round":
                self.round = message["round"]
        elif kind in ("ack", "error"):
            if message.get("id") is None:
                self.anonymous_errors.append(message)
                return
            self.replies.setdefault(message["id"], []).append(message)
            # An answer settles the command, unless the server asks us to send it again.
            if not message.get("retry"):
                self.outbox.pop(message["id"], None)
        elif kind == "pong":
            self.pongs += 1
