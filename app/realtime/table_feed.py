"""What a table looks like to the phones at it, and telling them when it changes."""

from __future__ import annotations

import json

from sqlmodel import Session

from app.game.roles import SINGLE_ROLES
from app.play.service import TableContext, members
from app.realtime.hub import Hub


def channel(table_id: int | None) -> str:
    return f"table:{table_id}"


def table_state(session: Session, context: TableContext) -> dict[str, object]:
    held = members(session, context.table)
    taken = {m.role for m in held}
    return {
        "table": context.table.number,
        "workshop": context.workshop.title,
        "status": context.workshop.status,
        "members": [{"id": m.seat_id, "role": m.role.value, "name": m.name} for m in held],
        "free_roles": [role.value for role in SINGLE_ROLES if role not in taken],
    }


async def publish_members(hub: Hub, session: Session, context: TableContext) -> None:
    message = {"type": "members", **table_state(session, context)}
    await hub.publish(channel(context.table.id), json.dumps(message))
