"""Facilitator routes: the start form, the workshop page, table cards, QR codes, and their API."""

from __future__ import annotations

import datetime as dt
import hmac
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Header, Request, Response, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import Session, select

from app.api_errors import errors
from app.deck import LANGUAGES, DeckError, Library, deck_data
from app.deck_files import MAX_CARDS, MAX_FILE_BYTES, deck_yaml
from app.deps import (
    CreationLimit,
    FormGuard,
    HubDep,
    LibraryDep,
    LiveTablesDep,
    PagesDep,
    RowNumber,
    SessionDep,
    SettingsDep,
)
from app.game.refusal import Refusal
from app.models import Workshop, WorkshopTable
from app.network import phone_reachability
from app.play.service import find_table
from app.qr import qr_png, qr_svg
from app.settings import Settings
from app.tables.control import TableResult, control_rounds
from app.tables.pictures import svg_response
from app.tables.service import kept_picture
from app.tokens import format_join_code
from app.web import base_url, request_language
from app.workshops.frozen import workshop_deck, workshop_format, workshop_kit
from app.workshops.own_deck import OwnDeck, read_own_deck
from app.workshops.retention import CHOICES as RETENTION_CHOICES
from app.workshops.retention import DATE_RANGE as RETENTION_DATE_RANGE
from app.workshops.retention import DEFAULT_DAYS as RETENTION_DAYS
from app.workshops.retention import change_retention, check_kept, delete_workshop
from app.workshops.schemas import MAX_TABLES, WorkshopCreate, WorkshopOut
from app.workshops.service import (
    create_workshop,
    deck_refusal,
    describe,
    tables_of,
    workshop_for_token,
)

router = APIRouter()


