"""Every websocket message, as pydantic models: the one source of truth for docs/protocol.md.

Phones send commands; the server answers each with `ack` or `error` and broadcasts what
changed as `event` messages carrying the table's next sequence number.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

MAX_TEXT = 2000  # an explanation or a note field; a story fits, a novel does not
MAX_MESSAGE_BYTES = 16_384
# uvicorn closes with 1009 any frame larger than this, before reading it (`ws_max_size`); one
# between the two is read and answered `too_large`.
MAX_FRAME_BYTES = 4 * MAX_MESSAGE_BYTES
CommandId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
CardId = Annotated[str, Field(min_length=1, max_length=16)]
SideName = Literal["stimulating", "hindering"]
ExtentName = Literal["limited", "large"]
NoteField = Literal["development", "stands_out", "recommendations", "connections", "reflection"]


class _Command(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: CommandId


class Place(_Command):
    """Put a card from the hand, or move a card already on the board, to a zone and position."""

    type: Literal["place"]
    card: CardId
    side: SideName
    extent: ExtentName
    position: int = Field(ge=0, le=100)


class Return(_Command):
    """Take a card off the board, back into the hand."""

    type: Literal["return"]
    card: CardId


class Explain(_Command):
    """The respondent's explanation of a placed card."""

    type: Literal["explain"]
    card: CardId
    text: str = Field(max_length=MAX_TEXT)


class Name(_Command):
    """The name the respondent gives a blank "Anders, namelijk …" card."""

    type: Literal["name"]
    card: CardId
    text: str = Field(max_length=80)


class Note(_Command):
    """One of the reporter's or observer's text fields for the current interview."""

    type: Literal["note"]
    field: NoteField
    text: str = Field(max_length=MAX_TEXT)


class Resync(BaseModel):
    """Ask for a fresh snapshot (a client that saw a gap in sequence numbers)."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["resync"]


class Ping(BaseModel):
    """Keep-alive; answered with `pong`."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["ping"]


Command = Annotated[Place | Return | Explain | Name | Note, Field(discriminator="type")]
ClientMessage = Annotated[
    Place | Return | Explain | Name | Note | Resync | Ping, Field(discriminator="type")
]
CLIENT_MESSAGE = TypeAdapter(ClientMessage)
BOARD_COMMANDS = frozenset({"place", "return", "explain", "name"})
# The error for an id sent again with another command: the first command stands.
ID_REUSED = "id_reused"


def fingerprint(command: _Command) -> str:
    """What makes a resend the same command: its type and fields as validated, not its id (the
    envelope) nor how the JSON was spelled. Stored with each event, so old ids are checked too.

    The fields are serialised in the model's order (pydantic's, in Rust: a few µs per move), so
    reordering a command's fields changes the fingerprints of ids stored before: a test pins them.
    """
    canonical = command.model_dump_json(exclude={"id"})
    # 128 bits (the column's 32 hex digits): no two commands of a table will share one.
    return hashlib.blake2b(canonical.encode("utf-8"), digest_size=16).hexdigest()


# --- server to client -------------------------------------------------------------


class PlacementOut(BaseModel):
    model_config = ConfigDict(frozen=True)  # shared between events (app.tables.service)

    card: str
    factor: str
    side: SideName
    extent: ExtentName
    position: int
    explanation: str
    custom_name: str


class RoundOut(BaseModel):
    number: int = Field(description="1 or 2; which interview the table is on")
    status: Literal["waiting", "running", "paused", "ended"]
    respondent: Literal["respondent1", "respondent2"]
    duration_ms: int
    deadline: int | None = Field(description="server epoch ms when the round ends, if running")
    remaining_ms: int
    look_until: int | None = Field(
        description="server epoch ms until which it's 'look at the cards'"
    )
    server_time: int = Field(
        description="server epoch ms when this was sent: phones fix their clock"
    )
    whistle: bool = False


class Member(BaseModel):
    id: int
    role: str
    name: str


class Picture(BaseModel):
    round: int
    url: str


class TableInfo(BaseModel):
    number: int
    code: str
    workshop: str
    language: str
    deck: str


class Snapshot(BaseModel):
    type: Literal["snapshot"] = "snapshot"
    seq: int
    table: TableInfo
    you: Member | None
    members: list[Member]
    round: RoundOut
    board: list[PlacementOut]
    locked: bool
    notes: dict[str, str]
    pictures: list[Picture]


class Ack(BaseModel):
    type: Literal["ack"] = "ack"
    id: str
    seq: int = Field(description="the sequence number of the event the command produced")


class Error(BaseModel):
    type: Literal["error"] = "error"
    id: str | None
    code: str
    message: str
    retry: bool = Field(False, description="true when the same command may succeed if resent")


class Event(BaseModel):
    type: Literal["event"] = "event"
    seq: int
    kind: Literal["board", "note", "round", "members"]
    by: int | None = Field(None, description="seat id that caused it, if a phone did")
    command: str | None = None
    board: list[PlacementOut] | None = None
    locked: bool | None = None
    field: str | None = None
    text: str | None = None
    round: RoundOut | None = None
    members: list[Member] | None = None
    pictures: list[Picture] | None = None


class Pong(BaseModel):
    type: Literal["pong"] = "pong"


SERVER_MESSAGES: tuple[type[BaseModel], ...] = (Snapshot, Ack, Error, Event, Pong)
CLIENT_MESSAGES: tuple[type[BaseModel], ...] = (Place, Return, Explain, Name, Note, Resync, Ping)


def dump(message: BaseModel) -> str:
    return message.model_dump_json(exclude_none=True)


def example_types() -> dict[str, Any]:
    """Message type names by direction (the doc test checks docs/protocol.md covers them)."""
    return {
        "client": [m.model_fields["type"].annotation.__args__[0] for m in CLIENT_MESSAGES],  # type: ignore[union-attr]
        "server": [m.model_fields["type"].default for m in SERVER_MESSAGES],
    }
