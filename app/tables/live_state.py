"""Commands from phones in one short write: each table's state kept in memory between commands.

A move used to load the seat, the table, the interview and the board through the ORM, write
every renumbered placement through a unit of work, and read it all again for the next move
(about 4 ms of CPU: issue #5's profile). Here the process keeps what the rules need of each
table — its `seq`, clock, current interview, board and seats — and a command costs the pure
rules plus one transaction of a few prepared statements.

The database stays the truth. Every change to a table's board, notes, round or seats bumps
its `seq` (or, for seats, is checked directly), and the write below lands only where the row
still has the `seq` this copy was read at and the seat still holds the role it had. Otherwise
the copy is read afresh and the command judged once more: another process, or this one's
round and seat changes, never leave a stale copy deciding anything.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, delete, exists, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import NoResultFound, OperationalError
from sqlmodel import Session

from app.db import BUSY_TIMEOUT_MS
from app.deck import Deck
from app.game import board as rules
from app.game.board import Board, Extent, Side
from app.game.clock import Clock
from app.game.format import Format, Step
from app.game.permissions import check_board_command, check_note
from app.game.refusal import Refusal
from app.models import InterviewNote, Placement, Seat, TableEvent, WorkshopTable, utcnow
from app.realtime import protocol as p
from app.tables.prepared import Cursor, Statements
from app.tables.service import (
    board_of,
    clock_of,
    interview_of,
    lock_table,
    placements_out,
)

logger = logging.getLogger(__name__)

# Command ids remembered per table (with their fingerprints), so a phone's resend is answered
# without a query; older resends are still recognised by the database's unique (table, command
# id) and the fingerprint stored with the event.
RECENT_COMMANDS = 64
# Tables kept in memory per process; a busy national day has a few hundred.
TABLES_KEPT = 2000
# How often SQLite's log is copied into the database file (on a worker thread), at most.
CHECKPOINT_SECONDS = 1.0


@dataclass
class Outcome:
    """What a command comes to: the reply for its phone, the events for everyone."""

    reply: p.Ack | p.Error
    events: list[p.Event] = field(default_factory=list)


class SeatGone(Exception):
    """The phone's seat no longer exists (it left, or the workshop was deleted)."""


@dataclass
class TableState:
    table_id: int
    seq: int
    clock: Clock
    interview_id: int
    board: Board
    roles: dict[int, str]  # seat id → role, for every seat at the table
    # command id → (seq of its event, its fingerprint), the latest applied here
    recent: OrderedDict[str, tuple[int, str]] = field(default_factory=OrderedDict)
    workshop_id: str = ""  # so that deleting the workshop drops its tables (forget_workshop)

    def remember(self, command_id: str, seq: int, fingerprint: str) -> None:
        self.recent[command_id] = (seq, fingerprint)
        if len(self.recent) > RECENT_COMMANDS:
            self.recent.popitem(last=False)


class TableStates:
    """The tables this process has seen lately, least recently used forgotten first."""

    def __init__(self, limit: int = TABLES_KEPT) -> None:
        self._states: OrderedDict[int, TableState] = OrderedDict()
        self._limit = limit

    def get(self, table_id: int) -> TableState | None:
        state = self._states.get(table_id)
        if state is not None:
            self._states.move_to_end(table_id)
        return state

    def put(self, state: TableState) -> None:
        self._states[state.table_id] = state
        self._states.move_to_end(state.table_id)
        while len(self._states) > self._limit:
            self._states.popitem(last=False)

    def forget(self, table_id: int) -> None:
        self._states.pop(table_id, None)

    def forget_workshop(self, workshop_id: str) -> int:
        """Drop the kept tables of a workshop that was deleted; how many there were.

        Called from the deleting thread: the copy of the values is made in one step (no
        Python code runs while it is made), so the loop's changes cannot break it."""
        gone = [s.table_id for s in list(self._states.values()) if s.workshop_id == workshop_id]
        for table_id in gone:
            self._states.pop(table_id, None)
        return len(gone)

    def count(self) -> int:
        return len(self._states)


