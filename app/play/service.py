"""Taking a seat at a table: the role rules of app.game.roles applied to the database."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.game.format import Format
from app.game.refusal import Refusal
from app.game.roles import check_can_take, clean_display_name
from app.models import Seat, Workshop, WorkshopTable
from app.tokens import hash_token, looks_like_join_code, normalise_join_code
from app.workshops.retention import check_kept


@dataclass(frozen=True)
class TableContext:
    table: WorkshopTable
    workshop: Workshop


@dataclass(frozen=True)
class Member:
    seat_id: int
    role: str  # a role id of the workshop's format
    name: str


def find_table(session: Session, code: str) -> TableContext:
    """The table behind a join code, or a Refusal people can read."""
    code = normalise_join_code(code)
    if not looks_like_join_code(code):
        raise Refusal("unknown_table", "There is no table with this code.", status=404)
    table = session.exec(select(WorkshopTable).where(WorkshopTable.join_code == code)).first()
    if table is None:
        raise Refusal("unknown_table", "There is no table with this code.", status=404)
    workshop = session.get(Workshop, table.workshop_id)
    assert workshop is not None  # foreign key
    return TableContext(table, check_kept(workshop))


def check_open(workshop: Workshop) -> None:
    if workshop.status != "open":
        raise Refusal("workshop_finished", "This workshop has finished.", status=410)


def members(session: Session, table: WorkshopTable) -> list[Member]:
    seats = session.exec(
        select(Seat).where(Seat.table_id == table.id).order_by(col(Seat.created_at), col(Seat.id))
    )
    return [Member(seat.id or 0, seat.role, seat.display_name) for seat in seats]


def seat_of_device(session: Session, table: WorkshopTable, device_token: str | None) -> Seat | None:
    # Any cookie value is only ever compared as a hash: a forged token finds no seat.
    if not device_token or len(device_token) > 100:
        return None
    query = select(Seat).where(
        Seat.table_id == table.id, Seat.device_hash == hash_token(device_token)
    )
    return session.exec(query).first()


def device_holds_seat(session: Session, code: str, device_token: str) -> bool:
    """Does this device cookie hold a seat at the table of this join code?"""
    code = normalise_join_code(code)
    if not device_token or len(device_token) > 100 or not looks_like_join_code(code):
        return False
    query = (
        select(Seat.id)
        .join(WorkshopTable, col(WorkshopTable.id) == col(Seat.table_id))
        .where(WorkshopTable.join_code == code, Seat.device_hash == hash_token(device_token))
    )
    return session.exec(query).first() is not None


async def holds_seat(engine: Engine, code: str, device_token: str) -> bool:
    """device_holds_seat on a worker thread: for the join guard, off the event loop."""

    def look() -> bool:
        with Session(engine) as session:
            return device_holds_seat(session, code, device_token)

    return await asyncio.to_thread(look)


def take_seat(
    session: Session,
    context: TableContext,
    device_token: str,
    role: str,
    display_name: str | None,
    game: Format,
) -> Seat:
    """Seat this device in `role`, or move its existing seat there."""
    check_open(context.workshop)
    name = clean_display_name(display_name)
    seat = seat_of_device(session, context.table, device_token)
    others = [
        m.role for m in members(session, context.table) if seat is None or m.seat_id != seat.id
    ]
    check_can_take(role, others, game)
    if seat is None:
        assert context.table.id is not None
        seat = Seat(table_id=context.table.id, device_hash=hash_token(device_token), role=role)
    seat.role = role
    seat.display_name = name
    session.add(seat)
    try:
        session.commit()
    except IntegrityError:
        # Another phone took the same role between our check and our write.
        session.rollback()
        raise Refusal("role_taken", "Someone else already has this role.") from None
    session.refresh(seat)
    return seat


def leave_seat(session: Session, context: TableContext, device_token: str | None) -> None:
    seat = seat_of_device(session, context.table, device_token)
    if seat is not None:
        session.delete(seat)
        session.commit()
