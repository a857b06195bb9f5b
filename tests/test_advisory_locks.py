"""One process at a time for the round clock and the retention sweep, on PostgreSQL.

Two engines are two connection pools, which is what two processes are to PostgreSQL; the clock
is also tested with two real uvicorn processes, one killed and one frozen.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from app.advisory_locks import CLOCK_KEEPER, RETENTION_SWEEP, Leadership, only_one
from app.db import make_engine
from app.main import create_app
from app.settings import Settings
from app.workshops.retention import sweep_alone
from tests.conftest import port_open, require
from tests.live_server import LiveServer
from tests.test_two_processes import REDIS_DB, unexpected_errors

HOLDERS = """
    SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
    WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
      AND ((l.classid::bigint << 32) | l.objid::bigint) = :key
"""


def holders(engine: Engine, key: int) -> list[str]:
    with engine.connect() as connection:
        return [name for (name,) in connection.execute(text(HOLDERS), {"key": key})]


@pytest.fixture
def engines(postgres_url: str) -> Iterator[tuple[Engine, Engine, Engine]]:
    """Two processes' engines, each naming itself, and one for the test to look with."""
    made = [make_engine(f"{postgres_url}?application_name={name}") for name in ("a", "b", "test")]
    try:
        yield made[0], made[1], made[2]
    finally:
        for engine in made:
            engine.dispose()


Rivals = tuple[Leadership, Leadership, Engine]


@pytest.fixture
def rivals(engines: tuple[Engine, Engine, Engine]) -> Iterator[Rivals]:
    """Process a's and process b's claim to the clock, and the test's engine to look with."""
    a, b, look = engines
    first, second = Leadership(a, CLOCK_KEEPER), Leadership(b, CLOCK_KEEPER)
    try:
        yield first, second, look
    finally:
        first.resign()
        second.resign()


def test_one_process_leads_the_clock_until_it_resigns_and_never_pools_the_lock(
    rivals: Rivals,
) -> None:
    first, second, look = rivals
    assert first.lead() is True
    assert second.lead() is False
    assert first.lead() is True  # leading again does not stack the lock
    assert holders(look, CLOCK_KEEPER) == ["a"]
    first.resign()
    assert holders(look, CLOCK_KEEPER) == []  # closed, not handed back to the pool locked
    assert second.lead() is True
    assert first.lead() is False
    assert holders(look, CLOCK_KEEPER) == ["b"]


def test_a_leader_whose_connection_dies_finds_out_and_another_takes_over(
    rivals: Rivals,
) -> None:
    first, second, look = rivals
    assert first.lead() is True
    with look.connect() as connection:  # as when PostgreSQL restarts or cuts the connection
        connection.execute(
            text(
                "SELECT pg_terminate_backend(l.pid) FROM pg_locks l"
                " WHERE l.locktype = 'advisory' AND l.objid = :key"
            ),
            {"key": CLOCK_KEEPER},
        )
    assert second.lead() is True
    assert first.lead() is False


def test_a_retention_sweep_is_skipped_while_another_process_runs_one(
    engines: tuple[Engine, Engine, Engine], postgres_url: str
) -> None:
    a, b, look = engines
    settings = Settings(database_url=postgres_url, secret_key="s", redis_url=None)
    month_ago = dt.date.today() - dt.timedelta(days=30)
    with TestClient(create_app(settings)) as client:
        made = client.post(
            "/api/workshops",
            json={"title": "Oud", "tables": 1, "retention_days": 7},
        )
        assert made.status_code == 201, made.text
    with look.begin() as connection:  # a month on: past its deletion date
        connection.execute(text("UPDATE workshop SET date = :d"), {"d": month_ago})

    def workshops() -> int:
        with look.connect() as connection:
            return int(connection.execute(text("SELECT count(*) FROM workshop")).scalar_one())

    with only_one(a, RETENTION_SWEEP) as sweeping:
        assert sweeping is True
        assert holders(look, RETENTION_SWEEP) == ["a"]
        assert sweep_alone(b) == 0  # a is at it: b leaves the work to a
        assert workshops() == 1
    assert holders(look, RETENTION_SWEEP) == []
    assert sweep_alone(b) == 1
    assert workshops() == 0