def read_state(session: Session, table_id: int, steps: tuple[Step, ...]) -> TableState:
    """Read a table afresh, its row locked for the session's transaction where the database can
    (PostgreSQL). The row is read first: a board newer than its `seq` can only fail the version
    check, never pass it with a stale board."""
    try:
        table = lock_table(session, table_id)
    except NoResultFound:  # the workshop was deleted under the phone
        raise SeatGone(table_id) from None
    interview = interview_of(session, table)  # created on a table's first look
    return TableState(
        table_id=table_id,
        seq=table.seq,
        clock=clock_of(table, steps),
        interview_id=_id(interview.id),
        board=board_of(session, interview),
        roles={
            seat_id: role
            for seat_id, role in session.connection().execute(
                select(_S.c.id, _S.c.role).where(_S.c.table_id == table_id)
            )
        },
        workshop_id=table.workshop_id,
    )


def _id(value: int | None) -> int:
    assert value is not None
    return value


# --- the statements every command runs, prepared once per driver (app.tables.prepared) ------

_T = WorkshopTable.__table__  # type: ignore[attr-defined]
_S = Seat.__table__  # type: ignore[attr-defined]
_E = TableEvent.__table__  # type: ignore[attr-defined]
_P = Placement.__table__  # type: ignore[attr-defined]
_N = InterviewNote.__table__  # type: ignore[attr-defined]

# The version check and the seat check in one statement: no row updated, nothing decided.
_BUMP = (
    update(_T)
    .where(
        _T.c.id == bindparam("t_id"),
        _T.c.seq == bindparam("t_old"),
        exists().where(
            _S.c.id == bindparam("s_id"),
            _S.c.table_id == bindparam("t_id"),
            _S.c.role == bindparam("s_role"),
        ),
    )
    .values(seq=bindparam("t_new"))
)
_EVENT = insert(_E).values(
    table_id=bindparam("t_id"),
    seq=bindparam("t_new"),
    command_id=bindparam("c_id"),
    command_fingerprint=bindparam("c_fp"),
    seat_id=bindparam("s_id"),
    kind=bindparam("e_kind"),
    created_at=bindparam("e_at", type_=_E.c.created_at.type),
)
_OF_COMMAND = (_E.c.table_id == bindparam("t_id"), _E.c.command_id == bindparam("c_id"))
_SEQ_OF_COMMAND = select(_E.c.seq, _E.c.command_fingerprint).where(*_OF_COMMAND)
# Is the kept copy still the table, for this seat, and is this command new? In one query.
_PROBE = select(
    _T.c.seq,
    select(_S.c.role)
    .where(_S.c.id == bindparam("s_id"), _S.c.table_id == bindparam("t_id"))
    .scalar_subquery()
    .label("role"),
    select(_E.c.seq).where(*_OF_COMMAND).scalar_subquery().label("applied"),
    select(_E.c.command_fingerprint).where(*_OF_COMMAND).scalar_subquery().label("fingerprint"),
).where(_T.c.id == bindparam("t_id"))
_PLACE_ADD = insert(_P).values(
    interview_id=bindparam("i_id"),
    card=bindparam("p_card"),
    factor=bindparam("p_factor"),
    side=bindparam("p_side"),
    extent=bindparam("p_extent"),
    position=bindparam("p_position"),
    explanation=bindparam("p_explanation"),
    custom_name=bindparam("p_custom_name"),
)
_PLACE_CHANGE = (
    update(_P)
    .where(_P.c.interview_id == bindparam("i_id"), _P.c.card == bindparam("p_card"))
    .values(
        side=bindparam("p_side"),
        extent=bindparam("p_extent"),
        position=bindparam("p_position"),
        explanation=bindparam("p_explanation"),
        custom_name=bindparam("p_custom_name"),
    )
)
_PLACE_DROP = delete(_P).where(
    _P.c.interview_id == bindparam("i_id"), _P.c.card == bindparam("p_card")
)
_NOTE_CHANGE = (
    update(_N)
    .where(_N.c.interview_id == bindparam("i_id"), _N.c.field == bindparam("n_field"))
    .values(text=bindparam("n_text"))
)
_NOTE_ADD = insert(_N).values(
    interview_id=bindparam("i_id"), field=bindparam("n_field"), text=bindparam("n_text")
)


