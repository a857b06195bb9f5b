"""Hosted, for real: three app processes behind Debian's nginx running deploy/nginx.conf, on
PostgreSQL and Redis, and the phones of one table spread over all three.

nginx runs unprivileged-style on 127.0.0.1 (its pid, logs and temp files in the test's
directory) with deploy/nginx.conf itself included (tests/nginx.py, shared with
bench/scale_out.py): only the upstream addresses and the listen port are substituted, so a
wrong websocket setting in that file fails this test. The wrapper adds one header,
`X-Upstream`, to see which process each socket reached.

Every step has a deadline; nginx and every process are stopped whatever happens.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from sqlalchemy import create_engine, text
from websockets.exceptions import ConnectionClosed

from tests.conftest import port_open, require
from tests.live_server import LiveServer
from tests.nginx import Nginx, nginx_binary
from tests.phone import BrowserPhone, lay
from tests.test_security import made_up_code
from tests.test_two_processes import REDIS_DB, unexpected_errors

Message = dict[str, Any]
ADMIN_TOKEN = f"admin-{uuid.uuid4().hex}"
ROLES = {
    "interviewer": "Ivo",
    "respondent1": "Roos",
    "respondent2": "Rana",
    "reporter": "Rik",
    "observer": "Olga",
}


@pytest.fixture
def hosted(tmp_path: Path, postgres_url: str) -> Iterator[tuple[Nginx, list[LiveServer]]]:
    require(port_open("127.0.0.1", 6379), "Redis is not running on 127.0.0.1:6379")
    require(os.access(nginx_binary(), os.X_OK), "nginx is not installed (Debian: nginx-light)")
    servers = []
    for name in ("app1", "app2", "app3"):
        (tmp_path / name).mkdir()
        servers.append(LiveServer(tmp_path / name))
    proxy = Nginx(tmp_path / "nginx", [server.port for server in servers])
    shared = {
        "DATABASE_URL": postgres_url,
        "REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
        "SECRET_KEY": f"shared-{uuid.uuid4().hex}",
        "PUBLIC_URL": proxy.base,
        "ADMIN_TOKEN": ADMIN_TOKEN,
    }
    try:
        for server in servers:  # one after the other: the first start migrates
            server.env.update(shared)
            server.start()
        proxy.start()
        yield proxy, servers
    finally:
        proxy.stop()
        for server in servers:
            server.stop()
    for server in servers:
        assert not unexpected_errors(server.log()), server.log()


def test_three_processes_behind_nginx_one_killed_mid_round_the_clock_ends_it_once(
    hosted: tuple[Nginx, list[LiveServer]], postgres_url: str
) -> None:
    proxy, servers = hosted
    database = create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://", 1))
    by_port = {f"127.0.0.1:{server.port}": server for server in servers}

    def query(sql: str, **values: Any) -> list[Any]:
        with database.connect() as connection:
            return list(connection.execute(text(sql), values).all())

    def post(path: str, token: str, **body: Any) -> Any:
        with httpx.Client(base_url=proxy.base, timeout=10, trust_env=False) as http:
            response = http.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code in (200, 201), response.text
        return response.json()

    workshop = post("/api/workshops", ADMIN_TOKEN, title="Gehost", tables=1, round_minutes=1)
    facilitator = workshop["facilitator_url"].rsplit("/", 1)[-1]
    rounds = f"/api/workshops/{workshop['id']}/rounds"
    join_url = workshop["tables"][0]["join_url"]
    assert join_url.startswith(f"{proxy.base}/j/"), join_url
    code = workshop["tables"][0]["join_code"]
    [(table_id,)] = query("SELECT id FROM workshop_table WHERE join_code = :c", c=code)

    def server_seq() -> int:
        [(seq,)] = query("SELECT seq FROM workshop_table WHERE id = :t", t=table_id)
        return int(seq)

    async def play() -> None:
        phones = {role: BrowserPhone(join_url, role, name) for role, name in ROLES.items()}
        try:
            for phone in phones.values():
                await phone.join()
            # One socket after the other, nothing else in between: nginx's round robin puts
            # them on app1, app2, app3, app1, app2 (in some rotation).
            for phone in phones.values():
                phone.start()
                await until(lambda phone=phone: phone.snapshots == 1, 10, "a snapshot")
            where = {role: phone.upstreams[0] for role, phone in phones.items()}
            assert set(where.values()) == set(by_port), where

            async def settled(what: str, within: float = 10) -> None:
                """Every phone online, at the server's seq, with nothing unconfirmed."""
                deadline = time.monotonic() + within
                while True:
                    seq = await asyncio.to_thread(server_seq)
                    behind = {
                        role: {k: v for k, v in p.state().items() if k not in ("board", "notes")}
                        for role, p in phones.items()
                        if not p.online or p.awaiting or p.seq != seq or p.outbox
                    }
                    if not behind:
                        return
                    assert time.monotonic() < deadline, (
                        f"{what}: not in {within} s, at {seq}: {behind}"
                    )
                    await asyncio.sleep(0.1)

            await settled("every phone has its snapshot")
            await asyncio.to_thread(post, f"{rounds}/start", facilitator, table=1)
            respondent = phones["respondent1"]
            reporter, observer = phones["reporter"], phones["observer"]
            respondent.push(lay("A1-1", "stimulating", "large"))
            respondent.push(lay("C1-1", "hindering", "large"))
            reporter.push({"type": "note", "field": "development", "text": "Gestart"})
            respondent.push(lay("D1-1", "hindering", "limited"))  # the interviewer only asks
            observer.push({"type": "note", "field": "reflection", "text": "Rustig"})
            await settled("the first moves, made through all three processes")

            # The respondent's process is killed with SIGKILL just as it is sent a card: it may
            # or may not have stored it; the phone resends it, unconfirmed, after reconnecting.
            doomed = by_port[where["respondent1"]]
            on_doomed = [
                role for role, upstream in where.items() if upstream == where["respondent1"]
            ]
            respondent.push(lay("B1-1", "stimulating", "limited"))
            await asyncio.sleep(0.01)
            await asyncio.to_thread(doomed.kill)
            await until(
                lambda: all(phones[role].opened == 2 for role in on_doomed), 15, "reconnects"
            )
            for role in on_doomed:
                assert phones[role].upstreams[1] != where["respondent1"], phones[role].upstreams
            # Had the killed process stored the card without sending it, its phones' new
            # sockets announce the seq and the phones elsewhere catch up (RedisHub.announce).
            await settled("every phone carries on, the killed process's on the others", 15)
            reporter.push({"type": "note", "field": "development", "text": "Na de storing"})
            respondent.push(lay("E1-1", "hindering", "large"))
            await settled("play goes on")

            # The minute is cut short in the database, where every clock keeper reads the
            # deadline: the two left race for it, one ends the round, and once only.
            soon = int(time.time() * 1000) + 500
            await asyncio.to_thread(
                query_write, database, "UPDATE workshop_table SET deadline_ms = :d WHERE id = :t",
                d=soon, t=table_id,
            )  # fmt: skip
            await until(lambda: all(p.whistles == 1 for p in phones.values()), 10, "the whistle")
            await asyncio.sleep(1.5)  # four clock ticks: a second whistle would be here by now
            await settled("the whistle settles")
            assert all(p.whistles == 1 and p.locked for p in phones.values())

            [(round_events,)] = query(
                "SELECT count(*) FROM table_event WHERE table_id = :t AND kind = 'round'",
                t=table_id,
            )
            assert round_events == 2  # the start and the one whistle
            pictures = query(
                "SELECT round_number FROM interview WHERE table_id = :t AND picture_svg IS NOT NULL",
                t=table_id,
            )
            assert pictures == [(1,)]
            events = query(
                "SELECT seq, command_id FROM table_event WHERE table_id = :t ORDER BY seq",
                t=table_id,
            )
            assert [seq for seq, _ in events] == list(range(1, server_seq() + 1))
            ids = [command_id for _, command_id in events if command_id is not None]
            assert len(ids) == len(set(ids)), ids

            truth = phones["observer"]  # a phone on a process that was never killed
            assert where["observer"] != where["respondent1"] or truth.opened == 2
            cards = sorted(p["card"] for p in truth.board)
            assert cards == ["A1-1", "B1-1", "C1-1", "D1-1", "E1-1"]  # nothing lost, once each
            for role, phone in phones.items():
                assert phone.board == truth.board, role
                assert phone.notes == truth.notes, role
                assert phone.refusals == [] and phone.reload_code is None, role
            assert truth.notes["development"] == "Na de storing"
            print("sockets per phone:", {r: p.upstreams for r, p in phones.items()})
            print("gaps seen:", {r: p.gaps for r, p in phones.items()})
            seated = {"ks_device": truth.cookie}  # the picture is for the table's phones
            async with httpx.AsyncClient(
                base_url=proxy.base, timeout=10, trust_env=False, cookies=seated
            ) as http:
                picture = await http.get(f"/t/{code}/rounds/1.svg")
            assert picture.status_code == 200 and picture.text.startswith("<svg"), picture
        finally:
            for phone in phones.values():
                await phone.stop()

    try:
        asyncio.run(asyncio.wait_for(play(), 80))
    finally:
        database.dispose()


