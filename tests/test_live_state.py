"""The kept table state: fast, but never the judge when the database knows better.

Two `TableStates` stand for two server processes on one SQLite file; each keeps its own copy,
and the other one (or a round or seat change through the ORM) moves the table on behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from app.deck import Deck, default_cards_dir, load_library
from app.game.clock import new_clock
from app.game.format import Format
from app.game.refusal import Refusal
from app.models import Placement, Seat, TableEvent, WorkshopTable
from app.realtime import protocol as p
from app.tables import live_state
from app.tables.live_state import LiveTables, Outcome, SeatGone, TableState, TableStates, read_state
from app.tables.service import interview_of, notes_of, round_action
from tests.conftest import new_phone

ROLES = ("interviewer", "respondent1", "respondent2", "reporter", "observer")
LLO = load_library(default_cards_dir()).format("llo")
LLO_STEPS = LLO.steps


@dataclass
class Table:
    client: TestClient
    id: int
    deck: Deck
    seats: dict[str, int]
    game: Format


@pytest.fixture
def table(client: TestClient, workshop: dict) -> Iterator[Table]:
    code = workshop["tables"][0]["join_code"]
    for role in ROLES:
        phone = new_phone(client)
        assert phone.post(f"/api/tables/{code}/seat", json={"role": role}).status_code == 201
    engine = client.app.state.engine
    with Session(engine) as session:
        found = session.exec(select(WorkshopTable).where(WorkshopTable.join_code == code)).one()
        seats = {s.role: s.id for s in session.exec(select(Seat).where(Seat.table_id == found.id))}
    assert found.id is not None
    with Session(engine) as session:  # cards are laid in a round, never before it
        round_action(session, found.id, "start")
    library = client.app.state.library
    yield Table(client, found.id, library.deck("llo", "nl"), seats, library.format("llo"))  # type: ignore[arg-type]


def place(n: int, card: str, side: str = "stimulating", extent: str = "large", at: int = 0):
    return p.Place(type="place", id=f"c{n}", card=card, side=side, extent=extent, position=at)


# One LiveTables per TableStates: each pair is one server process.
_PROCESSES: dict[int, LiveTables] = {}


@pytest.fixture(autouse=True)
def _processes() -> Iterator[None]:
    yield
    for live in _PROCESSES.values():
        live.close()
    _PROCESSES.clear()


def send(table: Table, states: TableStates, role: str, command: p.Command) -> p.Ack:
    """As the websocket endpoint does: at once where it can, else waiting on the database."""
    engine = table.client.app.state.engine
    live = _PROCESSES.setdefault(id(states), LiveTables(engine, states))
    outcome = asyncio.run(live.submit(table.id, table.seats[role], command, table.deck, table.game))
    assert isinstance(outcome.reply, p.Ack)
    return outcome.reply


def stored_board(table: Table) -> list[tuple[str, str, str, int, str, str]]:
    with Session(table.client.app.state.engine) as session:
        state = read_state(session, table.id, table.game.steps)
    return sorted(
        (pl.card, pl.side.value, pl.extent.value, pl.position, pl.explanation, pl.custom_name)
        for pl in state.board
    )


def rows_per_card(table: Table) -> int:
    with Session(table.client.app.state.engine) as session:
        counts = session.exec(
            select(Placement.card, func.count()).group_by(Placement.interview_id, Placement.card)
        ).all()
    return max((n for _, n in counts), default=0)


def event_count(table: Table) -> int:
    with Session(table.client.app.state.engine) as session:
        return session.exec(
            select(func.count()).where(TableEvent.table_id == table.id)  # type: ignore[arg-type]
        ).one()


def test_the_stored_board_is_the_kept_board_after_many_moves(table: Table) -> None:
    """Only changed rows are written: after random places, moves, returns, explanations and
    names, the database holds exactly the board the process keeps, one row per card."""
    states = TableStates()
    rng = random.Random(5)
    cards = ["A1-1", "A1-2", "B1-1", "B2-1", "C1-1", "C2-2", "D1-1", "E1-1", "X-1", "X-2"]
    zones = [(s, e) for s in ("stimulating", "hindering") for e in ("limited", "large")]
    applied = 0
    for n in range(300):
        kept = states.get(table.id)
        on_board = [pl.card for pl in kept.board] if kept else []
        pick = rng.random()
        try:
            if pick < 0.55 or not on_board:
                side, extent = rng.choice(zones)
                send(
                    table,
                    states,
                    "respondent1",
                    place(n, rng.choice(cards), side, extent, rng.randint(0, 5)),
                )
            elif pick < 0.75:
                send(
                    table,
                    states,
                    "respondent1",
                    p.Return(type="return", id=f"c{n}", card=rng.choice(on_board)),
                )
            elif pick < 0.9:
                send(
                    table,
                    states,
                    "reporter",
                    p.Explain(
                        type="explain", id=f"c{n}", card=rng.choice(on_board), text=f"omdat {n}"
                    ),
                )
            else:
                blanks = [c for c in on_board if c.startswith("X-")] or ["X-1"]
                send(
                    table,
                    states,
                    "respondent1",
                    p.Name(type="name", id=f"c{n}", card=rng.choice(blanks), text=f"Eigen {n}"),
                )
            applied += 1
        except Refusal as refusal:  # a twin on the same side, a blank not on the board
            assert refusal.code in {"factor_on_side", "not_on_board"}, refusal.code
    kept = states.get(table.id)
    assert kept is not None and applied > 200
    assert stored_board(table) == sorted(
        (pl.card, pl.side.value, pl.extent.value, pl.position, pl.explanation, pl.custom_name)
        for pl in kept.board
    )
    assert rows_per_card(table) == 1
    with Session(table.client.app.state.engine) as session:
        assert session.get(WorkshopTable, table.id).seq == kept.seq  # type: ignore[union-attr]


def test_a_stale_copy_never_allows_what_the_database_forbids(table: Table) -> None:
    one, other = TableStates(), TableStates()
    send(table, one, "respondent1", place(1, "B1-1"))  # `one` now keeps the table
    # The other process lays A1-1 on the left; `one` doesn't know.
    send(table, other, "respondent1", place(2, "A1-1"))
    with pytest.raises(Refusal) as refused:  # its twin may not lie on the same side
        send(table, one, "respondent1", place(3, "A1-2"))
    assert refused.value.code == "factor_on_side"
    # ...and `one` has read the table afresh: both processes agree on the board.
    assert [pl.card for pl in one.get(table.id).board] == ["A1-1", "B1-1"]  # type: ignore[union-attr]


def test_a_stale_copy_never_refuses_what_the_database_allows(table: Table) -> None:
    one, other = TableStates(), TableStates()
    send(table, one, "respondent1", place(1, "A1-1"))
    send(table, other, "respondent1", p.Return(type="return", id="c2", card="A1-1"))
    # `one` still sees A1-1 on the left, so A1-2 would be its twin there: judged afresh, allowed.
    ack = send(table, one, "respondent1", place(3, "A1-2"))
    assert ack.seq == one.get(table.id).seq  # type: ignore[union-attr]
    assert [row[0] for row in stored_board(table)] == ["A1-2"]


def test_a_round_ended_elsewhere_locks_the_board(table: Table) -> None:
    states = TableStates()
    send(table, states, "respondent1", place(1, "A1-1"))
    with Session(table.client.app.state.engine) as session:
        round_action(session, table.id, "end")
    with pytest.raises(Refusal) as refused:
        send(table, states, "respondent1", place(2, "B1-1"))
    assert refused.value.code == "board_locked"


def test_a_new_round_is_the_next_respondents_board(table: Table) -> None:
    states = TableStates()
    send(table, states, "respondent1", place(1, "A1-1"))
    for action in ("end", "start"):  # the start after the end opens round 2
        with Session(table.client.app.state.engine) as session:
            round_action(session, table.id, action)
    with pytest.raises(Refusal) as refused:
        send(table, states, "respondent1", place(2, "B1-1"))
    assert refused.value.code == "not_your_turn"
    send(table, states, "respondent2", place(3, "B1-1"))
    assert [row[0] for row in stored_board(table)] == ["B1-1"]  # round 2's own board


def test_a_seat_that_changed_role_is_judged_by_its_new_role(table: Table) -> None:
    states = TableStates()
    send(table, states, "respondent1", place(1, "A1-1"))
    # The role changes without an event yet (take_seat commits before the members event).
    with Session(table.client.app.state.engine) as session:
        seat = session.get(Seat, table.seats["observer"])
        session.delete(seat)
        session.flush()
        moved = session.get(Seat, table.seats["respondent1"])
        moved.role = "observer"  # type: ignore[union-attr]
        session.commit()
    with pytest.raises(Refusal) as refused:
        send(table, states, "respondent1", place(2, "B1-1"))
    assert refused.value.code == "not_allowed"


def test_a_seat_that_left_is_told_so(table: Table) -> None:
    states = TableStates()
    send(table, states, "reporter", p.Note(type="note", id="n1", field="development", text="a"))
    with Session(table.client.app.state.engine) as session:
        session.delete(session.get(Seat, table.seats["reporter"]))
        session.commit()
    with pytest.raises(SeatGone):
        send(table, states, "reporter", p.Note(type="note", id="n2", field="development", text="b"))


def test_a_resend_is_applied_once_even_after_the_copy_is_gone(table: Table) -> None:
    states = TableStates()
    first = send(table, states, "respondent1", place(1, "A1-1"))
    send(table, states, "respondent1", p.Return(type="return", id="c2", card="A1-1"))
    events = event_count(table)
    assert send(table, states, "respondent1", place(1, "A1-1")).seq == first.seq  # kept ids
    for fresh in (TableStates(), TableStates()):  # a restarted process: nothing kept
        assert send(table, fresh, "respondent1", place(1, "A1-1")).seq == first.seq
        # A return whose card is no longer there is still acked, not refused.
        assert send(table, fresh, "respondent1", p.Return(type="return", id="c2", card="A1-1"))
    assert event_count(table) == events
    assert stored_board(table) == []


def test_notes_are_stored_and_overwritten(table: Table) -> None:
    states = TableStates()
    send(table, states, "reporter", p.Note(type="note", id="n1", field="development", text="a"))
    send(table, states, "reporter", p.Note(type="note", id="n2", field="development", text="b"))
    send(table, states, "observer", p.Note(type="note", id="n3", field="reflection", text="c"))
    with pytest.raises(Refusal):
        send(table, states, "observer", p.Note(type="note", id="n4", field="development", text="x"))
    with Session(table.client.app.state.engine) as session:
        stored = session.get(WorkshopTable, table.id)
        notes = notes_of(session, interview_of(session, stored), LLO)  # type: ignore[arg-type]
    assert notes["development"] == "b" and notes["reflection"] == "c"


def test_the_kept_tables_are_bounded() -> None:
    states = TableStates(limit=3)
    for n in range(5):
        states.put(TableState(n, 0, new_clock(15, LLO_STEPS), n, (), {}))
    assert states.get(0) is None and states.get(1) is None
    assert states.get(2) is not None
    states.put(TableState(9, 0, new_clock(15, LLO_STEPS), 9, (), {}))  # 2 was used last: 3 goes
    assert states.get(3) is None and states.get(2) is not None


def test_a_locked_database_is_not_waited_for_on_the_event_loop(table: Table) -> None:
    states = TableStates()
    send(table, states, "respondent1", place(1, "A1-1"))
    live = _PROCESSES[id(states)]
    blocker = sqlite3.connect(table.client.app.state.engine.url.database, timeout=1)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    try:
        started = time.monotonic()
        with pytest.raises(sqlite3.OperationalError):
            live.apply_now(
                table.id, table.seats["respondent1"], place(2, "B1-1"), table.deck, table.game
            )
        assert time.monotonic() - started < 1.0  # the busy timeout is 5 s: it did not wait
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    # Nothing was half-written: the same command applies once the lock is gone.
    ack = send(table, states, "respondent1", place(2, "B1-1"))
    assert ack.seq == states.get(table.id).seq  # type: ignore[union-attr]
    assert [row[0] for row in stored_board(table)] == ["A1-1", "B1-1"]


def test_a_short_lock_is_waited_out_on_the_event_loop(table: Table) -> None:
    states = TableStates()
    send(table, states, "respondent1", place(1, "A1-1"))
    live = _PROCESSES[id(states)]
    blocker = sqlite3.connect(
        table.client.app.state.engine.url.database, timeout=1, check_same_thread=False
    )
    blocker.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.2, lambda: blocker.execute("ROLLBACK"))
    release.start()
    try:
        started = time.monotonic()
        reply = asyncio.run(
            live.submit(
                table.id, table.seats["respondent1"], place(2, "B1-1"), table.deck, table.game
            )
        ).reply
        assert isinstance(reply, p.Ack)
        assert time.monotonic() - started >= 0.15  # it waited for the lock...
    finally:
        release.join()
        blocker.close()
    assert [row[0] for row in stored_board(table)] == ["A1-1", "B1-1"]  # ...and wrote once


@pytest.fixture
def two_tables(client: TestClient, workshop: dict, table: Table) -> tuple[Table, Table]:
    code = workshop["tables"][1]["join_code"]
    phone = new_phone(client)
    assert phone.post(f"/api/tables/{code}/seat", json={"role": "respondent1"}).status_code == 201
    with Session(client.app.state.engine) as session:
        other = session.exec(select(WorkshopTable).where(WorkshopTable.join_code == code)).one()
        seat = session.exec(select(Seat).where(Seat.table_id == other.id)).one()
    assert other.id is not None and seat.id is not None
    with Session(client.app.state.engine) as session:
        round_action(session, other.id, "start")
    return table, Table(client, other.id, table.deck, {"respondent1": seat.id}, table.game)


def test_commands_of_one_turn_of_the_loop_share_one_commit(two_tables: tuple[Table, Table]) -> None:
    first, second = two_tables
    states = TableStates()
    for n, table in enumerate(two_tables):  # both kept by this "process"
        send(table, states, "respondent1", place(n, "A1-1"))
    live = _PROCESSES[id(states)]

    async def one_turn() -> list[Outcome | None]:
        before = live.commits
        outcomes = [
            live.apply_now(t.id, t.seats["respondent1"], place(10 + n, "B1-1"), t.deck, t.game)
            for n, t in enumerate(two_tables)
        ]
        # Written, not yet committed: another connection does not see them.
        assert [row[0] for row in stored_board(first)] == ["A1-1"]
        await live.committed()
        assert live.commits == before + 1
        return outcomes

    outcomes = asyncio.run(one_turn())
    assert all(o is not None and isinstance(o.reply, p.Ack) for o in outcomes)
    for table in two_tables:
        assert [row[0] for row in stored_board(table)] == ["A1-1", "B1-1"]
    assert second.id != first.id


class _CommitFails:
    """The inline connection, with a disk that refuses the commit."""

    def __init__(self, real: object) -> None:
        self.real = real

    def __getattr__(self, name: str) -> object:
        return getattr(self.real, name)

    def commit(self) -> None:
        raise sqlite3.OperationalError("disk I/O error")


def test_a_failed_commit_is_told_retryably_and_forgets_the_copy(table: Table) -> None:
    states = TableStates()
    send(table, states, "respondent1", place(1, "A1-1"))
    live = _PROCESSES[id(states)]
    seq = states.get(table.id).seq  # type: ignore[union-attr]

    async def failing() -> None:
        live._now_connection = _CommitFails(live._connection_now())
        try:
            with pytest.raises(OperationalError):
                await live.submit(
                    table.id, table.seats["respondent1"], place(2, "B1-1"), table.deck, table.game
                )
        finally:
            live._now_connection = live._now_connection.real

    asyncio.run(failing())
    assert states.get(table.id) is None  # it ran ahead of the database: read afresh next time
    assert [row[0] for row in stored_board(table)] == ["A1-1"]
    ack = send(table, states, "respondent1", place(2, "B1-1"))  # the phone's resend
    assert ack.seq == seq + 1
    assert [row[0] for row in stored_board(table)] == ["A1-1", "B1-1"]


def test_the_log_is_checkpointed_off_the_loop(
    table: Table, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loop's connection never checkpoints; a worker thread does, now and then."""
    monkeypatch.setattr(live_state, "CHECKPOINT_SECONDS", 0.0)
    states = TableStates()
    send(table, states, "respondent1", place(0, "A1-1"))
    for n in range(1, 41):
        card = "A1-1" if n % 2 else "B1-1"
        send(
            table,
            states,
            "respondent1",
            place(n, card, "hindering" if n % 4 < 2 else "stimulating"),
        )
    database = table.client.app.state.engine.url.database

    def events_in_the_main_file() -> int:
        # immutable=1 reads the database file alone, as if there were no write-ahead log.
        with contextlib.closing(sqlite3.connect(f"file:{database}?immutable=1", uri=True)) as db:
            return db.execute("SELECT count(*) FROM table_event").fetchone()[0]

    deadline = time.monotonic() + 5
    while events_in_the_main_file() < 30 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert events_in_the_main_file() >= 30


