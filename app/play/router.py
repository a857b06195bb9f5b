"""Participant routes: the join page behind each QR code, taking a role, the table page."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from app.api_errors import errors
from app.deps import FormGuard, HubDep, PagesDep, RowNumber, SessionDep, SettingsDep
from app.game.format import Format
from app.game.refusal import Refusal
from app.game.roles import MAX_NAME_LENGTH, parse_role
from app.play.service import (
    TableContext,
    check_open,
    find_table,
    leave_seat,
    members,
    seat_of_device,
    take_seat,
)
from app.realtime.protocol import Event
from app.realtime.table_feed import publish, table_state
from app.settings import Settings
from app.tables.pictures import svg_response
from app.tables.service import current_record, kept_picture, member_event
from app.tokens import format_join_code, new_token, normalise_join_code
from app.web import LANGUAGE_COOKIE, request_language, translate
from app.workshops.frozen import workshop_deck, workshop_format, workshop_script
from app.workshops.retention import deletion_date

router = APIRouter()

DEVICE_COOKIE = "ks_device"
ONE_YEAR = 365 * 24 * 3600


def set_device_cookie(response: Response, token: str, settings: Settings) -> None:
    response.set_cookie(
        DEVICE_COOKIE,
        token,
        max_age=ONE_YEAR,
        httponly=True,
        samesite="lax",
        secure=(settings.public_url or "").startswith("https://"),
    )


def _remember_language(request: Request, response: Response) -> None:
    chosen = request.query_params.get("lang")
    if chosen in ("nl", "en"):
        response.set_cookie(LANGUAGE_COOKIE, chosen, max_age=ONE_YEAR, samesite="lax")


def _join_context(context: TableContext, session: Session, game: Format) -> dict[str, object]:
    held = [m.role for m in members(session, context.table)]
    return {
        "table": context.table,
        "workshop": context.workshop,
        "members": members(session, context.table),
        "game": game,
        # Roles whose seats are all held (everyone else can always observe).
        "taken": {
            role.id
            for role in game.roles
            if role.seats is not None and held.count(role.id) >= role.seats
        },
        "max_name": MAX_NAME_LENGTH,
        "code": format_join_code(context.table.join_code),
        "delete_on": deletion_date(context.workshop),
    }


async def _members_changed(request: Request, context: TableContext) -> None:
    """Tell the table and the dashboard who sits where now (the change is committed)."""
    table_id = context.table.id
    assert table_id is not None
    state = request.app.state

    def event() -> Event:
        with Session(state.engine) as session:
            return member_event(session, table_id)

    async with state.table_locks(table_id):
        await publish(state.hub, table_id, context.workshop.id, [await asyncio.to_thread(event)])


@router.get("/j", response_class=HTMLResponse, include_in_schema=False, response_model=None)
def join_by_code(request: Request, pages: PagesDep, code: str = "") -> Response:
    """For people who type the code from the table card instead of scanning it."""
    if code:
        return RedirectResponse(f"/j/{normalise_join_code(code)[:20]}", status_code=303)
    return pages.render(request, "join_code.html", {}, request_language(request))


@router.get("/j/{code}", response_class=HTMLResponse, include_in_schema=False, response_model=None)
def join_page(code: str, request: Request, session: SessionDep, pages: PagesDep) -> Response:
    context = find_table(session, code)
    language = request_language(request, context.workshop.language)
    check_open(context.workshop)
    if seat_of_device(
        session, context.table, request.cookies.get(DEVICE_COOKIE)
    ) and not request.query_params.get("change"):
        response: Response = RedirectResponse(f"/t/{context.table.join_code}", status_code=303)
    else:
        response = pages.render(
            request,
            "join.html",
            _join_context(context, session, workshop_format(session, context.workshop))
            | {"error": None},
            language,
        )
    _remember_language(request, response)
    return response


@router.post("/j/{code}", include_in_schema=False, response_model=None, dependencies=FormGuard)
async def join_submit(
    code: str,
    request: Request,
    session: SessionDep,
    pages: PagesDep,
    hub: HubDep,
    settings: SettingsDep,
    role: Annotated[str, Form()] = "",
    name: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    context = find_table(session, code)
    language = request_language(request, context.workshop.language)
    token = request.cookies.get(DEVICE_COOKIE) or ""
    if not token or len(token) > 100:
        token = new_token()
    game = workshop_format(session, context.workshop)
    try:
        await asyncio.to_thread(
            take_seat, session, context, token, parse_role(role, game), name, game
        )
    except Refusal as refusal:
        if refusal.code == "workshop_finished":
            raise
        error = translate(language, refusal.message, refusal.params)
        values = _join_context(context, session, game) | {"error": error, "name_value": name}
        return pages.render(request, "join.html", values, language, status_code=refusal.status)
    await _members_changed(request, context)
    response = RedirectResponse(f"/t/{context.table.join_code}", status_code=303)
    set_device_cookie(response, token, settings)
    return response


@router.post("/t/{code}/leave", include_in_schema=False, dependencies=FormGuard)
async def leave(code: str, request: Request, session: SessionDep, hub: HubDep) -> RedirectResponse:
    context = find_table(session, code)
    await asyncio.to_thread(leave_seat, session, context, request.cookies.get(DEVICE_COOKIE))
    await _members_changed(request, context)
    return RedirectResponse(f"/j/{context.table.join_code}", status_code=303)


@router.get("/t/{code}", response_class=HTMLResponse, include_in_schema=False, response_model=None)
def table_page(code: str, request: Request, session: SessionDep, pages: PagesDep) -> Response:
    context = find_table(session, code)
    language = request_language(request, context.workshop.language)
    seat = seat_of_device(session, context.table, request.cookies.get(DEVICE_COOKIE))
    if seat is None:
        return RedirectResponse(f"/j/{context.table.join_code}", status_code=303)
    game = workshop_format(session, context.workshop)
    role = seat.role
    # The record's writers get it in the page; everyone else waits for the snapshot.
    notes, board = (
        current_record(session, context.table, game)
        if game.notes_of(role) or game.may_explain(role)
        else (dict.fromkeys(game.note_ids, ""), ())
    )
    response = pages.render(
        request,
        "play.html",
        _join_context(context, session, game)
        | {
            "seat": seat,
            "you": game.role(role),
            "notes": notes,
            "board": board,
            # The phone's own language for the cards and the script, as for the interface.
            "deck": workshop_deck(session, context.workshop, language),
            "script": workshop_script(session, context.workshop, language),
        },
        language,
    )
    _remember_language(request, response)
    return response


class SeatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: str = Field(max_length=32, description="one of the format's roles, e.g. observer")
    name: str = Field("", max_length=MAX_NAME_LENGTH)


class SeatOut(BaseModel):
    id: int = Field(description="the seat's id, as member lists and events name it")
    role: str
    name: str
    table: int
    table_url: str


@router.get("/api/tables/{code}", tags=["tables"], responses=errors(404, 410, 429))
def api_table(code: str, request: Request, session: SessionDep) -> dict[str, object]:
    """Who sits at a table and which roles are free (what the join page shows)."""
    context = find_table(session, code)
    return table_state(session, context, workshop_format(session, context.workshop))


@router.post(
    "/api/tables/{code}/seat",
    tags=["tables"],
    status_code=201,
    responses=errors(400, 404, 409, 410, 422, 429),
)
async def api_take_seat(
    code: str,
    body: SeatRequest,
    request: Request,
    response: Response,
    session: SessionDep,
    hub: HubDep,
    settings: SettingsDep,
) -> SeatOut:
    """Take (or change) this device's role at a table. The device cookie brings it back later."""
    context = find_table(session, code)
    token = request.cookies.get(DEVICE_COOKIE) or ""
    if not token or len(token) > 100:
        token = new_token()
    game = workshop_format(session, context.workshop)
    role = parse_role(body.role, game)
    seat = await asyncio.to_thread(take_seat, session, context, token, role, body.name, game)
    await _members_changed(request, context)
    set_device_cookie(response, token, settings)
    assert seat.id is not None
    return SeatOut(
        id=seat.id,
        role=seat.role,
        name=seat.display_name,
        table=context.table.number,
        table_url=f"/t/{context.table.join_code}",
    )


