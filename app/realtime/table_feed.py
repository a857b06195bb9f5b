"""Publishing a table's events to the phones at it and to the facilitator's dashboard."""

from __future__ import annotations

import re
from collections.abc import Iterable

from pydantic import BaseModel
from sqlmodel import Session

from app.game.format import Format
from app.play.service import TableContext, members
from app.realtime import protocol as p
from app.realtime.hub import Hub

# p.dump writes the type first and the seq second: enough to read the seq without parsing.
_SEQ = re.compile(r'\{"type":"(?:event|snapshot)","seq":(\d+),')


def message_seq(message: str) -> int | None:
    """The seq of a table's event or snapshot as sent, None for any other message."""
    match = _SEQ.match(message)
    return int(match.group(1)) if match else None


def table_channel(table_id: int | None) -> str:
    return f"table:{table_id}"


def workshop_channel(workshop_id: str) -> str:
    return f"workshop:{workshop_id}"


def table_state(session: Session, context: TableContext, game: Format) -> dict[str, object]:
    """Who sits where, for the join page and its API twin."""
    seated = members(session, context.table)
    held = [m.role for m in seated]
    return {
        "table": context.table.number,
        "workshop": context.workshop.title,
        "status": context.workshop.status,
        "members": [{"id": m.seat_id, "role": m.role, "name": m.name} for m in seated],
        # Roles with a number of seats, while one is free; everyone else can always observe.
        "free_roles": [
            role.id
            for role in game.roles
            if role.seats is not None and held.count(role.id) < role.seats
        ],
    }


async def publish(hub: Hub, table_id: int, workshop_id: str, events: Iterable[p.Event]) -> None:
    """Send committed events, in order, to the table's phones and the workshop's dashboard."""
    for event in events:
        await hub.publish(table_channel(table_id), p.dump(event))
        await hub.publish(workshop_channel(workshop_id), dashboard_event(event, table_id))


def dashboard_event(event: p.Event, table_id: int) -> str:
    """The event as the facilitator's dashboard gets it: which table, and for a board only the
    cards left and right. The dashboard hears every table's every move; a whole board each
    time would be ten times the bytes on the venue's Wi-Fi, for two numbers."""
    if isinstance(event, p.BoardEvent):
        stimulating = sum(1 for pl in event.board if pl.side == "stimulating")
        return p.DashboardBoardEvent(
            seq=event.seq,
            by=event.by,
            command=event.command,
            locked=event.locked,
            table_id=table_id,
            stimulating=stimulating,
            hindering=len(event.board) - stimulating,
        ).model_dump_json()
    wrapped = _DASHBOARD_KIND[type(event)]
    return wrapped(**event.__dict__, table_id=table_id).model_dump_json()


_DASHBOARD_KIND: dict[type[BaseModel], type[BaseModel]] = {
    p.NoteEvent: p.DashboardNoteEvent,
    p.RoundEvent: p.DashboardRoundEvent,
    p.MembersEvent: p.DashboardMembersEvent,
}
