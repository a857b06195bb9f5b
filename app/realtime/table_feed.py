"""Publishing a table's events to the phones at it and to the facilitator's dashboard."""

from __future__ import annotations

import re
from collections.abc import Iterable

from pydantic import BaseModel
from sqlmodel import Session

from app.game.roles import SINGLE_ROLES
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


def table_state(session: Session, context: TableContext) -> dict[str, object]:
    """Who sits where, for the join page and its API twin."""
    held = members(session, context.table)
    taken = {m.role for m in held}
    return {
        "table": context.table.number,
        "workshop": context.workshop.title,
        "status": context.workshop.status,
        "members": [{"id": m.seat_id, "role": m.role.value, "name": m.name} for m in held],
        "free_roles": [role.value for role in SINGLE_ROLES if role not in taken],
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
