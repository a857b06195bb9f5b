"""The table websocket: a snapshot on connect, commands in, acks and events out.

One reader task handles the phone's messages; one writer sends everything queued for this
socket (its own replies and the table's events), so a slow phone never holds up the others.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from app.game.format import Format
from app.game.refusal import Refusal
from app.i18n import N_
from app.models import Seat
from app.play.router import DEVICE_COOKIE
from app.play.service import find_table, seat_of_device
from app.realtime import protocol as p
from app.realtime.hub import RESYNC, Hub, Subscription
from app.realtime.hub.sockets import Sockets
from app.realtime.table_feed import message_seq, publish, table_channel, workshop_channel
from app.security import KeyedLimiter, client_key, same_origin
from app.tables.live_state import LiveTables, SeatGone
from app.tables.locks import TableLocks
from app.tables.presence import connected_seats, mark_connected, mark_gone
from app.tables.service import dashboard_tables, now_ms, snapshot
from app.web import translate
from app.workshops.frozen import workshop_deck, workshop_format
from app.workshops.retention import is_expired
from app.workshops.service import tables_of, workshop_for_token

router = APIRouter()
logger = logging.getLogger(__name__)

# Close codes in the 4000 range are ours to define (RFC 6455); phones read them.
CLOSE_UNKNOWN_TABLE = 4404
CLOSE_NO_SEAT = 4403
CLOSE_POLICY = 1008  # RFC 6455: a message that violates policy (foreign origin, flooding)
# A person taps a few times a second; a runaway script does not get to fill the event log.
COMMANDS_PER_SECOND = 10
COMMAND_BURST = 30
REFUSALS_BEFORE_CLOSE = 200


def _error(
    language: str,
    command_id: str | None,
    code: str,
    message: str,
    params: dict[str, Any] | None = None,
    retry: bool = False,
) -> str:
    return p.dump(
        p.Error(id=command_id, code=code, message=translate(language, message, params), retry=retry)
    )


@router.websocket("/ws/tables/{code}")
async def table_socket(websocket: WebSocket, code: str) -> None:
    engine = websocket.app.state.engine
    hub: Hub = websocket.app.state.hub
    locks: TableLocks = websocket.app.state.table_locks
    live: LiveTables = websocket.app.state.live_tables
    sockets: Sockets = websocket.app.state.sockets
    if not same_origin(websocket, websocket.app.state.settings.public_url):
        await refuse(websocket, CLOSE_POLICY)
        return
    with Session(engine) as session:
        try:
            context = find_table(session, code)
        except Refusal as refusal:
            # Only an unknown code is a guess (as for HTTP, main.py): a workshop past its
            # deletion date was reached with a real code, by a phone that may retry for long.
            if refusal.code == "unknown_table":
                await websocket.app.state.join_guard.failed(client_key(websocket))
            await refuse(websocket, CLOSE_UNKNOWN_TABLE)
            return
        seat = seat_of_device(session, context.table, websocket.cookies.get(DEVICE_COOKIE))
        if seat is None or seat.id is None:
            await refuse(websocket, CLOSE_NO_SEAT)
            return
        seat_id: int = seat.id
        # The card ids a phone may lay: from the workshop's own copy (cached per workshop).
        deck = workshop_deck(session, context.workshop)
        game = workshop_format(session, context.workshop)
    table_id, workshop = context.table.id, context.workshop
    assert table_id is not None
    language = workshop.language
    await websocket.accept()

    def fresh_snapshot() -> str:
        with Session(engine) as session:
            table = session.get(type(context.table), table_id)
            current_seat = session.get(Seat, seat.id)
            if table is None or current_seat is None:
                raise WebSocketDisconnect(CLOSE_NO_SEAT)
            return p.dump(snapshot(session, table, workshop, current_seat, game))

    # One allowance per seat, whatever number of sockets it opens (in this process).
    commands: KeyedLimiter = websocket.app.state.seat_commands
    refused = 0

    async def handle(raw: str, outbox: Subscription) -> None:
        nonlocal refused
        if not commands.take(str(seat_id)):
            refused += 1
            if refused > REFUSALS_BEFORE_CLOSE:
                raise WebSocketDisconnect(CLOSE_POLICY)
            outbox.offer(
                _error(language, _id_of(raw), "too_fast", "Slow down a little.", retry=True)
            )
            return
        message = _parse(raw, p.CLIENT_MESSAGE, language, game)
        if isinstance(message, str):  # not understood: the error to send
            outbox.offer(message)
            return
        if isinstance(message, p.Ping):
            outbox.offer(p.dump(p.Pong()))
            if await _presence(engine, lambda s: mark_connected(s, seat_id, now_ms())):
                await presence_changed()
            return
        if isinstance(message, p.Resync):
            outbox.offer_first(await asyncio.to_thread(fresh_snapshot))
            return

        async with locks(table_id):
            try:
                outcome = await live.submit(table_id, seat_id, message, deck, game)
            except SeatGone:
                raise WebSocketDisconnect(CLOSE_NO_SEAT) from None
            except Refusal as refusal:
                outbox.offer(
                    _error(
                        language,
                        message.id,
                        refusal.code,
                        refusal.message,
                        refusal.params,
                        retry=refusal.code == "conflict",
                    )
                )
                return
            outbox.offer(p.dump(outcome.reply))
            await publish(hub, table_id, workshop.id, outcome.events)

    async def on_text(raw: str, outbox: Subscription) -> None:
        try:
            await handle(raw, outbox)
        except WebSocketDisconnect:  # the seat is gone: pump() closes with 4403
            raise
        except OperationalError:
            # The database is busy (locked): nothing was applied; the phone may resend.
            outbox.offer(
                _error(
                    language, _id_of(raw), "busy", "The table is busy. Trying again…", retry=True
                )
            )
        except Exception:
            logger.exception("command failed on table %s", table_id)
            outbox.offer(
                _error(
                    language,
                    _id_of(raw),
                    "server_error",
                    "Something went wrong on the server. Trying again…",
                    retry=True,
                )
            )

    async def presence_changed() -> None:
        def online_now() -> list[int]:
            with Session(engine) as session:
                return connected_seats(session, table_id, now_ms())

        try:
            online = await asyncio.to_thread(online_now)
        except OperationalError:  # presence is a nicety: a busy database skips one update
            return
        message = p.Presence(table_id=table_id, online=online)
        await hub.publish(workshop_channel(workshop.id), p.dump(message))

    async with hub.subscribe(table_channel(table_id)) as subscription:
        ticket = await sockets.open(seat_id, client_key(websocket))
        if ticket.refused:  # too many sockets for this seat or this address
            await websocket.close(ticket.refused)
            return
        try:
            first = await asyncio.to_thread(fresh_snapshot)
            subscription.offer_first(first)  # events may have come in while it was read
            await hub.announce(table_channel(table_id), message_seq(first) or 0)
            await _presence(engine, lambda s: mark_connected(s, seat_id, now_ms(), force=True))
            await presence_changed()
            await pump(websocket, subscription, on_text, fresh_snapshot)
        finally:

            async def gone() -> None:
                # Away only when the seat's last socket closes, in whichever process it was.
                if await sockets.close(ticket) == 0:
                    await _presence(engine, lambda s: mark_gone(s, seat_id))
                await presence_changed()

            # Shielded: a server cancelling this task as the phone leaves still records it.
            await asyncio.shield(gone())


# Pydantic's own words are English and technical; phones get ours, in their language.
_PROBLEMS = {
    "missing": N_("missing"),
    "extra_forbidden": N_("not allowed here"),
    "string_too_long": N_("too long"),
    "string_too_short": N_("too short"),
    "string_pattern_mismatch": N_("not in the expected form"),
    "literal_error": N_("not one of the allowed values"),
    "union_tag_invalid": N_("not a known message type"),
    "union_tag_not_found": N_("a message needs a type"),
    "greater_than_equal": N_("too small"),
    "less_than_equal": N_("too large"),
}


def _problem(kind: str) -> str:
    return _PROBLEMS.get(kind, N_("the wrong kind of value"))


def _parse(raw: str, adapter: TypeAdapter[Any], language: str, game: Format | None = None) -> Any:
    """The message `raw` holds, validated by `adapter` (against the table's format, where it
    has one); or, if it is not one, the error to send."""
    if len(raw.encode("utf-8")) > p.MAX_MESSAGE_BYTES:
        return _error(language, None, "too_large", "This message is too large.")
    try:
        data = json.loads(raw)
    except ValueError:
        return _error(language, None, "bad_json", "This message is not valid JSON.")
    command_id = (
        data.get("id") if isinstance(data, dict) and isinstance(data.get("id"), str) else None
    )
    try:
        return adapter.validate_python(data, context={"format": game})
    except ValidationError as invalid:
        first = invalid.errors()[0]
        # Past a documented limit, a code of its own: a client can tell the person what to fix.
        if first["loc"][-1:] == ("position",):
            return _error(
                language,
                command_id,
                "bad_position",
                "That place on the board does not exist (positions are %(low)s to %(high)s).",
                {"low": 0, "high": p.MAX_POSITION},
            )
        if first["loc"][-1:] == ("text",) and first["type"] == "string_too_long":
            return _error(
                language,
                command_id,
                "text_too_long",
                "This text is too long (at most %(max)s characters).",
                {"max": first.get("ctx", {}).get("max_length")},
            )
        where = ".".join(str(part) for part in first["loc"])
        return _error(
            language,
            command_id,
            "invalid",
            "This message is not valid (%(where)s: %(problem)s).",
            {"where": where, "problem": translate(language, _problem(first["type"]))},
        )


async def refuse(websocket: WebSocket, code: int) -> None:
    """Close with `code` after accepting: a close before the handshake is an HTTP 403, and a
    browser then sees 1006 for every reason alike. Accepted, the client reads the code."""
    await websocket.accept()
    await websocket.close(code)


async def _presence(engine: Engine, mark: Callable[[Session], bool | None]) -> bool:
    """Record presence on a worker thread; a busy database skips it (the next ping retries)."""

    def work() -> bool:
        with Session(engine) as session:
            return bool(mark(session))

    try:
        return await asyncio.to_thread(work)
    except OperationalError:
        logger.info("presence not recorded: the database is busy")
        return False


def _id_of(raw: str) -> str | None:
    """The command id of a message we won't read in full, so the phone can match the error."""
    if len(raw) > p.MAX_MESSAGE_BYTES:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    found = data.get("id") if isinstance(data, dict) else None
    return found if isinstance(found, str) and len(found) <= 64 else None