def query_write(database: Any, sql: str, **values: Any) -> None:
    with database.begin() as connection:
        connection.execute(text(sql), values)


async def until(condition: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"not within {within} s: {what}"
        await asyncio.sleep(0.05)


def test_an_event_whose_process_died_before_sending_it_reaches_every_phone_anyway(
    hosted: tuple[Nginx, list[LiveServer]], postgres_url: str
) -> None:
    """A process that dies between its commit and its publish leaves an event nobody heard;
    the next socket to open, anywhere, announces its snapshot's seq and everyone catches up."""
    proxy, _ = hosted
    database = create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with httpx.Client(base_url=proxy.base, timeout=10, trust_env=False) as http:
        made = http.post(
            "/api/workshops",
            json={"title": "Stil", "tables": 1},
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        )
    assert made.status_code == 201, made.text
    join_url = made.json()["tables"][0]["join_url"]
    roles = ("interviewer", "respondent1", "reporter")

    async def play() -> None:
        phones = [BrowserPhone(join_url, role, ROLES[role]) for role in roles]
        try:
            for phone in phones:
                await phone.join()
                phone.start()
                await until(lambda phone=phone: phone.snapshots == 1, 10, "a snapshot")
            assert len({phone.upstreams[0] for phone in phones}) == 3  # one on each process
            reporter = phones[2]
            reporter.push({"type": "note", "field": "development", "text": "Verstuurd"})
            await until(lambda: all(p.notes["development"] == "Verstuurd" for p in phones), 10, "")
            seq = await asyncio.to_thread(commit_unsent_note, database, reporter.code)
            await asyncio.sleep(1.5)
            assert {phone.seq for phone in phones} == {seq - 1}  # nobody has heard of it
            # The interviewer's phone comes back from sleep: its new socket's snapshot has
            # the note, and its announcement brings the other two phones up to date.
            await phones[0].stop()
            phones[0].start()
            await until(lambda: all(p.seq == seq for p in phones), 5, "everyone catches up")
            assert all(p.notes["development"] == "Nooit verstuurd" for p in phones)
        finally:
            for phone in phones:
                await phone.stop()

    try:
        asyncio.run(asyncio.wait_for(play(), 60))
    finally:
        database.dispose()


def commit_unsent_note(database: Any, code: str) -> int:
    """What a process that died right after its commit leaves: a note event in the database
    that no process sent. Returns its seq."""
    with database.begin() as connection:
        table_id, seq = connection.execute(
            text("UPDATE workshop_table SET seq = seq + 1 WHERE join_code = :c RETURNING id, seq"),
            {"c": code},
        ).one()
        connection.execute(
            text(
                "INSERT INTO table_event (table_id, seq, kind, created_at)"
                " VALUES (:t, :s, 'note', now())"
            ),
            {"t": table_id, "s": seq},
        )
        connection.execute(
            text(
                "UPDATE interview_note SET text = 'Nooit verstuurd' WHERE field = 'development'"
                " AND interview_id IN (SELECT id FROM interview WHERE table_id = :t)"
            ),
            {"t": table_id},
        )
    return int(seq)


def test_behind_nginx_the_guards_count_each_phone_by_its_own_address(
    hosted: tuple[Nginx, list[LiveServer]],
) -> None:
    """deploy/nginx.conf forwards the client's address (X-Forwarded-For) on pages and sockets
    alike, and uvicorn trusts it from the proxy (FORWARDED_ALLOW_IPS; nginx is on 127.0.0.1
    here, uvicorn's default). Two phones come from two loopback addresses of their own: the
    guesser is refused everywhere, pages and sockets, its neighbour nowhere."""
    proxy, _ = hosted
    net = f"127.{random.randint(1, 254)}.{random.randint(1, 254)}"
    guesser, neighbour = f"{net}.2", f"{net}.3"

    def browser(address: str) -> httpx.Client:
        transport = httpx.HTTPTransport(local_address=address)
        return httpx.Client(base_url=proxy.base, timeout=10, trust_env=False, transport=transport)

    with browser(guesser) as http:
        made = http.post(
            "/api/workshops",
            json={"title": "Achter nginx", "tables": 1},
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        )
        assert made.status_code == 201, made.text
        code = made.json()["tables"][0]["join_code"]
        for n in range(1000):  # the guard's bound is its business: it is reached
            guess = http.get(f"/api/tables/{made_up_code(n)}")
            if guess.status_code == 429:
                break
            assert guess.status_code == 404, guess.text
        else:
            pytest.fail("the join guard never answered 429")
    with browser(neighbour) as http:
        assert http.get(f"/api/tables/{code}").status_code == 200
    url = f"{proxy.base.replace('http', 'ws', 1)}/ws/tables/{code}"
    assert asyncio.run(closed_with(url, guesser)) == 4429  # /ws/ forwards the address too
    assert asyncio.run(closed_with(url, neighbour)) == 4403  # served (it has no seat)


async def closed_with(url: str, address: str) -> int:
    """The close code of a socket opened from `address` (the server closes refused ones)."""
    async with websockets.connect(
        url, local_addr=(address, 0), proxy=None, open_timeout=10, close_timeout=1
    ) as socket:
        try:
            while True:
                await asyncio.wait_for(socket.recv(), 10)
        except ConnectionClosed as closed:
            assert closed.rcvd is not None, "closed without a close frame"
            return closed.rcvd.code