def stored_seqs(table: Table) -> tuple[int, list[int]]:
    """The table's `seq` and the seq of every event it stored, in order."""
    with Session(table.client.app.state.engine) as session:
        seq = session.get(WorkshopTable, table.id).seq  # type: ignore[union-attr]
        events = session.exec(
            select(TableEvent.seq).where(TableEvent.table_id == table.id).order_by(TableEvent.seq)
        ).all()
    return seq, list(events)


def note(command_id: str, text: str = "a", field: str = "development") -> p.Note:
    return p.Note(type="note", id=command_id, field=field, text=text)  # type: ignore[arg-type]


@pytest.mark.parametrize("forgotten", ["older than the kept ids", "a restarted process"])
def test_a_resend_in_another_tables_turn_leaves_no_hole(
    two_tables: tuple[Table, Table], forgotten: str
) -> None:
    """A resend the kept copy does not recognise fails on the unique command id after the seq
    was bumped; that bump must not ride along with the other table's commit."""
    first, second = two_tables
    before = TableStates()
    send(second, before, "respondent1", place(0, "A1-1"))
    old = send(first, before, "reporter", note("old"))
    for n in range(live_state.RECENT_COMMANDS):  # "old" falls out of the ids kept in memory
        send(first, before, "reporter", note(f"n{n}", f"tekst {n}"))
    states = before
    if forgotten == "a restarted process":
        states = TableStates()
        send(first, states, "reporter", note("after-restart"))  # kept again, no ids known
        send(second, states, "respondent1", place(1, "B1-1"))
    live = _PROCESSES[id(states)]

    async def one_turn() -> Outcome | None:
        other = live.apply_now(
            second.id, second.seats["respondent1"], place(2, "C1-1"), second.deck, second.game
        )
        assert other is not None  # the other table's move opened this turn's transaction
        resent = live.apply_now(
            first.id, first.seats["reporter"], note("old"), first.deck, first.game
        )
        await live.committed()
        return resent

    assert asyncio.run(one_turn()) is None  # not decided on the kept copy: the locked read
    ack = send(first, states, "reporter", note("old"))
    assert ack.seq == old.seq  # the original event's
    for table in two_tables:
        seq, events = stored_seqs(table)
        assert events == list(range(1, seq + 1)), (table.id, seq, events)
    # The next move at that table gets the next number, and a phone sees no gap.
    assert send(first, states, "reporter", note("next")).seq == stored_seqs(first)[0]
    assert stored_seqs(first)[1] == list(range(1, stored_seqs(first)[0] + 1))


