"""The stored shape of a workshop: the tables Alembic migrates (one place for the schema)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
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


class FrozenCopy(SQLModel, table=True):
    """What a workshop is played with (its decks and script), copied when it is created.

    A row of its own rather than a column of ``workshop``: every request that finds a
    workshop would otherwise read tens of kilobytes it does not need. Written once, never
    changed; read through app.workshops.frozen, which also caches it.
    """

    __tablename__ = "frozen_copy"

    workshop_id: str = Field(
        sa_column=Column(
            String(16), ForeignKey("workshop.id", ondelete="CASCADE"), primary_key=True
        )
    )
    # {"version": 1, "decks": {language: deck}, "scripts": {language: script}}; the shape
    # and its readers are in app.workshops.frozen.
    content: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


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
    # The table's event counter: every change gets the next number, in the same transaction.
    seq: int = 0
    # The round clock (app.game.clock.Clock), in epoch milliseconds: the server owns the time.
    round_number: int = 1
    round_status: str = Field(default="waiting", max_length=10)
    duration_ms: int = 15 * 60_000
    deadline_ms: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    remaining_ms: int = 15 * 60_000
    started_ms: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    round_ms: int = 15 * 60_000


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
    # A phone with an open socket keeps pushing this forward; past it, the phone is away.
    # Stored, not kept in memory, so that every server process sees the same presence.
    connected_until_ms: int | None = Field(
        default=None, sa_column=Column(BigInteger, nullable=True)
    )


def _fk(target: str) -> Column:
    return Column(Integer, ForeignKey(target, ondelete="CASCADE"), nullable=False, index=True)


class Interview(SQLModel, table=True):
    """One round at one table: one respondent's board, the record, and its picture."""

    __table_args__ = (UniqueConstraint("table_id", "round_number"),)

    id: int | None = Field(default=None, primary_key=True)
    table_id: int = Field(sa_column=_fk("workshop_table.id"))
    round_number: int
    ended_at: datetime | None = None
    picture_svg: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class Placement(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("interview_id", "card"),)

    id: int | None = Field(default=None, primary_key=True)
    interview_id: int = Field(sa_column=_fk("interview.id"))
    card: str = Field(max_length=16)
    factor: str = Field(max_length=8)
    side: str = Field(max_length=12)
    extent: str = Field(max_length=8)
    position: int
    explanation: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    custom_name: str = Field(default="", max_length=80)


class InterviewNote(SQLModel, table=True):
    __tablename__ = "interview_note"
    __table_args__ = (UniqueConstraint("interview_id", "field"),)

    id: int | None = Field(default=None, primary_key=True)
    interview_id: int = Field(sa_column=_fk("interview.id"))
    field: str = Field(max_length=20)
    text: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


class TableEvent(SQLModel, table=True):
    """Every applied command, by sequence number: resends are recognised by their client id."""

    __tablename__ = "table_event"
    __table_args__ = (
        UniqueConstraint("table_id", "seq"),
        UniqueConstraint("table_id", "command_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # No index of its own: the unique (table_id, seq) serves every lookup by table, and each
    # move inserts a row, so every index is another page written per move.
    table_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("workshop_table.id", ondelete="CASCADE"), nullable=False
        )
    )
    seq: int
    command_id: str | None = Field(default=None, max_length=64)
    # The command's app.realtime.protocol.fingerprint: a resend of the id with other content
    # is refused, not taken for the first. None where no phone sent it, and on rows stored
    # before revision 0005 (their resends are acknowledged as before, whatever the content).
    command_fingerprint: str | None = Field(default=None, max_length=32)
    seat_id: int | None = None
    kind: str = Field(max_length=12)
    created_at: datetime = Field(default_factory=utcnow)


class ShareLink(SQLModel, table=True):
    """A read-only link to a workshop's summary, which the facilitator can revoke."""

    __tablename__ = "share_link"

    id: int | None = Field(default=None, primary_key=True)
    workshop_id: str = Field(
        sa_column=Column(
            String(16), ForeignKey("workshop.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = Field(default_factory=utcnow)