async def _receive_text(websocket: WebSocket) -> str:
    frame = await websocket.receive()
    if frame["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(frame.get("code", 1000))
    text = frame.get("text")
    if text is None:  # a binary frame: read it as text, and let validation refuse it
        text = (frame.get("bytes") or b"").decode("utf-8", errors="replace")
    return str(text)


async def pump(
    websocket: WebSocket,
    subscription: Subscription,
    on_text: Callable[[str, Subscription], Awaitable[None]],
    snapshot_now: Callable[[], str],
) -> None:
    """Read the client's messages and write everything queued for it, until either side stops."""

    async def reader() -> None:
        while True:
            await on_text(await _receive_text(websocket), subscription)

    async def writer() -> None:
        while True:
            message = await subscription.get()
            if message == RESYNC:  # we fell behind: a snapshot replaces what was dropped
                # Read on a worker thread: a dashboard's snapshot reads every table, and the
                # loop meanwhile serves everyone else (their events are what it fell behind on).
                message = await asyncio.to_thread(snapshot_now)
            await websocket.send_text(message)

    tasks = [asyncio.create_task(reader()), asyncio.create_task(writer())]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            error = task.exception()
            if isinstance(error, WebSocketDisconnect) and error.code in (
                CLOSE_NO_SEAT,
                CLOSE_POLICY,
            ):
                await websocket.close(error.code)
    except WebSocketDisconnect:
        pass
    finally:
        for task in tasks:
            task.cancel()


@router.websocket("/ws/workshops/{workshop_id}")
async def dashboard_socket(websocket: WebSocket, workshop_id: str) -> None:
    """The facilitator's live view of every table (read-only; rounds are controlled over HTTP)."""
    engine = websocket.app.state.engine
    hub: Hub = websocket.app.state.hub
    if not same_origin(websocket, websocket.app.state.settings.public_url):
        await refuse(websocket, CLOSE_POLICY)
        return
    with Session(engine) as session:
        workshop = workshop_for_token(session, websocket.query_params.get("key", ""))
        if workshop is None or workshop.id != workshop_id or is_expired(workshop):
            await refuse(websocket, CLOSE_NO_SEAT)
            return
        game = workshop_format(session, workshop)
    language = workshop.language

    def dashboard_snapshot() -> str:
        with Session(engine) as session:
            assert workshop is not None
            tables = dashboard_tables(session, tables_of(session, workshop), game)
        return p.dump(p.Dashboard(tables=tables))

    async def on_text(raw: str, outbox: Subscription) -> None:
        message = _parse(raw, p.DASHBOARD_CLIENT_MESSAGE, language)
        if isinstance(message, str):  # not understood: the error to send
            outbox.offer(message)
        elif isinstance(message, p.Ping):
            outbox.offer(p.dump(p.Pong()))
        else:
            outbox.offer(await asyncio.to_thread(dashboard_snapshot))

    await websocket.accept()
    async with hub.subscribe(workshop_channel(workshop.id)) as subscription:
        subscription.offer(await asyncio.to_thread(dashboard_snapshot))
        await pump(websocket, subscription, on_text, dashboard_snapshot)