def reused(table: Table, states: TableStates, role: str, command: p.Command) -> None:
    with pytest.raises(Refusal) as refused:
        send(table, states, role, command)
    assert refused.value.code == "id_reused"


@pytest.mark.parametrize(
    "remembered", ["kept ids", "older than the kept ids", "a restarted process"]
)
def test_an_id_sent_again_with_other_content_is_refused_and_changes_nothing(
    table: Table, remembered: str
) -> None:
    states = TableStates()
    first = send(table, states, "reporter", note("n1", "het eerste verhaal"))
    placed = send(table, states, "respondent1", place(2, "A1-1"))
    if remembered == "older than the kept ids":
        for n in range(live_state.RECENT_COMMANDS):
            send(table, states, "reporter", note(f"m{n}", "tussendoor", "connections"))
    elif remembered == "a restarted process":
        states = TableStates()
    seq, events = stored_seqs(table)
    # Another text, another field, another type: each its own command, not a resend.
    for other in (
        note("n1", "iets anders"),
        note("n1", "het eerste verhaal", "stands_out"),
        p.Return(type="return", id="n1", card="A1-1"),  # refused by the rules: probed
        p.Explain(type="explain", id="n1", card="A1-1", text="het eerste verhaal"),
    ):
        role = "reporter" if isinstance(other, p.Note | p.Explain) else "respondent1"
        reused(table, states, role, other)
    reused(table, states, "respondent1", place(2, "A1-1", extent="limited"))
    reused(table, states, "respondent1", p.Return(type="return", id="c2", card="A1-1"))
    assert stored_seqs(table) == (seq, events)
    assert stored_board(table) == [("A1-1", "stimulating", "large", 0, "", "")]
    with Session(table.client.app.state.engine) as session:
        stored = session.get(WorkshopTable, table.id)
        assert notes_of(session, interview_of(session, stored), LLO)["development"] == (  # type: ignore[arg-type]
            "het eerste verhaal"
        )
    # The same command again is still acknowledged with its own seq, however it is spelled.
    spelled = '{ "text": "het eerste verhaal", "field": "development", "id": "n1", "type": "note" }'
    again = p.CLIENT_MESSAGE.validate_json(spelled)
    assert send(table, states, "reporter", again).seq == first.seq  # type: ignore[arg-type]
    assert send(table, states, "respondent1", place(2, "A1-1")).seq == placed.seq
    assert stored_seqs(table) == (seq, events)


