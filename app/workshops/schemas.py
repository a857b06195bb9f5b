"""What the workshop API accepts and returns."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_TABLES = 100


class WorkshopCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=200, pattern=r"\S")  # not only spaces
    tables: int = Field(12, ge=1, le=MAX_TABLES)
    date: dt.date = Field(default_factory=dt.date.today)
    organisation: str | None = Field(None, max_length=200)
    deck: str = Field("llo", min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    round_minutes: int = Field(15, ge=1, le=60)
    language: Literal["nl", "en"] = "nl"
    retention_days: int = Field(
        90, ge=1, le=365, description="days after the workshop's date until it is deleted"
    )

    @field_validator("title", "organisation")
    @classmethod
    def _single_line(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = " ".join(value.split())
        return value or None


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