class CardOut(BaseModel):
    id: str = Field(description="what commands and placements call it, e.g. A1-2")
    factor: str = Field(description="the factor it shows; a deck has `copies` cards of each")
    category: str = Field(description="the category's code; empty for the blank card")
    title: str
    subtitle: str
    blank: bool = Field(description="the 'other, namely …' card: a `name` command names it")


class CategoryOut(BaseModel):
    code: str
    title: str


class DeckOut(BaseModel):
    id: str
    language: str
    title: str
    credit: str
    copies: int = Field(description="cards per factor: one factor may lie on both sides")
    categories: list[CategoryOut]
    cards: list[CardOut] = Field(description="every card; the hand is those not on the board")


@router.get("/api/tables/{code}/deck", tags=["tables"], responses=errors(404, 429))
def api_deck(code: str, request: Request, session: SessionDep) -> DeckOut:
    """The table's cards, in the phone's language (`?lang=nl|en`, else the workshop's).

    Not in the websocket snapshot: the deck never changes during a workshop, and the snapshot
    is sent again on every reconnect over the venue's Wi-Fi."""
    context = find_table(session, code)
    deck = workshop_deck(
        session, context.workshop, request_language(request, context.workshop.language)
    )
    factors = {factor.code: factor for factor in deck.factors()}
    return DeckOut(
        id=deck.id,
        language=deck.language,
        title=deck.title,
        credit=deck.credit,
        copies=deck.copies,
        categories=[CategoryOut(code=c.code, title=c.title) for c in deck.categories],
        cards=[
            CardOut(
                id=card.id,
                factor=card.factor_code,
                category=factors[card.factor_code].category,
                title=factors[card.factor_code].title,
                subtitle=factors[card.factor_code].subtitle,
                blank=factors[card.factor_code].blank,
            )
            for card in deck.cards()
        ],
    )


@router.get("/t/{code}/rounds/{round_number}.svg", include_in_schema=False)
def round_picture(
    code: str, round_number: RowNumber, request: Request, session: SessionDep
) -> Response:
    """The board of a finished round as a picture, for the phones at that table."""
    context = find_table(session, code)
    if seat_of_device(session, context.table, request.cookies.get(DEVICE_COOKIE)) is None:
        raise Refusal("no_seat", "Take a seat at this table first.", status=403)
    return svg_response(
        kept_picture(
            session, context.table, round_number, workshop_format(session, context.workshop)
        )
    )
