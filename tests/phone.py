"""A phone as the play page is one: it joins through the join page's form like a browser, keeps
one websocket the way static/js/socket.js does, applies what it hears as play/table.js does and
keeps unconfirmed commands as play/outbox.js does (play/main.js ties them together).

socket.js's timings (the ping interval, the silence after which a socket is given up and
reopened, the backoff from 0.5 s doubling up to 8 s) are read from socket.js itself, so this phone gives up on a dead path
when a real one does. Browsers never send protocol-level pings, so neither does this phone.

Used in-process by tests/test_hosted.py and, through tests/venue_client.py, as a process in a
network namespace of its own by tests/test_venue.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

import httpx
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from app.settings import ROOT

Message = dict[str, Any]
STEP = 10.0  # seconds for one HTTP request
OPEN_TIMEOUT = 60.0  # a browser waits as long as the kernel's connect does; a test not forever
SOCKET_JS = (ROOT / "app" / "static" / "js" / "socket.js").read_text()


def _js_seconds(pattern: str) -> float:
    match = re.search(pattern, SOCKET_JS)
    assert match, f"socket.js no longer matches {pattern!r}"
    return int(match.group(1).replace("_", "")) / 1000


PING_EVERY = _js_seconds(r"const PING_EVERY = ([\d_]+);")
SILENT_TOO_LONG = _js_seconds(r"const SILENT_TOO_LONG = ([\d_]+);")
FIRST_DELAY = _js_seconds(r"let delay = ([\d_]+);")
MAX_DELAY = _js_seconds(r"delay = Math\.min\(delay \* 2, ([\d_]+)\);")
STALE_PAGE = (4403, 4404)  # socket.js reloads the page on these close codes
TEXT_TARGET = {"explain": "card", "name": "card", "note": "field"}  # outbox.js: newest text wins
RETRIES = 4  # outbox.retry gives up after this many "busy, try again"


def lay(card: str, side: str, extent: str) -> Message:
    """A tap that puts a card on the board (the phone gives the command its id)."""
    return {"type": "place", "card": card, "side": side, "extent": extent, "position": 0}


class BrowserPhone:
    """One seat's phone: `join()` opens the QR code's URL and takes the seat, `start()` keeps
    the socket open, `push()` is a tap on the screen."""

    def __init__(self, join_url: str, role: str, name: str) -> None:
        parts = urlsplit(join_url)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.join_path = parts.path
        self.code = parts.path.rsplit("/", 1)[-1]
        self.role, self.name = role, name
        self.cookie = ""
        self.socket: ClientConnection | None = None
        self.tasks: set[asyncio.Task[None]] = set()
        self.last_heard = 0.0
        # the table as play/table.js keeps it
        self.seq: int | None = None
        self.awaiting = True
        self.board: list[Message] = []
        self.notes: dict[str, str] = {}
        self.round: Message = {}
        self.locked = False
        # play/outbox.js: unconfirmed commands in order, each [command, ack seq or None, tries]
        self.outbox: list[list[Any]] = []
        # what a test wants to know
        self.upstreams: list[str] = []  # the X-Upstream header of each socket that opened
        self.snapshots = 0
        self.whistles = 0  # round events that blew the whistle on this phone
        self.gaps = 0  # events that came after a missed one (each answered with a resync)
        self.refusals: list[Message] = []
        self.reload_code: int | None = None  # set when the page would have reloaded

    # joining, as a browser on the join page does

    async def join(self) -> None:
        async with httpx.AsyncClient(
            base_url=self.origin, timeout=STEP, trust_env=False, follow_redirects=False
        ) as browser:
            page = await browser.get(self.join_path)
            assert page.status_code == 200, page.text
            csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
            assert csrf, page.text
            form = {"csrf": csrf.group(1), "role": self.role, "name": self.name}
            joined = await browser.post(self.join_path, data=form, headers={"Origin": self.origin})
            assert joined.status_code == 303, joined.text
            table = await browser.get(joined.headers["location"])
            assert table.status_code == 200, table.text
            self.cookie = str(browser.cookies["ks_device"])

    # the socket, as socket.js keeps it

    def start(self) -> None:
        self._spawn(self._keep_open())
        self._spawn(self._ping())

    async def stop(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        socket, self.socket = self.socket, None
        if socket is not None:
            await socket.close()

    @property
    def online(self) -> bool:
        return self.socket is not None

    @property
    def opened(self) -> int:
        return len(self.upstreams)

    def _spawn(self, work: Any) -> None:
        task = asyncio.create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _keep_open(self) -> None:
        delay = FIRST_DELAY
        while True:
            try:
                socket = await websockets.connect(
                    f"{self.origin.replace('http', 'ws', 1)}/ws/tables/{self.code}",
                    additional_headers={
                        "Cookie": f"ks_device={self.cookie}",
                        "Origin": self.origin,
                    },
                    ping_interval=None,
                    open_timeout=OPEN_TIMEOUT,
                    close_timeout=1,
                    proxy=None,
                )
            except (OSError, TimeoutError, InvalidHandshake):
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_DELAY)
                continue
            delay = FIRST_DELAY
            self._opened(socket)
            with contextlib.suppress(ConnectionClosed):
                async for raw in socket:
                    self.last_heard = time.monotonic()
                    self._receive(json.loads(raw))
            if self.socket is not socket:
                continue  # _ping gave up on it: open the next one at once, as reconnect() does
            self.socket = None
            if socket.close_code in STALE_PAGE:
                self.reload_code = socket.close_code
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_DELAY)

    def _opened(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.last_heard = time.monotonic()
        self.upstreams.append(
            socket.response.headers.get("X-Upstream", "") if socket.response else ""
        )
        self.awaiting = True  # main.js onOpen: the server sends a snapshot on every connect
        self._resend()

    async def _ping(self) -> None:
        while True:
            await asyncio.sleep(PING_EVERY)
            socket = self.socket
            if socket is None:
                continue
            if time.monotonic() - self.last_heard > SILENT_TOO_LONG:
                self.socket = None  # a dead path can take minutes to report its close
                self._spawn(socket.close())
                continue
            self._send({"type": "ping"})

    def _send(self, message: Message) -> bool:
        """socket.send: false when offline (the outbox keeps the command for later)."""
        socket = self.socket
        if socket is None:
            return False
        self._spawn(self._write(socket, json.dumps(message, separators=(",", ":"))))
        return True

    @staticmethod
    async def _write(socket: ClientConnection, text: str) -> None:
        with contextlib.suppress(ConnectionClosed):
            await socket.send(text)

    # what the phone hears, as main.js's receive()

    def _receive(self, message: Message) -> None:
        kind = message["type"]
        if kind == "snapshot":
            self.snapshots += 1
            self.seq, self.awaiting = message["seq"], False
            self.board, self.notes = message["board"], dict(message["notes"])
            self.round, self.locked = message["round"], message["locked"]
            self._settle()
        elif kind == "event":
            if self.awaiting or self.seq is None or message["seq"] <= self.seq:
                return
            if message["seq"] > self.seq + 1:
                self.gaps += 1
                self._resync()
                return
            self.seq = message["seq"]
            self.board = message.get("board", self.board)
            self.locked = message.get("locked", self.locked)
            if message["kind"] == "note":
                self.notes[message["field"]] = message.get("text", "")
            if "round" in message:
                self.round = message["round"]
                self.whistles += message["round"]["whistle"] is True
            self._settle()
        elif kind == "ack":
            for item in self.outbox:
                if item[0]["id"] == message["id"]:
                    item[1] = message["seq"]
            self._settle()
        elif kind == "error":
            self._refused(message)

    def _refused(self, message: Message) -> None:
        item = next((i for i in self.outbox if i[0]["id"] == message.get("id")), None)
        if message.get("retry") and item is not None and item[2] < RETRIES:
            item[2] += 1
            command = item[0]
            asyncio.get_running_loop().call_later(
                0.5 * 2 ** item[2], lambda: item in self.outbox and self._send(command)
            )
            return
        self.refusals.append(message)
        if item is not None:
            self.outbox.remove(item)
        self._resync()  # the server's board is the truth: fetch it

    def _resync(self) -> None:
        """main.js resync(): ask for a snapshot, and again every 5 s until one comes."""
        self.awaiting = True
        self._send({"type": "resync"})
        asyncio.get_running_loop().call_later(5, lambda: self.awaiting and self._resync())

    # the outbox

    def push(self, fields: Message) -> Message:
        """A tap: queue the command with a fresh id and send it if online."""
        command = {**fields, "id": uuid.uuid4().hex}
        target = TEXT_TARGET.get(command["type"])
        if target:
            self.outbox = [
                i
                for i in self.outbox
                if i[1] is not None
                or i[0]["type"] != command["type"]
                or i[0].get(target) != command[target]
            ]
        self.outbox.append([command, None, 0])
        self._send(command)
        return command

    def _resend(self) -> None:
        for command, ack_seq, _ in self.outbox:
            if ack_seq is None:
                self._send(command)

    def _settle(self) -> None:
        """Drop the commands whose effect the board shows (their event has arrived)."""
        seq = self.seq
        self.outbox = [i for i in self.outbox if i[1] is None or seq is None or i[1] > seq]

    def state(self) -> Message:
        return {
            "role": self.role,
            "online": self.socket is not None,
            "seq": self.seq,
            "awaiting": self.awaiting,
            "board": self.board,
            "notes": self.notes,
            "round": self.round,
            "locked": self.locked,
            "outbox": len(self.outbox),
            "opened": self.opened,
            "upstreams": self.upstreams,
            "snapshots": self.snapshots,
            "whistles": self.whistles,
            "gaps": self.gaps,
            "refusals": self.refusals,
            "reload_code": self.reload_code,
        }
