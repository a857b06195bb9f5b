"""Load generator: T tables × 5 phones and a facilitator's dashboard, over the real protocol.

Every phone takes its own seat (its own device cookie) and opens its own websocket, as in
docs/protocol.md; the facilitator's dashboard opens /ws/workshops/<id>. At each table the
respondent whose round it is (respondent1) places, moves and returns cards, always valid by
the board rules (only each factor's first copy, so a factor never lies twice on one side),
at an aggregate rate across all tables; everyone else listens.

Latency of a command = from just before it is sent to the moment the last of the table's five
phones AND the dashboard has received the event with the seq its ack named. Reported:
p50/p95/p99/max, moves/s sustained, errors (error replies, timeouts, disconnects), and the
server processes' peak RSS (with their children).

    python bench/load.py --spawn 1 --tables 100 --rate 100 --duration 60
    python bench/load.py --target ceiling --tables 100 --rate 100 --duration 60
    python bench/load.py --url http://127.0.0.1:8000 --tables 10 --server-pid 1234
    python bench/load.py --spawn 2 --database-url postgresql://… --redis-url redis://…

Only loopback addresses are allowed as --url: the load goes to this machine and nowhere else.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.cookiejar
import json
import math
import os
import random
import re
import resource
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

from servers import MemorySampler, ServerRefused, Spawned, tree_cpu_seconds  # noqa: E402

ROLES = ("interviewer", "respondent1", "respondent2", "reporter", "observer")
MOVER = "respondent1"  # round 1 interviews respondent 1: the one who lays the cards
LISTENERS = len(ROLES) + 1  # five phones and the dashboard must each see every event
MAX_TABLES_PER_WORKSHOP = 100
ZONES = [(s, e) for s in ("stimulating", "hindering") for e in ("limited", "large")]
EVENT_PREFIX = '{"type":"event","seq":'
TABLE_ID = re.compile(r'"table_id":(\d+)')


def fallback_cards() -> list[str]:
    """The first copy of every factor in the default deck (not the blank one)."""
    try:
        from app.deck import load_library
        from app.settings import ROOT

        deck = load_library(ROOT / "cards").deck("llo", "nl")
        return [c.id for c in deck.cards() if c.id.endswith("-1") and c.factor_code != "X"]
    except Exception:  # the deck could not be read: the llo deck's codes
        return [f"{c}{n}-1" for c in "ABCDE" for n in range(1, 6)]


@dataclass
class Command:
    id: str
    table: Table
    t0: float
    measured: bool
    seq: int | None = None


@dataclass
class Table:
    index: int
    number: int
    code: str
    workshop: int
    url: list[str]  # the server each role's phone talks to, by role index
    cookies: dict[str, str] = field(default_factory=dict)
    table_id: int | None = None
    sockets: dict[str, ClientConnection] = field(default_factory=dict)
    # The board as the mover will have it once every command sent so far is applied.
    model: dict[str, tuple[str, str]] = field(default_factory=dict)
    stale: bool = False  # an error or timeout: wait for a fresh snapshot before going on
    pending: dict[str, Command] = field(default_factory=dict)
    by_seq: dict[int, Command] = field(default_factory=dict)
    receipts: dict[int, list[float]] = field(default_factory=dict)  # seq -> [count, last time]


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    sent: int = 0
    sent_measured: int = 0
    completed_measured: int = 0
    skipped: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    timeouts: int = 0
    disconnects: int = 0
    max_send_lag: float = 0.0


class Load:
    def __init__(self, options: argparse.Namespace, urls: list[str]) -> None:
        self.o = options
        self.urls = urls
        self.ws_urls = ["ws" + u.removeprefix("http") for u in urls]
        self.rng = random.Random(options.seed)
        self.cards = fallback_cards()
        self.tables: list[Table] = []
        self.by_table_id: dict[int, Table] = {}
        self.workshops: list[dict[str, Any]] = []
        self.dashboards: list[ClientConnection] = []
        self.stats = Stats()
        self.running = False
        self.measuring_from = math.inf
        self.receivers: list[asyncio.Task[None]] = []

    # --- setting up: workshops, seats, round, sockets ---------------------------------------

    def http(self, url: str) -> httpx.AsyncClient:
        # Every phone is a device of its own: never carry one phone's cookie over to the next.
        no_cookies = http.cookiejar.CookieJar(
            policy=http.cookiejar.DefaultCookiePolicy(allowed_domains=[])
        )
        return httpx.AsyncClient(
            base_url=url,
            timeout=30,
            trust_env=False,
            cookies=no_cookies,
            limits=httpx.Limits(max_connections=32),
        )

    async def setup(self) -> None:
        o = self.o
        async with self.http(self.urls[0]) as http:
            remaining = o.tables
            while remaining > 0:
                count = min(remaining, MAX_TABLES_PER_WORKSHOP)
                response = await http.post(
                    "/api/workshops",
                    json={"title": "Benchmark", "tables": count, "round_minutes": 60},
                )
                response.raise_for_status()
                self.workshops.append(response.json())
                remaining -= count
        for w, workshop in enumerate(self.workshops):
            for t in workshop["tables"]:
                index = len(self.tables)
                # Phones of one table are spread over the processes, the dashboard is on the first.
                urls = [self.urls[(index + r) % len(self.urls)] for r in range(len(ROLES))]
                self.tables.append(Table(index, t["number"], t["join_code"], w, urls))

        clients = {url: self.http(url) for url in self.urls}
        limit = asyncio.Semaphore(self.o.setup_concurrency)

        async def seat(table: Table, r: int, role: str) -> None:
            async with limit:
                response = await clients[table.url[r]].post(
                    f"/api/tables/{table.code}/seat", json={"role": role, "name": role}
                )
                response.raise_for_status()
                table.cookies[role] = response.cookies["ks_device"]

        try:
            await asyncio.gather(
                *(seat(t, r, role) for t in self.tables for r, role in enumerate(ROLES))
            )
            # The round runs, as it would in the workshop (the clock ticks on every phone).
            http = clients[self.urls[0]]
            for workshop in self.workshops:
                response = await http.post(
                    f"/api/workshops/{workshop['id']}/rounds/start",
                    json={},
                    headers={"Authorization": f"Bearer {self.token(workshop)}"},
                )
                response.raise_for_status()
        finally:
            for client in clients.values():
                await client.aclose()

    @staticmethod
    def token(workshop: dict[str, Any]) -> str:
        return str(workshop["facilitator_url"]).rsplit("/", 1)[-1]

    @staticmethod
    def venue_address(workshop: int) -> tuple[str, int]:
        """The loopback address a workshop's phones connect from, one per workshop as if each
        were a venue behind its own NAT: the server caps the sockets per address
        (SOCKETS_PER_ADDRESS, a full workshop's worth), so 1 000 tables from one address
        would be refused."""
        return (f"127.0.{1 + workshop // 250}.{1 + workshop % 250}", 0)

    async def open_socket(
        self, url: str, cookie: str | None = None, workshop: int = 0
    ) -> ClientConnection:
        headers = {"Cookie": f"ks_device={cookie}"} if cookie else None
        # As every browser offers it: "permessage-deflate; client_max_window_bits", nothing
        # else; the server picks its windows (uvicorn answers 12 bits, memLevel 5).
        # (None, not []: an empty list sends an empty extensions header, refused via nginx.)
        deflate = [ClientPerMessageDeflateFactory()] if self.o.compression == "deflate" else None
        return await asyncio.wait_for(
            connect(
                url,
                additional_headers=headers,
                proxy=None,
                open_timeout=30,
                close_timeout=2,
                ping_interval=None,  # the app's own ping is a message; keep the wire quiet
                max_size=2**22,
                compression=None,
                extensions=deflate,
                local_addr=self.venue_address(workshop),
            ),
            60,
        )

    async def connect_all(self) -> None:
        limit = asyncio.Semaphore(self.o.connect_concurrency)

        async def dashboard(workshop: dict[str, Any]) -> None:
            url = f"{self.ws_urls[0]}/ws/workshops/{workshop['id']}?key={self.token(workshop)}"
            socket = await self.open_socket(url, workshop=workshop["_index"])
            first = json.loads(await asyncio.wait_for(socket.recv(), 30))
            assert first["type"] == "dashboard", first
            numbers = {t.number: t for t in self.tables if t.workshop == workshop["_index"]}
            for summary in first["tables"]:
                table = numbers[summary["number"]]
                table.table_id = summary["table_id"]
                self.by_table_id[summary["table_id"]] = table
            self.dashboards.append(socket)
            self.receivers.append(asyncio.create_task(self.dashboard_receiver(socket)))

        async def phone(table: Table, r: int, role: str) -> None:
            async with limit:
                ws_url = "ws" + table.url[r].removeprefix("http")
                socket = await self.open_socket(
                    f"{ws_url}/ws/tables/{table.code}", table.cookies[role], table.workshop
                )
                first = json.loads(await asyncio.wait_for(socket.recv(), 30))
                assert first["type"] == "snapshot", first
                table.sockets[role] = socket
                if role == MOVER:
                    self.take_board(table, first.get("board") or [])
                self.receivers.append(asyncio.create_task(self.phone_receiver(table, role)))

        for index, workshop in enumerate(self.workshops):
            workshop["_index"] = index
        await asyncio.gather(*(dashboard(w) for w in self.workshops))
        await asyncio.gather(
            *(phone(t, r, role) for t in self.tables for r, role in enumerate(ROLES))
        )

    # --- receiving ---------------------------------------------------------------------------

    def take_board(self, table: Table, board: list[dict[str, Any]]) -> None:
        table.model = {p["card"]: (p["side"], p["extent"]) for p in board}
        table.stale = False

    def seen(self, table: Table, seq: int, now: float) -> None:
        receipt = table.receipts.get(seq)
        if receipt is None:
            receipt = table.receipts[seq] = [0, 0.0]
        receipt[0] += 1
        receipt[1] = now
        if receipt[0] >= LISTENERS:
            command = table.by_seq.pop(seq, None)
            if command is not None:
                del table.receipts[seq]
                self.finish(command, now)

    def finish(self, command: Command, last: float) -> None:
        command.table.pending.pop(command.id, None)
        if command.measured:
            self.stats.latencies.append(last - command.t0)
            self.stats.completed_measured += 1

    async def phone_receiver(self, table: Table, role: str) -> None:
        socket = table.sockets[role]
        try:
            async for raw in socket:
                now = time.perf_counter()
                assert isinstance(raw, str)
                if raw.startswith(EVENT_PREFIX):
                    end = raw.index(",", len(EVENT_PREFIX))
                    self.seen(table, int(raw[len(EVENT_PREFIX) : end]), now)
                    continue
                message = json.loads(raw)
                kind = message.get("type")
                if kind == "event":  # a server that orders its fields differently
                    self.seen(table, int(message["seq"]), now)
                elif kind == "ack":
                    self.acked(table, message, now)
                elif kind == "error":
                    self.refused(table, message)
                elif kind == "snapshot" and role == MOVER:
                    self.take_board(table, message.get("board") or [])
        except ConnectionClosed:
            pass
        if self.running:
            self.stats.disconnects += 1

    async def dashboard_receiver(self, socket: ClientConnection) -> None:
        try:
            async for raw in socket:
                now = time.perf_counter()
                assert isinstance(raw, str)
                found = TABLE_ID.search(raw) if raw.startswith(EVENT_PREFIX) else None
                if found is None:
                    continue  # a dashboard snapshot
                table = self.by_table_id.get(int(found.group(1)))
                if table is not None:
                    end = raw.index(",", len(EVENT_PREFIX))
                    self.seen(table, int(raw[len(EVENT_PREFIX) : end]), now)
        except ConnectionClosed:
            pass
        if self.running:
            self.stats.disconnects += 1

    def acked(self, table: Table, message: dict[str, Any], now: float) -> None:
        command = table.pending.get(message["id"])
        if command is None:
            return
        command.seq = seq = int(message["seq"])
        receipt = table.receipts.get(seq)
        if receipt is not None and receipt[0] >= LISTENERS:
            del table.receipts[seq]
            self.finish(command, receipt[1])
        else:
            table.by_seq[seq] = command

    def refused(self, table: Table, message: dict[str, Any]) -> None:
        command = table.pending.pop(str(message.get("id")), None)
        if command is None or command.measured:
            self.stats.errors[str(message.get("code"))] += 1
        self.resync(table)

    def resync(self, table: Table) -> None:
        # As a phone does: the server's board is the truth; fetch it rather than guess.
        table.stale = True
        socket = table.sockets.get(MOVER)
        if socket is not None:
            asyncio.ensure_future(socket.send('{"type":"resync"}'))

    # --- sending -----------------------------------------------------------------------------

    def next_command(self, table: Table) -> dict[str, Any]:
        """A valid next move for this table's board: lay a card, move one, or take one back."""
        model, rng = table.model, self.rng
        draw = rng.random()
        command: dict[str, Any]
        if not model or (len(model) < self.o.board_cards and draw < 0.45):
            card = rng.choice([c for c in self.cards if c not in model])
            side, extent = rng.choice(ZONES)
            command = {"type": "place", "card": card, "side": side, "extent": extent}
        elif draw < 0.85:
            card = rng.choice(list(model))
            side, extent = rng.choice(ZONES)
            command = {"type": "place", "card": card, "side": side, "extent": extent}
        else:
            card = rng.choice(list(model))
            del model[card]
            return {"type": "return", "id": uuid.uuid4().hex, "card": card}
        in_zone = sum(1 for z in model.values() if z == (side, extent))
        command["position"] = rng.randint(0, in_zone)
        model[card] = (side, extent)
        # The fields in the order a phone sends them: type, id, card, side, extent, position.
        return {"type": command.pop("type"), "id": uuid.uuid4().hex, **command}

    async def send(self, table: Table, measured: bool) -> None:
        if table.stale:
            self.stats.skipped += measured
            return
        message = self.next_command(table)
        command = Command(message["id"], table, time.perf_counter(), measured)
        table.pending[command.id] = command
        self.stats.sent += 1
        self.stats.sent_measured += measured
        try:
            await table.sockets[MOVER].send(json.dumps(message, separators=(",", ":")))
        except ConnectionClosed:
            table.pending.pop(command.id, None)

    async def expire(self) -> None:
        """Commands not seen by every listener within --timeout count as timeouts."""
        while True:
            await asyncio.sleep(0.25)
            self.expire_now(time.perf_counter())

    def expire_now(self, now: float) -> None:
        for table in self.tables:
            late = [c for c in table.pending.values() if now - c.t0 > self.o.timeout]
            for command in late:
                del table.pending[command.id]
                if command.seq is not None:
                    table.by_seq.pop(command.seq, None)
                if command.measured:
                    self.stats.timeouts += 1
                # No resync: a slow server still applies it, in order, so the board model
                # holds (a phone waits for its ack too), and a snapshot per late command
                # would only add to the load of a server that is already behind.

    async def probe(self) -> str | None:
        """One command at the first table; None when every listener saw it, else why not."""
        table = self.tables[0]
        await self.send(table, measured=False)
        deadline = time.perf_counter() + self.o.timeout
        while table.pending and time.perf_counter() < deadline:
            await asyncio.sleep(0.02)
        if not table.pending:
            return None
        command = next(iter(table.pending.values()))
        receipt = table.receipts.get(command.seq or -1, [0, 0.0])
        return (
            f"a command at table 1 was {'acknowledged' if command.seq else 'not acknowledged'}"
            f" and its event reached {int(receipt[0])} of {LISTENERS} listeners"
            f" in {self.o.timeout} s"
        )

    async def drive(self) -> float:
        """Send at --rate across all tables for --warmup + --duration; returns measured seconds."""
        o = self.o
        loop = asyncio.get_running_loop()
        start = loop.time() + 0.05
        self.measuring_from = start + o.warmup
        end = self.measuring_from + o.duration
        count = len(self.tables)
        k = 0
        while True:
            due = start + k / o.rate
            if due >= end:
                break
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                self.stats.max_send_lag = max(self.stats.max_send_lag, -delay)
            table = self.tables[k % count]
            await self.send(table, measured=due >= self.measuring_from)
            k += 1
        return o.duration

    async def close(self) -> None:
        self.running = False
        sockets = [s for t in self.tables for s in t.sockets.values()] + self.dashboards

        async def shut(socket: ClientConnection) -> None:
            with contextlib.suppress(TimeoutError, ConnectionClosed, OSError):
                await asyncio.wait_for(socket.close(), 3)

        await asyncio.gather(*(shut(s) for s in sockets))
        for task in self.receivers:
            task.cancel()

    async def delete_workshops(self) -> int:
        """Delete every workshop this run made, as the facilitator does at the end; how many."""
        deleted = 0
        async with self.http(self.urls[0]) as http:
            for workshop in self.workshops:
                # A 100-table workshop is thousands of rows, overwritten (secure_delete).
                response = await http.delete(
                    f"/api/workshops/{workshop['id']}",
                    headers={"Authorization": f"Bearer {self.token(workshop)}"},
                    timeout=300,
                )
                deleted += response.status_code == 204
        return deleted


def raise_open_files_limit() -> int:
    """Raise this process's soft limit on open files to its hard limit (spawned servers
    inherit it): 5 000 phones are 5 000 sockets here and 5 000 in the server. Returns it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        wanted = 1_048_576 if hard == resource.RLIM_INFINITY else hard
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


async def settled_rss(memory: MemorySampler, within: float, every: float = 1.0) -> int:
    """The servers' RSS once it stops falling (two samples in a row within 1 MB), or after
    `within` seconds; the first 10 s are always waited (a process may give memory back a
    moment after its sockets closed)."""
    deadline = time.monotonic() + within
    await asyncio.sleep(min(within, 10.0))
    last = memory.sample()
    while time.monotonic() < deadline:
        await asyncio.sleep(every)
        now = memory.sample()
        if abs(now - last) < 2**20:
            return now
        last = now
    return last


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (not idle, not waiting for I/O)."""
    import psutil

    times = psutil.cpu_times()
    # guest time is already counted in user time on Linux
    skip = ("idle", "iowait", "guest", "guest_nice", "steal")
    return float(sum(v for k, v in times._asdict().items() if k not in skip))


def percentile(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[index]


def loopback_only(url: str) -> None:
    host = urlsplit(url).hostname or ""
    if not (host == "localhost" or host == "::1" or host.startswith("127.")):
        raise SystemExit(f"--url must be a loopback address (127.0.0.0/8, localhost), not {host}")


async def wait_for_quiet(most: float, threshold: float = 0.15, windows: int = 3) -> float:
    """Wait (at most `most` s) until other processes use under `threshold` cores for
    `windows` 2-second windows in a row."""
    deadline = time.monotonic() + most
    quiet = 0
    while True:
        busy, own = machine_busy_seconds(), time.process_time()
        await asyncio.sleep(2)
        other = (machine_busy_seconds() - busy - (time.process_time() - own)) / 2
        quiet = quiet + 1 if other < threshold else 0
        if quiet >= windows or time.monotonic() >= deadline:
            return round(other, 2)


async def run_load(
    o: argparse.Namespace, on_measure: Callable[[], object] | None = None
) -> dict[str, Any]:
    """One benchmark run; spawns (and stops) the server(s) unless --url is given.

    `on_measure` is called once the tables are set up and connected, as sending starts
    (bench/profile_server.py starts its profiler there)."""
    spawned: Spawned | None = None
    if o.quiet_wait > 0:
        other = await wait_for_quiet(o.quiet_wait)
        if other >= 0.15:
            print(f"the machine is still busy ({other} cores used by others)", file=sys.stderr)
    result: dict[str, Any] = {
        "target": o.target,
        "tables": o.tables,
        "phones": o.tables * len(ROLES),
        "dashboards": math.ceil(o.tables / MAX_TABLES_PER_WORKSHOP),
        "offered_rate": o.rate,
        "duration_s": o.duration,
        "warmup_s": o.warmup,
    }
    if o.url:
        urls = [u.rstrip("/") for u in o.url]
        for url in urls:
            loopback_only(url)
        pids = list(o.server_pid or [])
        result["server"] = {"urls": urls, "spawned": False}
    else:
        spawned = Spawned(
            target=o.target,
            processes=o.spawn,
            database_url=o.database_url,
            redis_url=o.redis_url,
        )
        try:
            await asyncio.to_thread(spawned.start)
        except ServerRefused as refused:
            if o.redis_url or o.spawn > 1:
                return result | {"skipped": f"the server refused to start: {refused}"}
            raise
        urls, pids = spawned.urls, spawned.pids()
        result["server"] = {
            "urls": urls,
            "spawned": True,
            "processes": o.spawn,
            "database": "sqlite (temporary file)"
            if not o.database_url
            else o.database_url.split(":", 1)[0],
            "redis": bool(o.redis_url),
            "workdir": str(spawned.workdir),
        }
    load = Load(o, urls)
    memory = MemorySampler(pids).start() if pids else None
    expirer: asyncio.Task[None] | None = None
    try:
        result["rss_idle_mb"] = round(memory.sample() / 2**20, 1) if memory else None
        began = time.perf_counter()
        await load.setup()
        await load.connect_all()
        result["setup_s"] = round(time.perf_counter() - began, 1)
        result["rss_connected_mb"] = round(memory.sample() / 2**20, 1) if memory else None
        load.running = True
        expirer = asyncio.create_task(load.expire())
        problem = await load.probe()
        if problem is not None:
            why = "events do not reach every phone" + (
                " (phones are spread over several processes: no fan-out between them,"
                " is REDIS_URL supported by this server?)"
                if len(urls) > 1
                else ""
            )
            return result | {"skipped": f"{why}: {problem}"}
        await asyncio.sleep(0.2)
        cpu_server_before = tree_cpu_seconds(pids) if pids else 0.0
        cpu_generator_before = time.process_time()
        cpu_machine_before = machine_busy_seconds()
        wall_before = time.perf_counter()
        if on_measure is not None:
            on_measure()
        seconds = await load.drive()
        # CPU while sending (warm-up included), before the wait for the last commands.
        wall = time.perf_counter() - wall_before
        cpu_generator = time.process_time() - cpu_generator_before
        cpu_server = (tree_cpu_seconds(pids) - cpu_server_before) if pids else None
        cpu_machine = machine_busy_seconds() - cpu_machine_before
        # Let the last commands finish (or time out) before judging.
        deadline = time.perf_counter() + o.timeout + 0.5
        while any(t.pending for t in load.tables) and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
        load.expire_now(time.perf_counter() + o.timeout + 1)
    finally:
        if expirer is not None:
            expirer.cancel()
        await load.close()
        peak = memory.stop() if memory else None
        try:
            if memory and o.after_leave > 0 and load.workshops:
                # Everyone has gone: the sockets are closed, now the workshops are deleted.
                left = await settled_rss(memory, o.after_leave)
                result["rss_left_mb"] = round(left / 2**20, 1)
                result["workshops_deleted"] = await load.delete_workshops()
                after = await settled_rss(memory, o.after_leave)
                result["rss_after_mb"] = round(after / 2**20, 1)
        finally:
            if spawned is not None:
                await asyncio.to_thread(spawned.stop)
    s = load.stats
    ms = [v * 1000 for v in s.latencies]
    result |= {
        "sent": s.sent_measured,
        "completed": s.completed_measured,
        "moves_per_s": round(s.completed_measured / seconds, 1),
        "latency_ms": {
            "p50": round(percentile(ms, 50), 2),
            "p95": round(percentile(ms, 95), 2),
            "p99": round(percentile(ms, 99), 2),
            "max": round(max(ms), 2) if ms else math.nan,
            "mean": round(sum(ms) / len(ms), 2) if ms else math.nan,
        },
        "errors": dict(s.errors),
        "error_count": sum(s.errors.values()),
        "timeouts": s.timeouts,
        "disconnects": s.disconnects,
        "skipped_stale": s.skipped,
        "peak_rss_mb": round(peak / 2**20, 1) if peak else None,
        "generator_cpu": round(cpu_generator / wall, 2),
        # Server CPU per command sent while sending (warm-up included), in ms.
        "server_cpu_ms_per_move": round(1000 * cpu_server / s.sent, 3)
        if cpu_server is not None and s.sent
        else None,
        "compression": o.compression,
        "server_cpu": round(cpu_server / wall, 2) if cpu_server is not None else None,
        "max_send_lag_ms": round(s.max_send_lag * 1000, 1),
        # Everything else this machine ran meanwhile (other people's jobs skew the figures).
        "other_cpu": round(max(0.0, cpu_machine - cpu_generator - (cpu_server or 0.0)) / wall, 2),
    }
    result["load_average"] = " ".join(f"{v:.2f}" for v in os.getloadavg())
    if result["generator_cpu"] > 0.85:
        result["warning"] = (
            "the load generator used most of a core: its own delays are in these figures"
            " (try --uvloop, or fewer tables per generator)"
        )
    if result["other_cpu"] > 0.2:
        result["busy_machine"] = (
            f"other processes used {result['other_cpu']} cores during the run:"
            " the figures are skewed, run again on a quiet machine"
        )
    if spawned is not None and "Traceback" in spawned.logs():
        result["server_tracebacks"] = spawned.logs().count("Traceback")
    return result


async def run_load_quietly(o: argparse.Namespace) -> dict[str, Any]:
    """run_load, again (up to --busy-retries times) while other processes skewed the run."""
    result = await run_load(o)
    for _ in range(o.busy_retries):
        if "busy_machine" not in result:
            break
        print(f"retrying: {result['busy_machine']}", file=sys.stderr)
        result = await run_load(o)
    return result


def describe(result: dict[str, Any]) -> str:
    if "skipped" in result:
        return f"{result['target']}: SKIPPED — {result['skipped']}"
    lat = result["latency_ms"]
    errors = ", ".join(f"{k}={v}" for k, v in result["errors"].items()) or "none"
    lines = [
        f"target {result['target']}: {result['tables']} tables, {result['phones']} phones"
        f" + {result['dashboards']} dashboard(s); offered {result['offered_rate']} moves/s"
        f" for {result['duration_s']} s (+{result['warmup_s']} s warm-up)",
        f"  latency ms   p50 {lat['p50']}  p95 {lat['p95']}  p99 {lat['p99']}  max {lat['max']}",
        f"  sustained    {result['moves_per_s']} moves/s ({result['completed']} of"
        f" {result['sent']} commands seen by all {LISTENERS} listeners)",
        f"  errors       {errors}; timeouts {result['timeouts']};"
        f" disconnects {result['disconnects']}; skipped {result['skipped_stale']}",
        f"  server RSS   idle {result['rss_idle_mb']} MB, connected"
        f" {result['rss_connected_mb']} MB, peak {result['peak_rss_mb']} MB"
        + (
            f"; phones gone {result['rss_left_mb']} MB, workshops deleted"
            f" {result['rss_after_mb']} MB"
            if "rss_after_mb" in result
            else ""
        ),
        f"  CPU          server {result['server_cpu']} cores"
        f" ({result['server_cpu_ms_per_move']} ms per move), generator"
        f" {result['generator_cpu']} cores, others {result['other_cpu']} cores;"
        f" max send lag {result['max_send_lag_ms']} ms; setup {result['setup_s']} s",
        f"  machine      load average {result['load_average']} (1, 5, 15 min) at the end;"
        f" websocket compression: {result['compression']}",
    ]
    for key in ("warning", "busy_machine"):
        if key in result:
            lines.append(f"  warning      {result[key]}")
    if result.get("server_tracebacks"):
        lines.append(f"  warning      {result['server_tracebacks']} traceback(s) in the server log")
    return "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    parse = argparse.ArgumentParser(
        description="Kaartspel websocket load generator",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1] if __doc__ else None,
    )
    parse.add_argument("--tables", type=int, default=10)
    parse.add_argument("--rate", type=float, default=50.0, help="moves/s across all tables")
    parse.add_argument("--duration", type=float, default=10.0, help="measured seconds")
    parse.add_argument("--warmup", type=float, default=3.0, help="seconds sent but not measured")
    parse.add_argument("--target", choices=("app", "ceiling"), default="app")
    where = parse.add_mutually_exclusive_group()
    where.add_argument(
        "--url", action="append", help="an already running server (repeat for several processes)"
    )
    where.add_argument(
        "--spawn", type=int, default=1, metavar="N", help="start N server processes (default 1)"
    )
    parse.add_argument("--server-pid", type=int, action="append", help="with --url: for RSS")
    parse.add_argument("--database-url", help="for --spawn; default a temporary SQLite file")
    parse.add_argument("--redis-url", help="for --spawn: passed to the servers as REDIS_URL")
    parse.add_argument("--timeout", type=float, default=5.0, help="seconds per command")
    parse.add_argument("--board-cards", type=int, default=12, help="cards kept on each board")
    parse.add_argument("--setup-concurrency", type=int, default=8)
    parse.add_argument("--connect-concurrency", type=int, default=50)
    parse.add_argument("--seed", type=int, default=5)
    parse.add_argument(
        "--quiet-wait",
        type=float,
        default=60.0,
        metavar="S",
        help="first wait up to S s for other processes to leave the CPU idle (0: don't)",
    )
    parse.add_argument(
        "--busy-retries", type=int, default=2, help="runs again when others used the CPU"
    )
    parse.add_argument("--uvloop", action="store_true", help="run the generator on uvloop")
    parse.add_argument(
        "--compression",
        choices=("deflate", "none"),
        default="none",
        help="deflate: offer permessage-deflate as browsers do (default none)",
    )
    parse.add_argument(
        "--after-leave",
        type=float,
        default=0.0,
        metavar="S",
        help="after the run, close every socket, delete the workshops and report the RSS"
        " (waiting up to S s for it to settle each time)",
    )
    parse.add_argument("--json", action="store_true", help="print the result as JSON")
    return parse


def run(coroutine: Any, use_uvloop: bool) -> Any:
    if use_uvloop:
        import uvloop

        return uvloop.run(coroutine)
    return asyncio.run(coroutine)


def main() -> None:
    o = parser().parse_args()
    raise_open_files_limit()
    if o.target == "ceiling" and (o.spawn != 1 or o.redis_url or o.database_url):
        raise SystemExit("the ceiling is one in-memory process: no --spawn N, database or Redis")
    result = run(run_load_quietly(o), o.uvloop)
    print(json.dumps(result, indent=2) if o.json else describe(result))


if __name__ == "__main__":
    main()
