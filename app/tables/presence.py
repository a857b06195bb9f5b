"""Which phones at a table are connected now, stored so that every server process agrees.

An open socket pushes its seat's ``connected_until_ms`` forward (on connect and on pings);
a clean close clears it. A phone whose process died simply expires after PRESENCE_MS.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.models import Seat

PRESENCE_MS = 90_000  # phones ping every 2 s, so a live socket never gets near this
REFRESH_BELOW_MS = 60_000  # refresh only when less is left: one write per 30 s per phone


def mark_connected(session: Session, seat_id: int, now: int, *, force: bool = False) -> bool:
    """Extend the seat's presence; True when it was away before (the dashboard should hear)."""
    seat = session.get(Seat, seat_id)
    if seat is None:
        return False
    until = seat.connected_until_ms or 0
    was_away = until <= now
    if force or until - now < REFRESH_BELOW_MS:
        seat.connected_until_ms = now + PRESENCE_MS
        session.add(seat)
        session.commit()
    return was_away


def mark_gone(session: Session, seat_id: int) -> None:
    # One statement, not read-then-write: the workshop may be deleted as its phones leave,
    # and a seat gone between the two would fail the write (StaleDataError).
    session.execute(
        update(Seat)
        .where(col(Seat.id) == seat_id, col(Seat.connected_until_ms).is_not(None))
        .values(connected_until_ms=None)
    )
    session.commit()


def connected_seats(session: Session, table_id: int, now: int) -> list[int]:
    rows = session.exec(
        select(Seat.id).where(Seat.table_id == table_id, col(Seat.connected_until_ms) > now)
    )
    return sorted(r for r in rows if r is not None)
