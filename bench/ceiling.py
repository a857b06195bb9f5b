"""The ceiling: the least a server on Kaartspel's stack must do for the same load.

FastAPI websockets on uvicorn (the same server, loop and websocket implementation as
`python -m app`), everything in memory: no database, no validation, no rules, no pydantic.
Each message from a phone is parsed, answered with an `ack`, and broadcast as an `event` with
the table's next `seq` to every phone at the table and to the workshop's dashboard. The event
carries the table's whole board, as the real one does, kept as a dict without any checks,
so the bytes on the wire are about the same. Like the real server, each socket has its own
queue and writer task, so one slow phone never holds up the others.

It speaks just enough of the HTTP API for bench/load.py: create and delete a workshop, take a
seat, start a round (a no-op), /healthz.

    python bench/ceiling.py --port 8100
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request, Response, WebSocket, WebSocketDisconnect

QUEUE_LIMIT = 256
ZONE_ORDER = {
    ("stimulating", "limited"): 0,
    ("stimulating", "large"): 1,
    ("hindering", "limited"): 2,
    ("hindering", "large"): 3,
}


@dataclass
class Table:
    table_id: int
    number: int
    code: str
    workshop_id: str
    seq: int = 0
    board: dict[str, dict[str, Any]] = field(default_factory=dict)
    sockets: set[asyncio.Queue[str]] = field(default_factory=set)
    seats: dict[str, tuple[int, str]] = field(default_factory=dict)  # device -> (seat, role)


@dataclass
class Workshop:
    id: str
    token: str
    tables: list[Table]
    dashboards: set[asyncio.Queue[str]] = field(default_factory=set)


app = FastAPI()
TABLES: dict[str, Table] = {}
WORKSHOPS: dict[str, Workshop] = {}
SEATS = iter(range(1, 10**9))


def offer(queue: asyncio.Queue[str], message: str) -> None:
    try:
        queue.put_nowait(message)
    except asyncio.QueueFull:  # the real server sends a fresh snapshot then; here: drop
        while not queue.empty():
            queue.get_nowait()


def board_list(table: Table) -> list[dict[str, Any]]:
    placed = sorted(
        table.board.values(),
        key=lambda p: (ZONE_ORDER.get((p["side"], p["extent"]), 9), p["position"]),
    )
    return placed


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok", "target": "ceiling"}


@app.post("/api/workshops", status_code=201)
async def create_workshop(request: Request) -> dict[str, Any]:
    body = await request.json()
    workshop = Workshop(id=secrets.token_hex(8), token=secrets.token_urlsafe(16), tables=[])
    for number in range(1, int(body.get("tables", 12)) + 1):
        table = Table(
            table_id=len(TABLES) + 1,
            number=number,
            code=secrets.token_hex(4).upper(),
            workshop_id=workshop.id,
        )
        TABLES[table.code] = table
        workshop.tables.append(table)
    WORKSHOPS[workshop.id] = workshop
    base = str(request.base_url).rstrip("/")
    return {
        "id": workshop.id,
        "facilitator_url": f"{base}/f/{workshop.token}",
        "tables": [{"number": t.number, "join_code": t.code} for t in workshop.tables],
    }


@app.post("/api/tables/{code}/seat", status_code=201)
async def take_seat(code: str, request: Request, response: Response) -> dict[str, Any]:
    body = await request.json()
    table = TABLES[code]
    device = request.cookies.get("ks_device") or secrets.token_urlsafe(16)
    table.seats[device] = (next(SEATS), body["role"])
    response.set_cookie("ks_device", device, httponly=True, samesite="lax")
    return {"role": body["role"], "table": table.number, "table_url": f"/t/{code}"}


@app.delete("/api/workshops/{workshop_id}", status_code=204)
async def delete_workshop(workshop_id: str) -> Response:
    for table in WORKSHOPS.pop(workshop_id).tables:
        del TABLES[table.code]
    return Response(status_code=204)


@app.post("/api/workshops/{workshop_id}/rounds/{action}")
async def round_action(workshop_id: str, action: str) -> list[dict[str, Any]]:
    return [{"table": t.number, "ok": True} for t in WORKSHOPS[workshop_id].tables]


async def pump(websocket: WebSocket, queue: asyncio.Queue[str], reader: Any) -> None:
    async def writer() -> None:
        while True:
            await websocket.send_text(await queue.get())

    tasks = [asyncio.create_task(reader()), asyncio.create_task(writer())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    finally:
        for task in tasks:
            task.cancel()


@app.websocket("/ws/tables/{code}")
async def table_socket(websocket: WebSocket, code: str) -> None:
    table = TABLES.get(code)
    seat = table.seats.get(websocket.cookies.get("ks_device", "")) if table else None
    if table is None or seat is None:
        await websocket.close(4404 if table is None else 4403)
        return
    workshop = WORKSHOPS[table.workshop_id]
    seat_id, role = seat
    await websocket.accept()
    queue: asyncio.Queue[str] = asyncio.Queue(QUEUE_LIMIT)
    snapshot = {
        "type": "snapshot",
        "seq": table.seq,
        "table": {"number": table.number, "code": table.code},
        "you": {"id": seat_id, "role": role, "name": role},
        "board": board_list(table),
    }
    queue.put_nowait(json.dumps(snapshot))

    async def reader() -> None:
        while True:
            try:
                message = json.loads(await websocket.receive_text())
            except WebSocketDisconnect:
                return
            kind = message.get("type")
            if kind == "ping":
                offer(queue, '{"type":"pong"}')
                continue
            if kind == "resync":
                snapshot["seq"], snapshot["board"] = table.seq, board_list(table)
                offer(queue, json.dumps(snapshot))
                continue
            card = str(message.get("card", ""))
            if kind == "place":
                table.board[card] = {
                    "card": card,
                    "factor": card.rsplit("-", 1)[0],
                    "side": message.get("side"),
                    "extent": message.get("extent"),
                    "position": message.get("position", 0),
                    "explanation": "",
                    "custom_name": "",
                }
            elif kind == "return":
                table.board.pop(card, None)
            table.seq += 1
            offer(queue, json.dumps({"type": "ack", "id": message.get("id"), "seq": table.seq}))
            head = {
                "type": "event",
                "seq": table.seq,
                "kind": "board",
                "by": seat_id,
                "command": kind,
                "locked": False,
            }
            board = board_list(table)
            event = json.dumps(head | {"board": board}, separators=(",", ":"))
            for other in tuple(table.sockets):
                offer(other, event)
            # As the app does: the dashboard gets the counts left and right, not the board.
            left = sum(1 for placed in board if placed["side"] == "stimulating")
            counts = {
                "table_id": table.table_id,
                "stimulating": left,
                "hindering": len(board) - left,
            }
            dashboard_event = json.dumps(head | counts, separators=(",", ":"))
            for dashboard in tuple(workshop.dashboards):
                offer(dashboard, dashboard_event)

    table.sockets.add(queue)
    try:
        await pump(websocket, queue, reader)
    finally:
        table.sockets.discard(queue)


@app.websocket("/ws/workshops/{workshop_id}")
async def dashboard_socket(websocket: WebSocket, workshop_id: str) -> None:
    workshop = WORKSHOPS.get(workshop_id)
    if workshop is None or websocket.query_params.get("key") != workshop.token:
        await websocket.close(4403)
        return
    await websocket.accept()
    queue: asyncio.Queue[str] = asyncio.Queue(QUEUE_LIMIT)
    tables = [{"table_id": t.table_id, "number": t.number, "seq": t.seq} for t in workshop.tables]
    queue.put_nowait(json.dumps({"type": "dashboard", "tables": tables}))

    async def reader() -> None:
        while True:
            try:
                await websocket.receive_text()
            except WebSocketDisconnect:
                return

    workshop.dashboards.add(queue)
    try:
        await pump(websocket, queue, reader)
    finally:
        workshop.dashboards.discard(queue)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    args = parser.parse_args()
    # The same uvicorn defaults as `python -m app`: uvloop, httptools, websockets, if present.
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
