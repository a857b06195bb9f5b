"""Creating workshops and finding them again by their secret link."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.deck import Deck, DeckError, Library
from app.deck_files import own_decks, problem_text, read_data
from app.game.clock import new_clock
from app.game.refusal import Refusal
from app.models import Interview, Workshop, WorkshopTable
from app.tables.service import store_clock
from app.tokens import hash_token, new_join_code, new_token
from app.workshops.frozen import DEFAULT_FORMAT, copy_content, library_decks, store_copy
from app.workshops.retention import deletion_date
from app.workshops.schemas import TableLinks, WorkshopCreate, WorkshopOut


@dataclass(frozen=True)
class Created:
    workshop: Workshop
    facilitator_token: str
    description: WorkshopOut  # the answer, made before the workshop is committed


def chosen_decks(data: WorkshopCreate, library: Library) -> dict[str, Deck]:
    """The decks the workshop is to be played with, by language.

    Raises DeckError for an own deck that cannot be used (the caller words it in the
    facilitator's language: app.deck_files.problem_text)."""
    if data.own_deck is not None:
        decks = [read_data(deck, i) for i, deck in enumerate(data.own_deck)]
        return own_decks(decks, data.language)
    try:
        # Workshops play with a factor deck; the outcome deck goes beside it, never instead.
        if library.deck(data.deck, data.language).kind != "factors":
            raise KeyError(data.deck)
    except KeyError:
        raise Refusal(
            "unknown_deck", "There is no deck called %(deck)s.", {"deck": data.deck}, 422
        ) from None
    return library_decks(library, data.deck)


def deck_refusal(error: DeckError, language: str) -> Refusal:
    """An own deck's problem as the API's 422, worded in ``language``."""
    problem = problem_text(error, language)
    field = ".".join(part for part in (error.path.name, error.location) if part)
    return Refusal(
        "invalid_deck",
        "This deck cannot be used: %(problem)s",
        {"problem": problem},
        422,
        details=[(field or "own_deck", problem)],
    )


def create_workshop(
    session: Session, data: WorkshopCreate, library: Library, base_url: str
) -> Created:
    decks = chosen_decks(data, library)
    token = new_token()
    workshop = Workshop(
        id=new_token()[:12],
        title=data.title,
        date=data.date,
        organisation=data.organisation,
        table_count=data.tables,
        deck_id=decks[data.language].id,
        round_minutes=data.round_minutes,
        language=data.language,
        retention_days=data.retention_days,
        facilitator_hash=hash_token(token),
    )
    session.add(workshop)
    # Each table's clock waits for the format's first step, at that step's length.
    clock = new_clock(data.round_minutes, library.format(DEFAULT_FORMAT).steps)
    tables = []
    for number in range(1, data.tables + 1):
        table = WorkshopTable(workshop_id=workshop.id, number=number, join_code=new_join_code())
        store_clock(table, clock)
        session.add(table)
        tables.append(table)
    session.flush()
    # What it is played with is kept with it: cards/ may change, this workshop won't.
    store_copy(session, workshop, copy_content(decks, library, DEFAULT_FORMAT))
    # Round 1's interview exists from the start, so that nobody looking at a table (a phone's
    # snapshot, the dashboard, in another process) has to create it and race another.
    for table in tables:
        assert table.id is not None
        session.add(Interview(table_id=table.id, round_number=1))
    # Whatever could still go wrong in the answer goes wrong before anything is stored.
    description = describe(workshop, tables, base_url, token)
    try:
        session.commit()
    except IntegrityError:  # a join code collided (~1e-9): try once more with fresh codes
        session.rollback()
        return create_workshop(session, data, library, base_url)
    session.refresh(workshop)
    return Created(workshop, token, description)


def workshop_for_token(session: Session, token: str) -> Workshop | None:
    if not token or len(token) > 100:
        return None
    return session.exec(
        select(Workshop).where(Workshop.facilitator_hash == hash_token(token))
    ).first()


def tables_of(session: Session, workshop: Workshop) -> list[WorkshopTable]:
    query = (
        select(WorkshopTable)
        .where(WorkshopTable.workshop_id == workshop.id)
        .order_by(col(WorkshopTable.number))
    )
    return list(session.exec(query))


def table_links(base_url: str, table: WorkshopTable) -> TableLinks:
    return TableLinks(
        number=table.number,
        join_code=table.join_code,
        join_url=f"{base_url}/j/{table.join_code}",
        qr_url=f"{base_url}/qr/{table.join_code}.svg",
        qr_png_url=f"{base_url}/qr/{table.join_code}.png",
    )


def describe(
    workshop: Workshop,
    tables: list[WorkshopTable],
    base_url: str,
    facilitator_token: str | None = None,
) -> WorkshopOut:
    return WorkshopOut(
        id=workshop.id,
        title=workshop.title,
        date=workshop.date,
        organisation=workshop.organisation,
        deck=workshop.deck_id,
        round_minutes=workshop.round_minutes,
        language=workshop.language,
        status=workshop.status,
        retention_days=workshop.retention_days,
        delete_on=deletion_date(workshop),
        facilitator_url=f"{base_url}/f/{facilitator_token}" if facilitator_token else None,
        tables=[table_links(base_url, table) for table in tables],
    )
