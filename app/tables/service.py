"""A table through the ORM: round actions, member changes, snapshots and what phones see.

The game rules live in app.game (pure); this module loads the state, asks the rules, stores
the result and the event, and returns the messages to send. Publishing happens after commit.
Phones' commands take the shorter path in app.tables.live_state.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from functools import lru_cache

from sqlmodel import Session, col, select

from app.game import board as rules
from app.game import clock as clocks
from app.game.board import Board, Extent, Side
from app.game.clock import Clock
from app.game.format import Format, Step
from app.game.refusal import Refusal
from app.models import (
    Interview,
    InterviewNote,
    Placement,
    Seat,
    TableEvent,
    Workshop,
    WorkshopTable,
    utcnow,
)
from app.play.service import members
from app.realtime import protocol as p
from app.tables.pictures import picture_of
from app.tables.presence import connected_seats
from app.workshops.frozen import workshop_deck, workshop_format


def now_ms() -> int:
    return int(time.time() * 1000)


# --- loading and storing ------------------------------------------------------------


def lock_table(session: Session, table_id: int) -> WorkshopTable:
    """The table row, locked for this transaction where the database can (PostgreSQL)."""
    table = session.exec(
        select(WorkshopTable)
        .where(WorkshopTable.id == table_id)
        .with_for_update()
        # The row as the lock found it: a copy this session loaded earlier may be stale (its
        # seq, its clock), and another process may have committed since.
        .execution_options(populate_existing=True)
    ).one()
    return table


def clock_of(table: WorkshopTable, steps: tuple[Step, ...]) -> Clock:
    """The table's clock from its seven columns; its round number indexes the format's steps."""
    return Clock(
        number=table.round_number,
        status=table.round_status,  # type: ignore[arg-type]
        duration_ms=table.duration_ms,
        deadline_ms=table.deadline_ms,
        remaining_ms=table.remaining_ms,
        started_ms=table.started_ms,
        round_ms=table.round_ms,
        steps=steps,
    )


def store_clock(table: WorkshopTable, clock: Clock) -> None:
    table.round_number = clock.number
    table.round_status = clock.status
    table.duration_ms = clock.duration_ms
    table.deadline_ms = clock.deadline_ms
    table.remaining_ms = clock.remaining_ms
    table.started_ms = clock.started_ms
    table.round_ms = clock.round_ms


def interview_of(session: Session, table: WorkshopTable, number: int | None = None) -> Interview:
    number = number or table.round_number
    assert table.id is not None
    found = session.exec(
        select(Interview).where(Interview.table_id == table.id, Interview.round_number == number)
    ).first()
    if found is None:
        found = Interview(table_id=table.id, round_number=number)
        session.add(found)
        session.flush()
    return found


def board_of(session: Session, interview: Interview) -> Board:
    return board_from_rows(
        session.exec(select(Placement).where(Placement.interview_id == interview.id))
    )


def board_from_rows(found: Iterable[Placement]) -> Board:
    """Stored placements as the rules' board, in the rules' zone order (as events list it)."""
    zone_order = {zone: i for i, zone in enumerate(rules.ZONES)}
    rows = sorted(found, key=lambda r: (zone_order[(Side(r.side), Extent(r.extent))], r.position))
    return tuple(
        rules.Placement(
            card=r.card,
            factor=r.factor,
            side=Side(r.side),
            extent=Extent(r.extent),
            position=r.position,
            explanation=r.explanation,
            custom_name=r.custom_name,
        )
        for r in rows
    )


def notes_of(session: Session, interview: Interview, game: Format) -> dict[str, str]:
    notes = dict.fromkeys(game.note_ids, "")
    for note in session.exec(
        select(InterviewNote).where(InterviewNote.interview_id == interview.id)
    ):
        if note.field in notes:  # a field the format no longer has is not shown
            notes[note.field] = note.text
    return notes


def current_record(
    session: Session, table: WorkshopTable, game: Format
) -> tuple[dict[str, str], Board]:
    """The current interview's notes and board, as the snapshot will send them: rendered into
    the reporter's page, so that a reload never shows the record empty. Only read: a round
    nobody has touched has no interview row yet."""
    interview = session.exec(
        select(Interview).where(
            Interview.table_id == table.id, Interview.round_number == table.round_number
        )
    ).first()
    if interview is None:
        return dict.fromkeys(game.note_ids, ""), ()
    return notes_of(session, interview, game), board_of(session, interview)


def next_seq(
    session: Session, table: WorkshopTable, kind: str, seat: Seat | None, command_id: str | None
) -> int:
    assert table.id is not None
    table.seq += 1
    session.add(table)
    session.add(
        TableEvent(
            table_id=table.id,
            seq=table.seq,
            command_id=command_id,
            seat_id=seat.id if seat else None,
            kind=kind,
        )
    )
    return table.seq


# --- what phones see ----------------------------------------------------------------


def placements_out(board: Board) -> list[p.PlacementOut]:
    return [placement_out(pl) for pl in board]


@lru_cache(maxsize=8192)
def placement_out(pl: rules.Placement) -> p.PlacementOut:
    """A placement as phones see it. Kept: a move changes a few placements and leaves the
    rest of the board the same objects, and each is sent to every phone after every move.
    The cached models are shared, so they are never changed."""
    return p.PlacementOut(
        card=pl.card,
        factor=pl.factor,
        side=pl.side.value,
        extent=pl.extent.value,
        position=pl.position,
        explanation=pl.explanation,
        custom_name=pl.custom_name,
    )


def round_out(clock: Clock, now: int, whistle: bool = False) -> p.RoundOut:
    return p.RoundOut(
        number=clock.number,
        status=clock.status,
        respondent=clock.respondent,
        duration_ms=clock.duration_ms,
        deadline=clock.deadline_ms,
        remaining_ms=clock.remaining(now),
        look_until=clock.look_until(),
        server_time=now,
        whistle=whistle,
    )


def members_out(session: Session, table: WorkshopTable) -> list[p.Member]:
    return [p.Member(id=m.seat_id, role=m.role, name=m.name) for m in members(session, table)]


def pictures_out(session: Session, table: WorkshopTable) -> list[p.Picture]:
    done = session.exec(
        select(Interview)
        .where(Interview.table_id == table.id, col(Interview.picture_svg).is_not(None))
        .order_by(col(Interview.round_number))
    )
    return [
        p.Picture(round=i.round_number, url=f"/t/{table.join_code}/rounds/{i.round_number}.svg")
        for i in done
    ]


def snapshot(
    session: Session, table: WorkshopTable, workshop: Workshop, seat: Seat | None, game: Format
) -> p.Snapshot:
    clock = clock_of(table, game.steps)
    interview = interview_of(session, table)
    you = None
    if seat is not None and seat.id is not None:
        you = p.Member(id=seat.id, role=seat.role, name=seat.display_name)
    return p.Snapshot(
        seq=table.seq,
        table=p.TableInfo(
            number=table.number,
            code=table.join_code,
            workshop=workshop.title,
            language=workshop.language,
            deck=workshop.deck_id,
        ),
        you=you,
        members=members_out(session, table),
        round=round_out(clock, now_ms()),
        board=placements_out(board_of(session, interview)),
        locked=clock.status == "ended",
        notes=notes_of(session, interview, game),
        pictures=pictures_out(session, table),
    )


# --- the round clock, driven by the facilitator and by the deadline ---------------------


def round_action(
    session: Session,
    table_id: int,
    action: str,
    minutes: int = 0,
    now: int | None = None,
) -> list[p.Event]:
    now = now_ms() if now is None else now
    table = lock_table(session, table_id)
    workshop = session.get(Workshop, table.workshop_id)
    assert workshop is not None
    game = workshop_format(session, workshop)
    clock = clock_of(table, game.steps)
    whistle = False
    if action == "start":
        new = clocks.start(clock, now)
    elif action == "pause":
        new = clocks.pause(clock, now)
    elif action == "extend":
        new = clocks.extend(clock, minutes, now)
    elif action == "end":
        new = clocks.end(clock, now)
        whistle = True
    elif action == "expire":  # the deadline passed; another process may have ended it already
        if not clock.is_due(now):
            session.rollback()
            return []
        new = clocks.end(clock, now)
        whistle = True
    else:
        raise Refusal("unknown_action", "There is no such round action.", status=422)
    store_clock(table, new)
    events: list[p.Event] = []
    if new.status == "ended":
        _keep_picture(session, table, workshop, game)
    seq = next_seq(session, table, "round", None, None)
    events.append(
        p.RoundEvent(
            seq=seq,
            round=round_out(new, now, whistle),
            locked=new.status == "ended",
            pictures=pictures_out(session, table),
        )
    )
    if new.number != clock.number:
        # A new interview: a fresh board and all cards back in the hand.
        interview = interview_of(session, table)
        seq = next_seq(session, table, "board", None, None)
        events.append(
            p.BoardEvent(
                seq=seq,
                by=None,
                command="reset",
                board=placements_out(board_of(session, interview)),
                locked=False,
            )
        )
        for name in game.note_ids:
            seq = next_seq(session, table, "note", None, None)
            events.append(p.NoteEvent(seq=seq, by=None, command="reset", field=name, text=""))
    session.commit()
    return events


def _keep_picture(session: Session, table: WorkshopTable, workshop: Workshop, game: Format) -> None:
    interview = interview_of(session, table, table.round_number)
    if interview.picture_svg is not None:
        return
    deck = workshop_deck(session, workshop)
    interview.picture_svg = picture_of(
        board_of(session, interview), deck, game, workshop, table, interview.round_number
    )
    interview.ended_at = utcnow()
    session.add(interview)


def kept_picture(
    session: Session, table: WorkshopTable | None, round_number: int, game: Format
) -> str:
    """The SVG kept when a round ended, or a clear 404 while the round is still on."""
    if table is None or round_number not in range(1, game.rounds + 1):
        raise Refusal("no_picture", "There is no picture of this round (yet).", status=404)
    interview = interview_of(session, table, round_number)
    if interview.picture_svg is None:
        session.rollback()  # don't keep an interview row created just to look
        raise Refusal("no_picture", "There is no picture of this round (yet).", status=404)
    return interview.picture_svg


def due_tables(session: Session, now: int) -> list[int]:
    rows = session.exec(
        select(WorkshopTable.id).where(
            WorkshopTable.round_status == "running", col(WorkshopTable.deadline_ms) <= now
        )
    )
    return [r for r in rows if r is not None]


def member_event(session: Session, table_id: int) -> p.Event:
    table = lock_table(session, table_id)
    seq = next_seq(session, table, "members", None, None)
    event = p.MembersEvent(seq=seq, members=members_out(session, table))
    session.commit()
    return event


def table_summary(session: Session, table: WorkshopTable, game: Format) -> p.TableSummary:
    """One table as the dashboard shows it: who is there, the round, cards left and right."""
    interview = interview_of(session, table)
    board = board_of(session, interview)
    notes = notes_of(session, interview, game)
    assert table.id is not None
    return p.TableSummary(
        table_id=table.id,
        number=table.number,
        seq=table.seq,
        round=round_out(clock_of(table, game.steps), now_ms()),
        members=members_out(session, table),
        stimulating=sum(1 for pl in board if pl.side == Side.STIMULATING),
        hindering=sum(1 for pl in board if pl.side == Side.HINDERING),
        online=connected_seats(session, table.id, now_ms()),
        # Has the reporter written anything yet (the observer's reflection aside)?
        recorded=any(notes[note.id].strip() for note in game.notes if note.summary),
    )


def dashboard_tables(
    session: Session, tables: Iterable[WorkshopTable], game: Format
) -> list[p.TableSummary]:
    """A workshop's tables as the dashboard shows them (its socket and the workshop's JSON)."""
    summaries = [table_summary(session, table, game) for table in tables]
    session.commit()  # interviews created on first look are kept
    return summaries