def _bearer(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def check_admin(settings: Settings, authorization: str | None) -> None:
    """A hosted deployment sets ADMIN_TOKEN; a facilitator's own laptop needs nothing."""
    if settings.admin_token and not hmac.compare_digest(
        _bearer(authorization).encode(), settings.admin_token.encode()
    ):
        raise Refusal(
            "admin_token_required", "Creating a workshop needs the admin token.", status=401
        )


def _deck_choices(library: Library, language: str) -> list[tuple[str, str]]:
    decks = (library.deck(deck_id, language) for deck_id in library.deck_ids())
    return [(deck.id, deck.title) for deck in decks if deck.kind == "factors"]


def _start_context(
    library: Library,
    settings: Settings,
    language: str,
    errors: dict[str, str],
    values: dict[str, str],
) -> dict[str, object]:
    today = dt.date.today()
    return {
        "decks": _deck_choices(library, language),
        "today": today.isoformat(),
        "earliest": (today - RETENTION_DATE_RANGE).isoformat(),
        "latest": (today + RETENTION_DATE_RANGE).isoformat(),
        "max_tables": MAX_TABLES,
        "needs_admin": bool(settings.admin_token),
        "errors": errors,
        "values": values,
        "retention_choices": RETENTION_CHOICES,
        "max_deck_kb": MAX_FILE_BYTES // 1024,
        "max_cards": MAX_CARDS,
        # The editor starts from a deck of cards/: each one, in both languages.
        "editor_decks": {
            deck_id: {
                language: deck_data(library.deck(deck_id, language)) for language in LANGUAGES
            }
            for deck_id, _ in _deck_choices(library, language)
        },
    }


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def start_page(
    request: Request, pages: PagesDep, library: LibraryDep, settings: SettingsDep
) -> HTMLResponse:
    language = request_language(request)
    context = _start_context(library, settings, language, {}, {})
    return pages.render(
        request,
        "start.html",
        context | {"deleted": request.query_params.get("deleted") == "1"},
        language,
    )


@router.post(
    "/workshops",
    include_in_schema=False,
    response_model=None,
    dependencies=[*FormGuard, *CreationLimit],
)
def start_workshop(
    request: Request,
    session: SessionDep,
    library: LibraryDep,
    pages: PagesDep,
    settings: SettingsDep,
    title: Annotated[str, Form()] = "",
    tables: Annotated[str, Form()] = "12",
    date: Annotated[str, Form()] = "",
    organisation: Annotated[str, Form()] = "",
    deck: Annotated[str, Form()] = "llo",
    round_minutes: Annotated[str, Form()] = "15",
    language: Annotated[str, Form()] = "nl",
    retention_days: Annotated[str, Form()] = "90",
    admin_token: Annotated[str, Form()] = "",
    # An own deck (deck=own): uploaded files, or the editor's (or a preview's) JSON.
    deck_file: Annotated[list[UploadFile] | None, File()] = None,
    own_deck: Annotated[str, Form(max_length=4 * MAX_FILE_BYTES)] = "",
    action: Annotated[str, Form(max_length=10)] = "create",
) -> Response:
    page_language = request_language(request)
    values = {
        "retention_days": retention_days,
        "title": title,
        "tables": tables,
        "date": date,
        "organisation": organisation,
        "deck": deck,
        "round_minutes": round_minutes,
        "language": language,
    }

    def again(errors: dict[str, str], own: OwnDeck | None, status: int) -> HTMLResponse:
        context = _start_context(library, settings, page_language, errors, values)
        return pages.render(
            request, "start.html", context | {"own": own}, page_language, status_code=status
        )

    own = None
    if deck == "own":
        own = read_own_deck(deck_file or [], own_deck, language, page_language)
        values["own_deck"] = own.json
        if own.problem:
            return again({"deck": "invalid_deck"}, own, 422)
        if action == "preview":
            return again({}, own, 200)
    try:
        check_admin(settings, f"Bearer {admin_token}")
        fields = {k: v for k, v in values.items() if v != "" and k != "own_deck"}
        data = WorkshopCreate.model_validate(
            fields
            | {"organisation": organisation or None}
            | ({"own_deck": own.data, "deck": "own"} if own else {}),
            strict=False,  # a form's fields are text: "12" is twelve tables here
        )
        created = create_workshop(session, data, library, base_url(settings))
    except (ValidationError, Refusal) as problem:
        return again(_form_errors(problem), own, 422)
    return RedirectResponse(f"/f/{created.facilitator_token}", status_code=303)


def _form_errors(problem: ValidationError | Refusal) -> dict[str, str]:
    if isinstance(problem, Refusal):
        field = {"unknown_deck": "deck", "admin_token_required": "admin_token"}.get(
            problem.code, "title"
        )
        return {field: problem.code}
    return {
        str(error["loc"][0]) if error["loc"] else "title": error["type"]
        for error in problem.errors()
    }


def _api_workshop(
    session: Session, workshop_id: str, authorization: str | None, expired_too: bool = False
) -> Workshop:
    """The workshop behind the bearer facilitator token, if it is the one asked for."""
    workshop = workshop_for_token(session, _bearer(authorization))
    if workshop is None or workshop.id != workshop_id:
        raise Refusal("facilitator_only", "Only the facilitator can see this workshop.", status=403)
    return workshop if expired_too else check_kept(workshop)


def _facilitator_workshop(session: Session, token: str, expired_too: bool = False) -> Workshop:
    workshop = workshop_for_token(session, token)
    if workshop is None:
        raise Refusal("unknown_workshop", "This facilitator link is not valid.", status=404)
    return workshop if expired_too else check_kept(workshop)


@router.get("/f/{token}", response_class=HTMLResponse, include_in_schema=False)
def workshop_page(
    token: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    pages: PagesDep,
) -> HTMLResponse:
    workshop = _facilitator_workshop(session, token)
    language = request_language(request, workshop.language)
    context = workshop_context(session, settings, workshop, language)
    return pages.render(
        request,
        "workshop.html",
        context | {"token": token, "format_code": format_join_code},
        language,
    )


def workshop_context(
    session: Session, settings: Settings, workshop: Workshop, language: str
) -> dict[str, object]:
    """What the workshop page shows (its JSON twin too, app/workshops/api.py), but live state."""
    base = base_url(settings)
    reachability = phone_reachability(base)
    listens_locally = settings.host in ("127.0.0.1", "localhost", "::1")
    return {
        "workshop": workshop,
        "info": describe(workshop, tables_of(session, workshop), base),
        "base": base,
        "reachability": reachability,
        "listens_locally": listens_locally and reachability.ok and not settings.public_url,
        "deck_title": workshop_deck(session, workshop, language).title,
        "deck_languages": list(workshop_kit(session, workshop).decks),
        "game": workshop_format(session, workshop),  # its roles name the dashboard's seats
    }


@router.get("/f/{token}/deck.{language}.yaml", include_in_schema=False)
def deck_download(token: str, language: str, session: SessionDep) -> Response:
    """The workshop's deck as the file it can be created from again (the next workshop)."""
    workshop = _facilitator_workshop(session, token)
    deck = workshop_kit(session, workshop).decks.get(language)
    if deck is None:
        raise Refusal(
            "no_deck_language", "This workshop's deck is not in that language.", status=404
        )
    return Response(
        deck_yaml(deck),
        media_type="application/yaml; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{deck.id}.{language}.yaml"'},
    )


@router.get("/f/{token}/cards", response_class=HTMLResponse, include_in_schema=False)
def table_cards(
    token: str, request: Request, session: SessionDep, settings: SettingsDep, pages: PagesDep
) -> HTMLResponse:
    workshop = _facilitator_workshop(session, token)
    language = request_language(request, workshop.language)
    info = describe(workshop, tables_of(session, workshop), base_url(settings))
    return pages.render(
        request,
        "table_cards.html",
        {"workshop": workshop, "info": info, "token": token, "format_code": format_join_code},
        language,
    )


@router.get("/qr/{code}.svg", include_in_schema=False)
def qr_code_svg(code: str, session: SessionDep, settings: SettingsDep) -> Response:
    context = find_table(session, code)
    url = f"{base_url(settings)}/j/{context.table.join_code}"
    return Response(
        qr_svg(url), media_type="image/svg+xml", headers={"Cache-Control": "max-age=3600"}
    )


@router.get("/qr/{code}.png", include_in_schema=False)
def qr_code_png(code: str, session: SessionDep, settings: SettingsDep) -> Response:
    context = find_table(session, code)
    url = f"{base_url(settings)}/j/{context.table.join_code}"
    return Response(qr_png(url), media_type="image/png", headers={"Cache-Control": "max-age=3600"})


@router.post(
    "/api/workshops",
    status_code=201,
    tags=["workshops"],
    response_model=WorkshopOut,
    responses=errors(
        400,
        401,
        422,
        429,
        why={
            422: "The request is not valid (code invalid, with the fields), names a deck "
            "that does not exist (code unknown_deck), or brings its own deck that cannot be "
            "used (code invalid_deck: the message and details say where and why).",
            429: "Too many workshops were created from this address: try again after "
            "Retry-After seconds.",
        },
    ),
    dependencies=CreationLimit,
)
def api_create_workshop(
    data: WorkshopCreate,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    library: LibraryDep,
    authorization: Annotated[str | None, Header()] = None,
) -> WorkshopOut:
    """Start a workshop. Returns the secret facilitator link and every table's join link.

    With `own_deck` it is played with the facilitator's own deck (nothing is created when
    that deck cannot be used)."""
    check_admin(settings, authorization)
    try:
        return create_workshop(session, data, library, base_url(settings)).description
    except DeckError as error:
        raise deck_refusal(error, request_language(request)) from None


@router.get(
    "/api/workshops/{workshop_id}",
    tags=["workshops"],
    response_model=WorkshopOut,
    responses=errors(403, 410, 422),
)
def api_get_workshop(
    workshop_id: str,
    session: SessionDep,
    settings: SettingsDep,
    authorization: Annotated[str | None, Header()] = None,
) -> WorkshopOut:
    """A workshop and its tables. Needs the facilitator token (from the facilitator link) as bearer."""
    workshop = _api_workshop(session, workshop_id, authorization)
    return describe(workshop, tables_of(session, workshop), base_url(settings))


@router.delete(
    "/api/workshops/{workshop_id}", tags=["workshops"], status_code=204, responses=errors(403, 422)
)
def api_delete_workshop(
    workshop_id: str,
    session: SessionDep,
    live: LiveTablesDep,
    authorization: Annotated[str | None, Header()] = None,
) -> Response:
    """Delete the workshop and everything in it, at once and for good (facilitator token).

    Also a workshop past its deletion date, which is refused everywhere else."""
    workshop = _api_workshop(session, workshop_id, authorization, expired_too=True)
    delete_workshop(session, workshop.id, live.forget_workshop)
    return Response(status_code=204)


@router.post("/f/{token}/delete", include_in_schema=False, dependencies=FormGuard)
def form_delete_workshop(
    token: str,
    session: SessionDep,
    live: LiveTablesDep,
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> RedirectResponse:
    workshop = _facilitator_workshop(session, token, expired_too=True)
    if confirm != "yes":
        raise Refusal(
            "confirm_delete", "Tick the box to confirm that everything may go.", status=422
        )
    delete_workshop(session, workshop.id, live.forget_workshop)
    return RedirectResponse("/?deleted=1", status_code=303)


@router.post("/f/{token}/retention", include_in_schema=False, dependencies=FormGuard)
def form_retention(
    token: str,
    session: SessionDep,
    days: Annotated[int, Form(ge=1, le=365)] = RETENTION_DAYS,
) -> RedirectResponse:
    change_retention(session, _facilitator_workshop(session, token), days)
    return RedirectResponse(f"/f/{token}/summary#privacy", status_code=303)


class RoundControl(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)  # numbers are numbers, not false
    minutes: int = Field(0, ge=0, le=30, description="for extend: how many minutes to add")
    table: int | None = Field(None, ge=1, le=MAX_TABLES, description="one table; all when absent")


@router.post(
    "/api/workshops/{workshop_id}/rounds/{action}",
    tags=["rounds"],
    responses=errors(400, 403, 404, 410, 422),
)
async def api_round_action(
    workshop_id: str,
    action: Literal["start", "pause", "extend", "end"],
    body: RoundControl,
    request: Request,
    session: SessionDep,
    hub: HubDep,
    authorization: Annotated[str | None, Header()] = None,
) -> list[TableResult]:
    """Start (or resume), pause, extend or end the round at every table, or at one.

    Starting after round 1 has ended begins round 2 with a fresh board. Needs the facilitator
    token as bearer. Each table answers for itself: one that refuses does not stop the others.
    """
    workshop = _api_workshop(session, workshop_id, authorization)
    state = request.app.state
    return await control_rounds(
        state.engine, hub, state.table_locks, workshop, action, body.minutes, body.table
    )


@router.post("/f/{token}/rounds", include_in_schema=False, dependencies=FormGuard)
async def form_round_action(
    token: str,
    request: Request,
    session: SessionDep,
    hub: HubDep,
    action: Annotated[str, Form()] = "",
    minutes: Annotated[int, Form(ge=0, le=30)] = 0,
    # One table's number, or empty for every table; anything else is refused, never "all".
    table: Annotated[str, Form(pattern=r"^[0-9]{0,3}$")] = "",
) -> RedirectResponse:
    workshop = _facilitator_workshop(session, token)
    number = int(table) if table else None
    state = request.app.state
    await control_rounds(state.engine, hub, state.table_locks, workshop, action, minutes, number)
    return RedirectResponse(f"/f/{token}#rounds", status_code=303)


@router.get("/f/{token}/tables/{number}/rounds/{round_number}.svg", include_in_schema=False)
def facilitator_picture(
    token: str, number: RowNumber, round_number: RowNumber, session: SessionDep, library: LibraryDep
) -> Response:
    workshop = _facilitator_workshop(session, token)
    table = session.exec(
        select(WorkshopTable).where(
            WorkshopTable.workshop_id == workshop.id, WorkshopTable.number == number
        )
    ).first()
    return svg_response(
        kept_picture(session, table, round_number, workshop_format(session, workshop))
    )
