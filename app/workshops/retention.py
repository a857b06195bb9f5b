"""Keeping as little as possible: workshops are deleted after their retention period.

The AVG/GDPR asks that personal data (stories about people at work) is kept no longer
than needed. Each workshop carries its own period, set by the facilitator (90 days by
default), counted from the workshop's date. Deleting a workshop row deletes everything in
it: the foreign keys cascade (SQLite enforces them: app.db turns them on).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable

from sqlalchemy import Engine, delete
from sqlmodel import Session, col, select

from app.advisory_locks import RETENTION_SWEEP, only_one
from app.db import forget_deleted
from app.game.refusal import Refusal
from app.models import Workshop
from app.workshops.frozen import forget as forget_copy

DEFAULT_DAYS = 90
CHOICES = (7, 30, 90, 180, 365)  # what the forms offer; the API accepts 1..MAX_DAYS
MAX_DAYS = 365
# A workshop's date lies within five years of today, either way: a typo in the year is caught,
# and no date is near the calendar's end, where adding the retention period would overflow.
DATE_RANGE = dt.timedelta(days=5 * 365 + 1)
SWEEP_EVERY_S = 3600.0
logger = logging.getLogger(__name__)


def deletion_date(workshop: Workshop) -> dt.date:
    try:
        return workshop.date + dt.timedelta(days=workshop.retention_days)
    except OverflowError:  # a row stored before dates were checked: it never runs out
        return dt.date.max


def is_expired(workshop: Workshop, today: dt.date | None = None) -> bool:
    """Past its deletion date: refused everywhere at once, deleted by the next sweep."""
    return deletion_date(workshop) <= (today or dt.date.today())


def check_kept(workshop: Workshop) -> Workshop:
    """The workshop, unless it is past its deletion date (then a 410 for everyone)."""
    if is_expired(workshop):
        raise Refusal(
            "workshop_expired",
            "This workshop is past its deletion date: everything in it is being deleted.",
            status=410,
        )
    return workshop


def change_retention(session: Session, workshop: Workshop, days: int) -> None:
    """Keep the workshop for `days` after its date (the summary's form and the API)."""
    workshop.retention_days = days
    if is_expired(workshop):  # that is "delete now", which asks for a confirmation of its own
        session.rollback()
        raise Refusal(
            "retention_past",
            "With this period the workshop would be past its deletion date: delete it instead.",
            status=422,
        )
    session.add(workshop)
    session.commit()


def _delete_rows(session: Session, workshop_id: str) -> None:
    session.execute(delete(Workshop).where(col(Workshop.id) == workshop_id))
    forget_copy(workshop_id)
    session.commit()


# Told each deleted workshop's id: what the process keeps in memory of it goes too (the kept
# table states, LiveTables.forget_workshop).
Forget = Callable[[str], object]


def _keep_nothing(_: str) -> None:
    return None


def delete_workshop(session: Session, workshop_id: str, forget: Forget = _keep_nothing) -> None:
    """Delete it and everything in it, also from the database's files (see forget_deleted)."""
    _delete_rows(session, workshop_id)
    forget(workshop_id)
    forget_deleted(session.get_bind().engine)


def _purge_one(engine: Engine, workshop_id: str, today: dt.date, forget: Forget) -> bool:
    with Session(engine) as session:
        workshop = session.get(Workshop, workshop_id)
        if workshop is None or not is_expired(workshop, today):
            return False
        _delete_rows(session, workshop_id)
        forget(workshop_id)
        return True


def purge_expired(
    engine: Engine, today: dt.date | None = None, forget: Forget = _keep_nothing
) -> int:
    """Delete every workshop whose retention has run out (checked in Python: dates are portable).

    Each workshop is read and deleted on its own: one row that cannot be read or deleted is
    logged and skipped, and the others still go.
    """
    today = today or dt.date.today()
    with Session(engine) as session:
        ids = list(session.exec(select(Workshop.id)))
    deleted = 0
    for workshop_id in ids:
        try:
            deleted += _purge_one(engine, workshop_id, today, forget)
        except Exception:
            logger.exception("retention: workshop %s could not be checked or deleted", workshop_id)
    if deleted:
        logger.info("deleted %d workshop(s) past their retention period", deleted)
    # Every sweep, also one that deleted nothing: it empties a log that a deletion could not
    # empty because a reader was busy then.
    forget_deleted(engine)
    return deleted


def next_sweep_in(every_s: float, now: dt.datetime) -> float:
    """Seconds to the next sweep: `every_s`, or sooner just after midnight, the moment deletion
    dates arrive, so that a phone's open socket is not served long past its workshop's."""
    tomorrow = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time())
    return min(every_s, (tomorrow - now).total_seconds() + 1)


def sweep_alone(engine: Engine, forget: Forget = _keep_nothing) -> int:
    """purge_expired, unless another process is sweeping this very moment (it does the work)."""
    with only_one(engine, RETENTION_SWEEP) as mine:
        return purge_expired(engine, forget=forget) if mine else 0


async def keep_retention(
    engine: Engine, every_s: float = SWEEP_EVERY_S, forget: Forget = _keep_nothing
) -> None:
    """At start, then every `every_s` seconds (RETENTION_SWEEP_SECONDS) and just after each
    midnight, in the background, for as long as the app runs. Until its sweep, an expired
    workshop is refused (check_kept)."""
    while True:
        try:
            await asyncio.to_thread(sweep_alone, engine, forget)
        except Exception:  # a busy database now is a sweep later, not a dead task
            logger.exception("retention sweep failed")
        await asyncio.sleep(next_sweep_in(every_s, dt.datetime.now()))