# --- judging a command against the kept state (pure) ------------------------------------


def judge(
    state: TableState, role: str, command: p.Command, deck: Deck, game: Format
) -> Board | None:
    """The board after a board command (None for a note), or a Refusal; changes nothing."""
    if isinstance(command, p.Note):
        check_note(role, command.field, game)
        return None
    check_board_command(role, command.type, state.clock, game)
    board = state.board
    if isinstance(command, p.Place):
        card = deck.card_or_none(command.card)
        if card is None:
            raise Refusal("unknown_card", "There is no such card in this deck.", status=422)
        return rules.place(
            board,
            command.card,
            card.factor_code,
            Side(command.side),
            Extent(command.extent),
            command.position,
        )
    if isinstance(command, p.Return):
        return rules.take_back(board, command.card)
    if isinstance(command, p.Explain):
        return rules.explain(board, command.card, command.text)
    return rules.name_blank(board, command.card, command.text)


# --- applying it ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Written:
    """A command's effect, written but not yet committed."""

    board: Board | None  # None for a note
    fingerprint: str


@dataclass
class _Turn:
    """The commands written on the event loop in one turn of it, committed together."""

    done: asyncio.Future[None]
    tables: set[int] = field(default_factory=set)


class LiveTables:
    """Applies phones' commands: judged against the kept state, written in one short transaction.

    A command is first judged against the kept copy and written only if the table's `seq` and
    the seat's role are still what the copy says (no lock held). Where the copy refuses, is
    stale or does not know the seat, it is judged again on a fresh read with the table row
    locked, so only the database's present state refuses, and two processes queue rather than
    collide.

    On SQLite the kept copy is tried on the event loop (`apply_now`) with a connection that
    never waits for a lock; while another writer holds it, `submit` tries again a moment later,
    still on the loop. Commands written in the same turn of the loop share one commit
    (`committed`): the commit is most of a move's cost in SQLite, and a phone hears nothing
    until it has happened. The locked read runs on a worker thread. On PostgreSQL everything
    runs on a worker thread (`apply`), whose waits are the network's.
    """

    def __init__(self, engine: Engine, states: TableStates | None = None) -> None:
        self.engine = engine
        self.states = states or TableStates()
        self._statements = Statements(engine.dialect)
        self._dbapi = engine.dialect.loaded_dbapi
        self.inline = engine.dialect.name == "sqlite"
        self._now_connection: Any = None
        self._turn: _Turn | None = None
        self.commits = 0  # turns committed on the event loop
        self._checkpoint: asyncio.Future[None] | None = None
        self._next_checkpoint = 0.0

    async def submit(
        self, table_id: int, seat_id: int, command: p.Command, deck: Deck, game: Format
    ) -> Outcome:
        """Apply a phone's command; the outcome is committed when this returns."""
        loop = asyncio.get_running_loop()
        give_up = loop.time() + BUSY_TIMEOUT_MS / 1000
        pause = 0.001
        while True:
            try:
                outcome = self.apply_now(table_id, seat_id, command, deck, game)
                break
            except self._dbapi.OperationalError as busy:
                # Another writer holds SQLite's lock for a moment (a seat change, presence, a
                # checkpoint's neighbour): try again on the loop rather than queue threads
                # that would hold the lock in turn and send every command after them.
                if loop.time() + pause > give_up:
                    raise OperationalError(None, None, busy) from busy
                await asyncio.sleep(pause)
                pause = min(pause * 2, 0.02)
        if outcome is None:  # not decidable against the kept copy: a locked read, on a thread
            fallback = self._apply_locked if self.inline else self.apply  # (inline tried it)
            return await asyncio.to_thread(fallback, table_id, seat_id, command, deck, game)
        # Shielded: the turn's future is shared by every command written in it, and a phone
        # closing cancels its own wait; unshielded, that would cancel everyone else's too.
        await asyncio.shield(self.committed())
        return outcome

    def apply_now(
        self, table_id: int, seat_id: int, command: p.Command, deck: Deck, game: Format
    ) -> Outcome | None:
        """The outcome, decided without waiting on anything; None where the kept copy can't
        decide, and the driver's OperationalError where another writer holds the lock.

        Call it on the event loop, and await `committed()` before anyone hears of it.
        """
        state = self.states.get(table_id)
        if not self.inline or state is None:
            return None
        connection = self._connection_now()
        cursor = Cursor(self._statements, connection)
        written = False
        try:
            if self._turn is None:
                cursor.run("BEGIN")  # this turn's transaction; a savepoint alone would commit
            cursor.run("SAVEPOINT command")  # so that one command can be undone on its own
            try:
                decided = self._decide_kept(cursor, state, seat_id, command, deck, game)
                written = isinstance(decided, _Written)
            finally:
                if not written:
                    # A refusal, a resend or a stale copy may have bumped the seq before it
                    # found out (the unique command id): this turn's commit must not keep it.
                    cursor.run("ROLLBACK TO command")
                cursor.run("RELEASE command")
        finally:
            cursor.close()
            if self._turn is None and not written:
                connection.rollback()  # end the transaction this command opened for nothing
        if isinstance(decided, _Written):
            self._join_turn(table_id)
            return _applied(state, seat_id, command, decided)
        return decided

    def committed(self) -> asyncio.Future[None]:
        """Done when everything `apply_now` wrote so far is committed (or failed to be)."""
        if self._turn is None:
            done = asyncio.get_running_loop().create_future()
            done.set_result(None)
            return done
        return self._turn.done

    def apply(
        self, table_id: int, seat_id: int, command: p.Command, deck: Deck, game: Format
    ) -> Outcome:
        """The outcome, waiting for the database if it must (run it on a worker thread)."""
        state = self.states.get(table_id)
        if state is not None:
            connection = self.engine.raw_connection()
            cursor = Cursor(self._statements, connection)
            try:
                decided = self._decide_kept(cursor, state, seat_id, command, deck, game)
                if isinstance(decided, _Written):
                    connection.commit()
                    return _applied(state, seat_id, command, decided)
            except self._dbapi.OperationalError as busy:  # as SQLAlchemy would say it
                raise OperationalError(None, None, busy) from busy
            finally:
                connection.rollback()  # whatever was not committed above
                cursor.close()
                connection.close()
            if decided is not None:
                return decided
        return self._apply_locked(table_id, seat_id, command, deck, game)

    def forget_workshop(self, workshop_id: str) -> None:
        """The workshop was deleted: its tables' kept states go with it (see TableStates)."""
        self.states.forget_workshop(workshop_id)

    def close(self) -> None:
        if self._turn is not None:  # the loop has stopped before the turn's commit ran
            self._now_connection.commit()
            self._turn = None
        if self._now_connection is not None:
            self._now_connection.close()
            self._now_connection = None

    def _connection_now(self) -> Any:
        if self._now_connection is None:
            self._now_connection = self.engine.raw_connection()
            cursor = self._now_connection.cursor()
            cursor.execute("PRAGMA busy_timeout=0")  # busy: the worker thread waits instead
            # Checkpoints copy the log into the database file and wait for the disk: not on
            # the event loop. The worker thread runs them (`checkpoint`).
            cursor.execute("PRAGMA wal_autocheckpoint=0")
            # A savepoint per command keeps its undo journal: in memory, not in a temp file.
            cursor.execute("PRAGMA temp_store=MEMORY")
            cursor.close()
        return self._now_connection

    def _join_turn(self, table_id: int) -> None:
        if self._turn is None:
            loop = asyncio.get_running_loop()
            self._turn = _Turn(loop.create_future())
            loop.call_soon(self._commit_turn)
        self._turn.tables.add(table_id)

    def _commit_turn(self) -> None:
        turn, self._turn = self._turn, None
        if turn is None:
            return
        try:
            self._now_connection.commit()
        except self._dbapi.Error as error:
            self._now_connection.rollback()
            for table_id in turn.tables:  # their kept copies ran ahead of the database
                self.states.forget(table_id)
            if not turn.done.done():
                turn.done.set_exception(OperationalError(None, None, error))
            return
        if not turn.done.done():
            turn.done.set_result(None)
        self.commits += 1
        loop = asyncio.get_running_loop()
        if self._checkpoint is None and loop.time() >= self._next_checkpoint:
            # One at a time, at most once a period: a checkpoint waits for the disk, and a
            # queue of them would take the worker threads that snapshots and reads need.
            self._next_checkpoint = loop.time() + CHECKPOINT_SECONDS
            self._checkpoint = loop.run_in_executor(None, self.checkpoint)
            self._checkpoint.add_done_callback(self._checkpointed)

    def _checkpointed(self, _: asyncio.Future[None]) -> None:
        self._checkpoint = None

    def checkpoint(self) -> None:
        """Copy SQLite's write-ahead log into the database file, without holding up writers."""
        try:
            with self.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
        except OperationalError:  # busy or the disk: the next one copies what this one did not
            logger.info("checkpoint skipped", exc_info=True)

    def _decide_kept(
        self,
        cursor: Cursor,
        state: TableState,
        seat_id: int,
        command: p.Command,
        deck: Deck,
        game: Format,
    ) -> Outcome | _Written | None:
        """Against the kept state: an outcome that wrote nothing, the effect written (not yet
        committed), or None where a fresh, locked read must judge (anything written is void)."""
        fingerprint = p.fingerprint(command)
        if command.id in state.recent:
            return _resent(command, fingerprint, *state.recent[command.id])
        role = state.roles.get(seat_id)
        if role is None:
            return None
        try:
            board = judge(state, role, command, deck, game)
        except Refusal:
            found = cursor.first(
                _PROBE, {"t_id": state.table_id, "s_id": seat_id, "c_id": command.id}
            )
            if found is None or found[:2] != (state.seq, role):
                return None  # the copy is stale: judge again on a fresh read
            if found[2] is not None:  # a resend of a command applied before this copy
                return _resent(command, fingerprint, found[2], found[3])
            raise  # refused by the table as it is, without reading it all again
        written = _Written(board, fingerprint)
        try:
            stored = _store(cursor, state, seat_id, role, command, written)
        except self._dbapi.IntegrityError:  # this id was applied before: see the locked read
            return None  # (the seq bump is undone with the rest: apply_now, apply)
        return written if stored else None

    def _apply_locked(
        self, table_id: int, seat_id: int, command: p.Command, deck: Deck, game: Format
    ) -> Outcome:
        with Session(self.engine) as session:
            state = read_state(session, table_id, game.steps)
            cursor = Cursor(self._statements, session.connection().connection)
            found = cursor.first(_SEQ_OF_COMMAND, {"t_id": table_id, "c_id": command.id})
            role = state.roles.get(seat_id)
            fingerprint = p.fingerprint(command)
            # Until the command is judged, the only write can be an interview created on first
            # look; it is kept (committed) whatever the verdict.
            if found is not None or role is None:
                session.commit()
                self.states.put(state)
                if role is not None and found is not None:  # applied before
                    return _resent(command, fingerprint, int(found[0]), found[1])
                raise SeatGone(seat_id)
            try:
                board = judge(state, role, command, deck, game)
            except Refusal:
                session.commit()
                self.states.put(state)
                raise
            written = _Written(board, fingerprint)
            if not _store(cursor, state, seat_id, role, command, written):
                # Only a seat that changed role after it was read gets here; the phone may resend.
                session.rollback()
                self.states.forget(table_id)
                raise Refusal(
                    "conflict", "Someone changed the table at the same moment. Try again."
                )
            session.commit()
        self.states.put(state)
        return _applied(state, seat_id, command, written)


