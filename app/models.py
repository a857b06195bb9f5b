"""The stored shape of a workshop: the tables Alembic migrates (one place for the schema)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Column, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class Workshop(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=16)
    title: str = Field(max_length=200)
    date: date
    organisation: str | None = Field(default=None, max_length=200)
    table_count: int
    deck_id: str = Field(max_length=40)
    round_minutes: int = 15
    language: str = Field(default="nl", max_length=2)
    # Only the hash of the secret facilitator link is stored: a leaked database is no key.
    facilitator_hash: str = Field(max_length=64, unique=True, index=True)
    status: str = Field(default="open", max_length=10)
    retention_days: int = 90
    created_at: datetime = Field(default_factory=utcnow)


class WorkshopTable(SQLModel, table=True):
    __tablename__ = "workshop_table"
    __table_args__ = (UniqueConstraint("workshop_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    workshop_id: str = Field(
        sa_column=Column(
            String(16), ForeignKey("workshop.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    number: int
    join_code: str = Field(max_length=16, unique=True, index=True)


class Seat(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("table_id", "device_hash"),
        # One interviewer, one reporter, one of each respondent per table; observers may be
        # several. The database enforces it, so two phones racing for a role cannot both win.
        Index(
            "uq_seat_single_role",
            "table_id",
            "role",
            unique=True,
            sqlite_where=text("role <> 'observer'"),
            postgresql_where=text("role <> 'observer'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    table_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("workshop_table.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    role: str = Field(max_length=16)
    display_name: str = Field(default="", max_length=40)
    device_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