def test_on_sqlite_the_one_process_always_leads(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'one.db'}")
    assert Leadership(engine, CLOCK_KEEPER).lead() is True
    with only_one(engine, RETENTION_SWEEP) as mine:
        assert mine is True


# --- two real processes --------------------------------------------------------------------


@pytest.fixture
def pair(tmp_path: Path, postgres_url: str) -> Iterator[dict[str, LiveServer]]:
    require(port_open("127.0.0.1", 6379), "Redis is not running on 127.0.0.1:6379")
    servers: dict[str, LiveServer] = {}
    secret = f"shared-{uuid.uuid4().hex}"
    try:
        for name in ("a", "b"):  # one after the other: the first start migrates
            (tmp_path / name).mkdir()
            server = servers[name] = LiveServer(tmp_path / name)
            server.env.update(
                DATABASE_URL=f"{postgres_url}?application_name={name}",
                REDIS_URL=f"redis://127.0.0.1:6379/{REDIS_DB}",
                SECRET_KEY=secret,
            )
            server.start()
        yield servers
    finally:
        for server in servers.values():
            server.stop()
    for server in servers.values():
        assert not unexpected_errors(server.log()), server.log()


def test_two_processes_one_clock_leader_a_killed_leader_is_replaced_a_frozen_one_covered(
    pair: dict[str, LiveServer], postgres_url: str
) -> None:
    look = create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        leader = until_one_leader(look)
        follower = "b" if leader == "a" else "a"

        # Frozen (SIGSTOP), the leader keeps its lock: the follower's look every few seconds
        # still ends a round whose deadline passed.
        os.kill(pair[leader].pid, signal.SIGSTOP)
        try:
            table = start_round(pair[follower], look, deadline_in_ms=300)
            until_ended(look, table, within=10)
            assert holders(look, CLOCK_KEEPER) == [leader]
        finally:
            os.kill(pair[leader].pid, signal.SIGCONT)

        # Killed, the leader's connection goes and the follower takes the lead.
        pair[leader].kill()
        assert until_one_leader(look) == follower
        table = start_round(pair[follower], look, deadline_in_ms=300)
        assert until_ended(look, table, within=3) < 2  # at the leader's pace again
        with look.connect() as connection:
            rounds = connection.execute(
                text("SELECT count(*) FROM table_event WHERE table_id = :t AND kind = 'round'"),
                {"t": table},
            ).scalar_one()
        assert rounds == 2  # started, and ended once
    finally:
        look.dispose()


def until_one_leader(look: Engine, within: float = 5) -> str:
    deadline = time.monotonic() + within
    while True:
        found = holders(look, CLOCK_KEEPER)
        if len(found) == 1:
            return found[0]
        assert time.monotonic() < deadline, f"clock leaders: {found}"
        time.sleep(0.1)


def start_round(server: LiveServer, look: Engine, deadline_in_ms: int) -> int:
    """A workshop of one table, its round started, its deadline moved close."""
    with server.http() as http:
        made = http.post("/api/workshops", json={"title": "Klok", "tables": 1})
        assert made.status_code == 201, made.text
        workshop: dict[str, Any] = made.json()
        token = workshop["facilitator_url"].rsplit("/", 1)[-1]
        started = http.post(
            f"/api/workshops/{workshop['id']}/rounds/start",
            json={"table": 1},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert started.status_code == 200, started.text
    with look.begin() as connection:
        return int(
            connection.execute(
                text(
                    "UPDATE workshop_table SET deadline_ms = :d WHERE workshop_id = :w RETURNING id"
                ),
                {"d": int(time.time() * 1000) + deadline_in_ms, "w": workshop["id"]},
            ).scalar_one()
        )


def until_ended(look: Engine, table: int, within: float) -> float:
    """Seconds until the clock ended the table's round."""
    began = time.monotonic()
    while True:
        with look.connect() as connection:
            status = connection.execute(
                text("SELECT round_status FROM workshop_table WHERE id = :t"), {"t": table}
            ).scalar_one()
        if status == "ended":
            return time.monotonic() - began
        assert time.monotonic() - began < within, f"round still {status} after {within} s"
        time.sleep(0.05)
