"""Ends rounds whose deadline has passed, so the whistle blows even if nobody touches a phone.

Every process keeps the clock, but with several on one PostgreSQL only the leader
(app.advisory_locks) looks four times a second; the others look every few seconds, in case
the leader hangs (a frozen process keeps its lock). Should two end the same round at once,
the table's row lock lets the first do it and the second find it ended.
"""

from __future__ import annotations

import asyncio
import logging
import time

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.advisory_locks import CLOCK_KEEPER, Leadership
from app.models import WorkshopTable
from app.realtime.hub import Hub
from app.realtime.protocol import Event
from app.realtime.table_feed import publish
from app.tables.locks import TableLocks
from app.tables.service import due_tables, now_ms, round_action

logger = logging.getLogger(__name__)
TICK_SECONDS = 0.25
FOLLOWER_EVERY_SECONDS = 5.0  # a follower's look, should the leader hang


async def expire_due_rounds(engine: Engine, hub: Hub, locks: TableLocks) -> int:
    """One pass: end every round past its deadline. Returns how many were ended."""

    def due() -> list[int]:
        with Session(engine) as session:
            return due_tables(session, now_ms())

    def expire(table_id: int) -> tuple[list[Event], str]:
        with Session(engine) as session:
            events = round_action(session, table_id, "expire")
            table = session.get(WorkshopTable, table_id)
            return events, table.workshop_id if table else ""

    ended = 0
    for table_id in await asyncio.to_thread(due):
        async with locks(table_id):
            events, workshop_id = await asyncio.to_thread(expire, table_id)
            if events:
                ended += 1
                await publish(hub, table_id, workshop_id, events)
    return ended


async def keep_clock(engine: Engine, hub: Hub, locks: TableLocks) -> None:
    leadership = Leadership(engine, CLOCK_KEEPER)
    failing = False
    last_look = 0.0
    try:
        while True:
            try:
                leading = await asyncio.to_thread(leadership.lead)
                now = time.monotonic()
                if leading or now - last_look >= FOLLOWER_EVERY_SECONDS:
                    last_look = now
                    await expire_due_rounds(engine, hub, locks)
                if failing:
                    logger.warning("clock keeper: the database answers again")
                failing = False
            except Exception:  # a passing database hiccup must not stop the clock for good
                if not failing:  # once per outage, not four tracebacks a second
                    logger.exception("clock keeper pass failed; retrying quietly until it works")
                failing = True
            await asyncio.sleep(TICK_SECONDS)
    finally:
        leadership.resign()  # at once, not when the engine is disposed