def _resent(command: p.Command, fingerprint: str, seq: int, stored: str | None) -> Outcome:
    """A command whose id was applied before: acknowledged if it is that command again."""
    if stored is not None and stored != fingerprint:  # None: stored before fingerprints were
        raise Refusal(
            p.ID_REUSED, "This command id was already used for another command.", status=409
        )
    return Outcome(p.Ack(id=command.id, seq=seq))


def _store(
    cursor: Cursor,
    state: TableState,
    seat_id: int,
    role: str,
    command: p.Command,
    written: _Written,
) -> bool:
    """Write the command's effect if the table is still as `state` says; False if it is not."""
    new = state.seq + 1
    table = {"t_id": state.table_id, "s_id": seat_id}
    if cursor.execute(_BUMP, table | {"t_old": state.seq, "t_new": new, "s_role": role}) != 1:
        return False
    board = written.board
    kind = "board" if board is not None else "note"
    event = {"t_new": new, "c_id": command.id, "c_fp": written.fingerprint, "e_kind": kind}
    cursor.execute(_EVENT, table | event | {"e_at": utcnow()})
    if board is None:
        assert isinstance(command, p.Note)
        _store_note(cursor, state.interview_id, command.field, command.text)
    else:
        _store_board(cursor, state.interview_id, state.board, board)
    return True


