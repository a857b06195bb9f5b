"""The workshop page's JSON twin (/f/<token>.json) and the retention API.

The twin is made from the page's own context (router.py's `workshop_context`) and the
dashboard socket's snapshot of every table (`dashboard_tables`), so it says what the page
shows: the tables with their join codes and QR addresses, whether phones can reach them,
and per table the round, its clock, the cards, who sits where and whose phone is connected.
Retention is read and changed with the facilitator token as bearer, like every API change;
deleting at once is DELETE /api/workshops/{id}.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, cast

from fastapi import APIRouter, Header
from pydantic import BaseModel, ConfigDict, Field

from app.api_errors import errors
from app.deps import SessionDep, SettingsDep
from app.models import Workshop
from app.network import Reachability
from app.realtime.protocol import TableSummary
from app.tables.service import dashboard_tables
from app.workshops.frozen import workshop_format
from app.workshops.retention import CHOICES, MAX_DAYS, change_retention, deletion_date
from app.workshops.router import _api_workshop, _facilitator_workshop, workshop_context
from app.workshops.schemas import WorkshopOut
from app.workshops.service import tables_of

router = APIRouter(tags=["workshops"])


class PhoneReach(BaseModel):
    ok: bool = Field(description="could a phone on the venue's Wi-Fi open the join links?")
    reason: str | None = Field(description="why not, as a code (e.g. loopback); null when ok")


class WorkshopPage(BaseModel):
    """/f/<token> as JSON: the workshop, its tables' links, and every table live."""

    workshop: WorkshopOut
    deck_title: str
    phones_join_at: str = Field(description="the address in the join links and QR codes")
    phone_reach: PhoneReach
    listens_locally: bool = Field(
        description="the server listens only on this laptop: phones cannot connect"
    )
    tables: list[TableSummary] = Field(
        description="per table, as the dashboard shows it now (its socket then sends changes)"
    )


@router.get(
    "/f/{token}.json",
    response_model=WorkshopPage,
    responses=errors(
        404, 410, 422, why={404: "The facilitator link is not valid (unknown_workshop)."}
    ),
)
def workshop_json(token: str, session: SessionDep, settings: SettingsDep) -> WorkshopPage:
    """The workshop page (the facilitator's dashboard) as JSON"""
    workshop = _facilitator_workshop(session, token)
    context = workshop_context(session, settings, workshop, workshop.language)
    reach = cast(Reachability, context["reachability"])
    return WorkshopPage(
        workshop=cast(WorkshopOut, context["info"]),
        deck_title=str(context["deck_title"]),
        phones_join_at=str(context["base"]),
        phone_reach=PhoneReach(ok=reach.ok, reason=reach.reason),
        listens_locally=bool(context["listens_locally"]),
        tables=dashboard_tables(
            session, tables_of(session, workshop), workshop_format(session, workshop)
        ),
    )


# --- retention --------------------------------------------------------------------------


class Retention(BaseModel):
    retention_days: int = Field(description="days after the workshop's date it is kept")
    delete_on: dt.date = Field(description="from this day on nothing is served; then deleted")
    choices: list[int] = Field(description="the periods the summary page offers")


class RetentionChange(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    days: int = Field(ge=1, le=MAX_DAYS, description="days after the workshop's date")


def _retention(workshop: Workshop) -> Retention:
    return Retention(
        retention_days=workshop.retention_days,
        delete_on=deletion_date(workshop),
        choices=list(CHOICES),
    )


Authorization = Annotated[str | None, Header()]


@router.get(
    "/api/workshops/{workshop_id}/retention",
    response_model=Retention,
    responses=errors(403, 410, 422),
)
def api_get_retention(
    workshop_id: str, session: SessionDep, authorization: Authorization = None
) -> Retention:
    """How long the workshop is kept, and the day it is deleted."""
    return _retention(_api_workshop(session, workshop_id, authorization))


@router.put(
    "/api/workshops/{workshop_id}/retention",
    response_model=Retention,
    responses=errors(
        400,
        403,
        410,
        422,
        why={
            422: "The request is not valid (invalid), or the period has run out already "
            "(retention_past: delete the workshop instead)."
        },
    ),
)
def api_set_retention(
    workshop_id: str,
    change: RetentionChange,
    session: SessionDep,
    authorization: Authorization = None,
) -> Retention:
    """Keep the workshop for another period after its date (1–365 days)."""
    workshop = _api_workshop(session, workshop_id, authorization)
    change_retention(session, workshop, change.days)
    return _retention(workshop)
