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

from sqlalchemy import Engine, delete
from sqlmodel import Session, col, select

from app.models import Workshop

DEFAULT_DAYS = 90
CHOICES = (7, 30, 90, 180, 365)  # what the forms offer; the API accepts 1..365
SWEEP_EVERY_S = 3600.0
logger = logging.getLogger(__name__)


def deletion_date(workshop: Workshop) -> dt.date:
    return workshop.date + dt.timedelta(days=workshop.retention_days)


def expired(session: Session, today: dt.date) -> list[str]:
    """Ids of workshops whose retention has run out (checked in Python: dates are portable)."""
    return [w.id for w in session.exec(select(Workshop)) if deletion_date(w) <= today]


def delete_workshop(session: Session, workshop_id: str) -> None:
    session.execute(delete(Workshop).where(col(Workshop.id) == workshop_id))
    session.commit()


def purge_expired(engine: Engine, today: dt.date | None = None) -> int:
    today = today or dt.date.today()
    with Session(engine) as session:
        doomed = expired(session, today)
        for workshop_id in doomed:
            delete_workshop(session, workshop_id)
    if doomed:
        logger.info("deleted %d workshop(s) past their retention period", len(doomed))
    return len(doomed)


async def keep_retention(engine: Engine, every_s: float = SWEEP_EVERY_S) -> None:
    """At start and then every hour, in the background, for as long as the app runs."""
    while True:
        try:
            await asyncio.to_thread(purge_expired, engine)
        except Exception:  # a busy database now is a sweep next hour, not a dead task
            logger.exception("retention sweep failed")
        await asyncio.sleep(every_s)
