"""The table websocket: a snapshot on connect, then every change as it happens."""

from __future__ import annotations

import asyncio
import json

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from sqlmodel import Session

from app.game.refusal import Refusal
from app.play.router import DEVICE_COOKIE
from app.play.service import find_table, seat_of_device
from app.realtime.hub import RESYNC, Hub
from app.realtime.table_feed import channel, table_state

router = APIRouter()

# Close codes in the 4000 range are ours to define (RFC 6455); phones read them.
CLOSE_UNKNOWN_TABLE = 4404
CLOSE_NO_SEAT = 4403


@router.websocket("/ws/tables/{code}")
async def table_socket(websocket: WebSocket, code: str) -> None:
    engine = websocket.app.state.engine
    hub: Hub = websocket.app.state.hub
    with Session(engine) as session:
        try:
            context = find_table(session, code)
        except Refusal:
            await websocket.close(CLOSE_UNKNOWN_TABLE)
            return
        if seat_of_device(session, context.table, websocket.cookies.get(DEVICE_COOKIE)) is None:
            await websocket.close(CLOSE_NO_SEAT)
            return
    await websocket.accept()
    async with hub.subscribe(channel(context.table.id)) as subscription:
        with Session(engine) as session:
            await websocket.send_text(
                json.dumps({"type": "snapshot", **table_state(session, context)})
            )
        receiver = asyncio.create_task(_drain(websocket))
        try:
            while not receiver.done():
                getter = asyncio.create_task(subscription.get())
                done, _ = await asyncio.wait(
                    {getter, receiver}, return_when=asyncio.FIRST_COMPLETED
                )
                if getter not in done:
                    getter.cancel()
                    break
                message = getter.result()
                if message == RESYNC:
                    with Session(engine) as session:
                        message = json.dumps({"type": "snapshot", **table_state(session, context)})
                await websocket.send_text(message)
        except WebSocketDisconnect:
            pass
        finally:
            receiver.cancel()


async def _drain(websocket: WebSocket) -> None:
    """Read until the phone goes away (commands arrive with the live board)."""
    try:
        while True:
            await websocket.receive_text()
    except WebSocketDisconnect:
        return