def _applied(state: TableState, seat_id: int, command: p.Command, written: _Written) -> Outcome:
    """Move the kept state on after the commit, and say what happened."""
    state.seq += 1
    seq = state.seq
    state.remember(command.id, seq, written.fingerprint)
    board = written.board
    if board is None:
        assert isinstance(command, p.Note)
        event: p.Event = p.NoteEvent(
            seq=seq, by=seat_id, command="note", field=command.field, text=command.text
        )
    else:
        state.board = board
        event = p.BoardEvent(
            seq=seq,
            by=seat_id,
            command=command.type,
            board=placements_out(board),
            locked=False,
        )
    return Outcome(p.Ack(id=command.id, seq=seq), [event])


def _store_board(cursor: Cursor, interview_id: int, old: Board, new: Board) -> None:
    """Write only what changed: a move shifts a few positions, it does not rewrite the board."""
    before = {pl.card: pl for pl in old}
    after = {pl.card: pl for pl in new}
    gone = [{"i_id": interview_id, "p_card": card} for card in before if card not in after]
    changed = [
        _row(interview_id, pl)
        for card, pl in after.items()
        if card in before and before[card] is not pl and before[card] != pl
    ]
    added = [_row(interview_id, pl) for card, pl in after.items() if card not in before]
    if gone:
        cursor.execute_many(_PLACE_DROP, gone)
    if changed:
        cursor.execute_many(_PLACE_CHANGE, changed)
    if added:
        cursor.execute_many(_PLACE_ADD, added)


def _row(interview_id: int, pl: rules.Placement) -> dict[str, object]:
    return {
        "i_id": interview_id,
        "p_card": pl.card,
        "p_factor": pl.factor,
        "p_side": pl.side.value,
        "p_extent": pl.extent.value,
        "p_position": pl.position,
        "p_explanation": pl.explanation,
        "p_custom_name": pl.custom_name,
    }


def _store_note(cursor: Cursor, interview_id: int, name: str, text: str) -> None:
    values = {"i_id": interview_id, "n_field": name, "n_text": text}
    if cursor.execute(_NOTE_CHANGE, values) == 0:
        cursor.execute(_NOTE_ADD, values)
