"""Concurrency is the database's job: on PostgreSQL the table row lock orders every change.

Two engines stand for two server processes; threads make their transactions overlap.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.db import make_engine
from app.deck import Deck, Library
from app.game.refusal import Refusal
from app.main import create_app
from app.models import Seat, TableEvent, WorkshopTable
from app.realtime import protocol as p
from app.realtime.hub import MemoryHub
from app.settings import Settings
from app.tables.clock_keeper import expire_due_rounds
from app.tables.live_state import LiveTables
from app.tables.locks import TableLocks
from app.tables.service import member_event, now_ms, round_action
from tests.conftest import PUBLIC_URL

ROLES = ("respondent1", "reporter", "observer")


@dataclass
class Table:
    id: int
    engines: tuple[Engine, Engine]  # two "processes"
    library: Library
    deck: Deck
    seats: dict[str, int]


@pytest.fixture
def table(postgres_url: str) -> Iterator[Table]:
    settings = Settings(database_url=postgres_url, public_url=PUBLIC_URL, redis_url=None)
    app = create_app(settings)
    # The app only sets the table up; its own clock keeper stops with it, before the test.
    with TestClient(app, base_url=PUBLIC_URL) as client:
        workshop = client.post("/api/workshops", json={"title": "Slot", "tables": 1}).json()
        code = workshop["tables"][0]["join_code"]
        for role in ROLES:
            phone = TestClient(app, base_url=PUBLIC_URL)
            assert phone.post(f"/api/tables/{code}/seat", json={"role": role}).status_code == 201
    engines = (make_engine(postgres_url), make_engine(postgres_url))
    with Session(engines[0]) as session:
        stored = session.exec(select(WorkshopTable)).one()
        seats = {s.role: s.id for s in session.exec(select(Seat)) if s.id is not None}
    assert stored.id is not None
    library = app.state.library
    try:
        yield Table(stored.id, engines, library, library.deck("llo", "nl"), seats)
    finally:
        for engine in engines:
            engine.dispose()


def event_seqs(engine: Engine, table_id: int) -> list[int]:
    with Session(engine) as session:
        rows = session.exec(
            select(TableEvent.seq)
            .where(TableEvent.table_id == table_id)
            .order_by(col(TableEvent.seq))
        )
        return list(rows)


def in_threads(*work: Callable[[], Any]) -> list[Any]:
    """Run callables at once (a barrier lines them up); re-raise the first failure."""
    barrier = threading.Barrier(len(work))
    results: list[Any] = [None] * len(work)
    errors: list[BaseException] = []

    def run(n: int, job: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            results[n] = job()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(n, job)) for n, job in enumerate(work)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    if errors:
        raise errors[0]
    return results


def test_a_lock_taken_after_an_earlier_read_sees_the_newest_seq(table: Table) -> None:
    one, other = table.engines
    with Session(one) as session:
        # This session loaded the table before (as a request does when it finds the table),
        # and holds on to it...
        seen = session.get(WorkshopTable, table.id)
        assert seen is not None
        # ...then another process moved the table on.
        with Session(other) as elsewhere:
            moved = member_event(elsewhere, table.id)
        event = member_event(session, table.id)
        assert seen.seq == event.seq
    assert event.seq == moved.seq + 1
    seqs = event_seqs(one, table.id)
    assert seqs == list(range(1, len(seqs) + 1))


def test_two_clock_keepers_end_a_round_once(table: Table) -> None:
    one, other = table.engines
    with Session(one) as session:
        assert round_action(session, table.id, "start")
    before = event_seqs(one, table.id)
    hubs = (MemoryHub(), MemoryHub())

    async def keep(engine: Engine, hub: MemoryHub) -> tuple[int, list[str]]:
        async with hub.subscribe(f"table:{table.id}") as heard:
            # Each keeper has its own process's locks: only the database keeps them apart.
            ended = await expire_due_rounds(engine, hub, TableLocks())
            return ended, [heard.queue.get_nowait() for _ in range(heard.queue.qsize())]

    with Session(one) as session:
        due = session.get(WorkshopTable, table.id)
        assert due is not None
        due.deadline_ms = now_ms() - 1_000
        session.add(due)
        session.commit()

    # Hold the row, so that both keepers find the round due and queue up on the lock; the
    # second to get it must then see the round ended and do nothing.
    with Session(one) as holder:
        holder.exec(select(WorkshopTable).where(WorkshopTable.id == table.id).with_for_update())

        def release_when_both_wait() -> int:
            waiting = 0
            with Session(other) as watcher:
                for _ in range(500):
                    waiting = (
                        watcher.connection()
                        .execute(
                            text(
                                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type"
                                " = 'Lock' AND datname = current_database()"
                            )
                        )
                        .scalar_one()
                    )
                    watcher.rollback()
                    if waiting >= 2:
                        break
                    time.sleep(0.01)
            holder.rollback()
            return waiting

        results = in_threads(
            lambda: asyncio.run(keep(one, hubs[0])),
            lambda: asyncio.run(keep(other, hubs[1])),
            release_when_both_wait,
        )
    assert results[2] == 2, "the keepers did not both queue on the lock"
    ended = [r[0] for r in results[:2]]
    assert sorted(ended) == [0, 1]
    after = event_seqs(one, table.id)
    assert after == before + [before[-1] + 1]  # one whistle, one new seq
    published = [m for r in results[:2] for m in r[1]]
    assert len(published) == 1 and '"whistle":true' in published[0]


def test_commands_through_two_processes_at_once_get_consecutive_seqs(table: Table) -> None:
    one, other = table.engines
    with Session(one) as session:  # cards are laid in a round
        round_action(session, table.id, "start")
    start = event_seqs(one, table.id)[-1]
    cards = ["A1-1", "B1-1", "C1-1", "D1-1", "E1-1", "A2-1", "B2-1", "C2-1"]

    def commands(role: str) -> list[p.Command]:
        if role == "respondent1":
            return [
                p.Place(
                    type="place",
                    id=f"r-{n}",
                    card=card,
                    side="stimulating",
                    extent="large",
                    position=0,
                )
                for n, card in enumerate(cards)
            ]
        field = "development" if role == "reporter" else "reflection"
        return [p.Note(type="note", id=f"{role}-{n}", field=field, text=f"v{n}") for n in range(8)]

    def send(role: str, engine: Engine) -> list[int]:
        # Each phone's server keeps its own copy of the table, as separate processes do.
        live = LiveTables(engine)
        acked = []
        for command in commands(role):
            for _ in range(20):  # a "conflict" is retryable: the phone resends the same command
                try:
                    outcome = live.apply(
                        table.id,
                        table.seats[role],
                        command,
                        table.deck,
                        table.library.format("llo"),
                    )
                    break
                except Refusal as refusal:
                    assert refusal.code == "conflict", refusal.code
            assert isinstance(outcome.reply, p.Ack), outcome.reply
            acked.append(outcome.reply.seq)
        return acked

    results = in_threads(
        lambda: send("respondent1", one),
        lambda: send("reporter", other),
        lambda: send("observer", one),
    )
    acked = sorted(seq for r in results for seq in r)
    assert acked == list(range(start + 1, start + 1 + 24))
    assert event_seqs(other, table.id) == list(range(1, start + 25))
