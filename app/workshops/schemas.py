"""What the workshop API accepts and returns."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from app.workshops.retention import DATE_RANGE, MAX_DAYS

MAX_TABLES = 100
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _iso_date_only(value: object) -> object:
    """A date as the schema says, YYYY-MM-DD: not a number of seconds, not a week date."""
    if isinstance(value, dt.date) or (isinstance(value, str) and _ISO_DATE.match(value)):
        return value
    raise ValueError("a date is written YYYY-MM-DD")


# The API's JSON is read as its schema says: numbers are numbers (not "12", 12.0 or true) and
# a date is text. Whitespace is tidied after the checks, so a length means what it says. The
# HTML form, whose fields are all text, validates the same model with strict=False.
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date_only)]


class WorkshopCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200, pattern=r"\S")  # not only spaces
    tables: int = Field(12, ge=1, le=MAX_TABLES, strict=True)
    date: IsoDate = Field(
        default_factory=dt.date.today, description="within five years of today, either way"
    )
    organisation: str | None = Field(None, max_length=200)
    deck: str = Field(
        "llo",
        min_length=1,
        max_length=40,
        pattern=r"^[a-z0-9][a-z0-9_-]*$",
        description="a deck in cards/ (llo); another answers 422 unknown_deck. "
        "Ignored when own_deck is given",
    )
    own_deck: list[dict[str, Any]] | None = Field(
        None,
        min_length=1,
        max_length=2,
        description="the facilitator's own deck instead of a deck in cards/: one deck per "
        "language, each with the keys of a deck file (README, Decks); the workshop's "
        "language must be one of them. A deck that cannot be used answers 422 invalid_deck",
    )
    round_minutes: int = Field(15, ge=1, le=60, strict=True)
    language: Literal["nl", "en"] = "nl"
    retention_days: int = Field(
        90,
        strict=True,
        ge=1,
        le=MAX_DAYS,
        description="days after the workshop's date until it is deleted; that day lies ahead",
    )

    @field_validator("title", "organisation")
    @classmethod
    def _single_line(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        value = " ".join(value.split())  # Python's whitespace: also \x1c-\x1f, unlike \S
        if not value and info.field_name == "title":
            raise ValueError("a title needs a letter, a digit or a sign")
        return value or None

    @field_validator("date")
    @classmethod
    def _near_today(cls, value: dt.date) -> dt.date:
        if abs(value - dt.date.today()) > DATE_RANGE:
            raise ValueError("the date must lie within five years of today")
        return value

    @field_validator("retention_days")
    @classmethod
    def _not_run_out(cls, days: int, info: ValidationInfo) -> int:
        # A workshop refused from its first request on is no use to anyone.
        day = info.data.get("date")
        if day is not None and day + dt.timedelta(days=days) <= dt.date.today():
            raise ValueError("the workshop would be past its deletion date already")
        return days


class TableLinks(BaseModel):
    number: int
    join_code: str
    join_url: str
    qr_url: str
    qr_png_url: str


class WorkshopOut(BaseModel):
    id: str
    title: str
    date: dt.date
    organisation: str | None
    deck: str
    round_minutes: int
    language: str
    status: str
    retention_days: int
    delete_on: dt.date
    facilitator_url: str | None = None
    tables: list[TableLinks]
