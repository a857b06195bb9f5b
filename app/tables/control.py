"""The facilitator's round controls, for one table or every table of a workshop at once."""

from __future__ import annotations

import asyncio

from pydantic import BaseModel
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.game.clock import Clock, in_progress
from app.game.refusal import Refusal
from app.models import Workshop, WorkshopTable
from app.realtime.hub import Hub
from app.realtime.protocol import Event
from app.realtime.table_feed import publish
from app.tables.locks import TableLocks
from app.tables.service import clock_of, now_ms, round_action
from app.workshops.frozen import workshop_format

ACTIONS = ("start", "pause", "extend", "end")


class TableResult(BaseModel):
    """How one table answered a round action (the API returns a list of these)."""

    number: int
    ok: bool
    status: str
    round: int
    code: str | None = None  # the refusal's code when not ok


async def control_rounds(
    engine: Engine,
    hub: Hub,
    locks: TableLocks,
    workshop: Workshop,
    action: str,
    minutes: int = 0,
    table_number: int | None = None,
) -> list[TableResult]:
    """Apply `action` to one table or all; one table refusing does not stop the others.

    Extending all tables extends only the rounds in progress; one table can be given time
    before it starts."""
    if action not in ACTIONS:
        raise Refusal("unknown_action", "There is no such round action.", status=422)
    with Session(engine) as session:
        query = select(WorkshopTable).where(WorkshopTable.workshop_id == workshop.id)
        if table_number is not None:
            query = query.where(WorkshopTable.number == table_number)
        targets = [(t.id, t.number) for t in session.exec(query.order_by(WorkshopTable.number))]  # type: ignore[arg-type]
        game = workshop_format(session, workshop)
    if not targets:
        raise Refusal("unknown_table", "There is no table with this code.", status=404)
    results: list[TableResult] = []
    now = now_ms()
    every = table_number is None
    for table_id, number in targets:
        assert table_id is not None

        def act(table_id: int = table_id) -> tuple[list[Event], str | None, Clock]:
            with Session(engine) as session:
                try:
                    table = session.get(WorkshopTable, table_id)
                    assert table is not None
                    if (
                        every
                        and action == "extend"
                        and not in_progress(clock_of(table, game.steps))
                    ):
                        raise Refusal("not_running", "The round is not running.")
                    events = round_action(session, table_id, action, minutes, now)
                    code = None
                except Refusal as refusal:
                    session.rollback()
                    events, code = [], refusal.code
                table = session.get(WorkshopTable, table_id)
                assert table is not None
                return events, code, clock_of(table, game.steps)

        async with locks(table_id):
            events, code, clock = await asyncio.to_thread(act)
            await publish(hub, table_id, workshop.id, events)
        results.append(
            TableResult(
                number=number, ok=code is None, status=clock.status, round=clock.number, code=code
            )
        )
    return results
