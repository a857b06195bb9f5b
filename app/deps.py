"""Request dependencies: what routes get from the app's state (one place to look)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Form, Path, Request
from sqlmodel import Session

from app.deck import Library
from app.i18n import N_
from app.realtime.hub import Hub
from app.security import TooManyRequests, check_form, client_key
from app.settings import Settings
from app.tables.live_state import LiveTables
from app.web import Pages


def get_session(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine) as session:
        yield session


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_library(request: Request) -> Library:
    library: Library = request.app.state.library
    return library


def get_pages(request: Request) -> Pages:
    pages: Pages = request.app.state.pages
    return pages


def get_hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


def get_live_tables(request: Request) -> LiveTables:
    live: LiveTables = request.app.state.live_tables
    return live


# A number in a path is looked up in an INTEGER column: past 32 bits PostgreSQL (and past 64
# SQLite) fails instead of finding nothing, so every route bounds it first (422 beyond).
MAX_ROW_NUMBER = 2**31 - 1
RowNumber = Annotated[int, Path(ge=1, le=MAX_ROW_NUMBER)]

SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
LibraryDep = Annotated[Library, Depends(get_library)]
PagesDep = Annotated[Pages, Depends(get_pages)]
HubDep = Annotated[Hub, Depends(get_hub)]
LiveTablesDep = Annotated[LiveTables, Depends(get_live_tables)]


def form_guard(
    request: Request, settings: SettingsDep, csrf: Annotated[str, Form(max_length=200)] = ""
) -> None:
    """Every HTML form post carries the page's CSRF token and comes from this site."""
    check_form(request, csrf, settings.public_url)


FormGuard = [Depends(form_guard)]


async def limit_creation(request: Request) -> None:
    """Workshops created per address, the form and the API together (WORKSHOP_CREATIONS)."""
    verdict = await request.app.state.creation_limit.hit(client_key(request))
    if not verdict.allowed:
        raise TooManyRequests(
            "too_many_workshops",
            N_("Too many workshops were created from this address. Try again in a few minutes."),
            verdict.retry_after,
        )


CreationLimit = [Depends(limit_creation)]