def test_an_id_stored_before_fingerprints_is_acknowledged_as_before(table: Table) -> None:
    """Rows from before revision 0005 have no fingerprint: their content is not known."""
    states = TableStates()
    first = send(table, states, "reporter", note("n1", "toen"))
    with Session(table.client.app.state.engine) as session:
        event = session.exec(select(TableEvent).where(TableEvent.command_id == "n1")).one()
        event.command_fingerprint = None
        session.add(event)
        session.commit()
    assert send(table, TableStates(), "reporter", note("n1", "nu anders")).seq == first.seq


def test_a_phone_closing_while_its_command_awaits_the_commit_holds_up_no_one(
    two_tables: tuple[Table, Table],
) -> None:
    """Commands of one turn await one shared commit. A phone that closes has its waiting task
    cancelled; that must not cancel the commit the other phones' commands are waiting for
    (each would end its socket with a CancelledError traceback, its ack and event unsent)."""
    first, second = two_tables
    states = TableStates()
    for n, table in enumerate(two_tables):  # both kept by this "process"
        send(table, states, "respondent1", place(n, "A1-1"))
    live = _PROCESSES[id(states)]

    def submit(table: Table, n: int) -> asyncio.Task[Outcome]:
        command = place(n, "B1-1")
        return asyncio.create_task(
            live.submit(table.id, table.seats["respondent1"], command, table.deck, table.game)
        )

    async def one_turn() -> Outcome:
        closing, staying = submit(first, 10), submit(second, 11)
        await asyncio.sleep(0)  # both written, both awaiting the turn's commit
        assert live._turn is not None
        closing.cancel()  # as pump() does when the phone's socket closes
        with pytest.raises(asyncio.CancelledError):
            await closing
        return await staying

    outcome = asyncio.run(one_turn())
    assert isinstance(outcome.reply, p.Ack)
    # The closed phone's command was written in the turn, so it is committed too: never acked,
    # its resend is deduplicated (docs/protocol.md); neither table has a hole.
    for table in two_tables:
        assert [row[0] for row in stored_board(table)] == ["A1-1", "B1-1"]
        seq, events = stored_seqs(table)
        assert events == list(range(1, seq + 1))
    assert send(first, states, "respondent1", place(10, "B1-1")).seq == stored_seqs(first)[0]
