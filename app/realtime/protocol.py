"""Every websocket message, as pydantic models: the one source of truth for docs/protocol.md.

Phones send commands; the server answers each with `ack` or `error` and broadcasts what
changed as `event` messages carrying the table's next sequence number. The facilitator's
dashboard socket hears every table's events (a board as two counts) and summaries of them.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter, ValidationInfo
from pydantic_core import PydanticCustomError

from app.game.board import MAX_CUSTOM_NAME, MAX_EXPLANATION

MAX_TEXT = MAX_EXPLANATION  # an explanation or a note field; a story fits, a novel does not
MAX_MESSAGE_BYTES = 16_384
# uvicorn closes with 1009 any frame larger than this, before reading it (`ws_max_size`); one
# between the two is read and answered `too_large`.
MAX_FRAME_BYTES = 4 * MAX_MESSAGE_BYTES
MAX_POSITION = 100  # beyond a zone's last card means its end
CommandId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
CardId = Annotated[str, Field(min_length=1, max_length=16)]
SideName = Literal["stimulating", "hindering"]
ExtentName = Literal["limited", "large"]
# Which note fields and roles there are is the workshop's format's (app.game.format): a
# message is validated against it through the validation context {"format": Format}.
RoleName = Annotated[str, Field(min_length=1, max_length=32)]


def _a_note_field(value: str, info: ValidationInfo) -> str:
    """A `note` command names one of the format's fields (any name when there is no format,
    as for the document's examples)."""
    game = (info.context or {}).get("format")
    if game is not None and value not in game.note_ids:
        expected = ", ".join(repr(field) for field in game.note_ids)
        raise PydanticCustomError(
            "literal_error", "Input should be one of {expected}", {"expected": expected}
        )
    return value


NoteField = Annotated[str, Field(min_length=1, max_length=32), AfterValidator(_a_note_field)]


class _Command(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: CommandId


class Place(_Command):
    """Put a card from the hand, or move a card already on the board, to a zone and position."""

    type: Literal["place"]
    card: CardId
    side: SideName
    extent: ExtentName
    position: int = Field(ge=0, le=MAX_POSITION)


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
    text: str = Field(max_length=MAX_CUSTOM_NAME)


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
# Every field is always sent, null where it has no value: a client reads what the document
# shows, key for key (tests/test_protocol_doc.py checks what a played round puts on the wire).


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PlacementOut(_Out):
    model_config = ConfigDict(frozen=True)  # shared between events (app.tables.service)

    card: str
    factor: str
    side: SideName
    extent: ExtentName
    position: int
    explanation: str
    custom_name: str


class RoundOut(_Out):
    number: int = Field(description="which step of the format (1, 2, …) the table is on")
    status: Literal["waiting", "running", "paused", "ended"]
    respondent: RoleName = Field(description="the role whose interview it is: it lays the cards")
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


class Member(_Out):
    id: int
    role: str
    name: str


class Picture(_Out):
    round: int
    url: str


class TableInfo(_Out):
    number: int
    code: str
    workshop: str
    language: str
    deck: str


class Snapshot(_Out):
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


class Ack(_Out):
    type: Literal["ack"] = "ack"
    id: str
    seq: int = Field(description="the sequence number of the event the command produced")


class Error(_Out):
    type: Literal["error"] = "error"
    id: str | None
    code: str
    message: str
    retry: bool = Field(False, description="true when the same command may succeed if resent")


class _Event(_Out):
    type: Literal["event"] = "event"
    seq: int


class BoardEvent(_Event):
    """The whole board after a command, or a fresh one when the next round starts (`reset`)."""

    kind: Literal["board"] = "board"
    by: int | None = Field(description="seat id of the phone that caused it; null: the server")
    command: Literal["place", "return", "explain", "name", "reset"]
    board: list[PlacementOut]
    locked: bool


class NoteEvent(_Event):
    """One note field's new text; emptied (`reset`) when the next round starts."""

    kind: Literal["note"] = "note"
    by: int | None = Field(description="seat id of the phone that caused it; null: the server")
    command: Literal["note", "reset"]
    field: NoteField
    text: str


class RoundEvent(_Event):
    kind: Literal["round"] = "round"
    round: RoundOut
    locked: bool
    pictures: list[Picture] = Field(description="every picture kept so far, one per ended round")


class MembersEvent(_Event):
    kind: Literal["members"] = "members"
    members: list[Member]


Event = Annotated[BoardEvent | NoteEvent | RoundEvent | MembersEvent, Field(discriminator="kind")]


class Pong(_Out):
    type: Literal["pong"] = "pong"


# --- the facilitator's dashboard socket ---------------------------------------------------


class TableSummary(_Out):
    """One table as the dashboard shows it."""

    table_id: int
    number: int
    seq: int = Field(description="the table's sequence number: its events continue from here")
    round: RoundOut
    members: list[Member]
    stimulating: int = Field(description="cards on the left half")
    hindering: int = Field(description="cards on the right half")
    online: list[int] = Field(description="seat ids with a phone connected")
    recorded: bool = Field(description="the reporter has written something this interview")


class Dashboard(_Out):
    type: Literal["dashboard"] = "dashboard"
    tables: list[TableSummary]


class Presence(_Out):
    type: Literal["presence"] = "presence"
    table_id: int
    online: list[int]


class DashboardBoardEvent(_Event):
    """A board event as the dashboard hears it: the counts, not the board (it hears every
    table's every move and shows two numbers)."""

    kind: Literal["board"] = "board"
    by: int | None
    command: Literal["place", "return", "explain", "name", "reset"]
    locked: bool
    table_id: int
    stimulating: int
    hindering: int


class DashboardNoteEvent(NoteEvent):
    table_id: int


class DashboardRoundEvent(RoundEvent):
    table_id: int


class DashboardMembersEvent(MembersEvent):
    table_id: int


DashboardEvent = Annotated[
    DashboardBoardEvent | DashboardNoteEvent | DashboardRoundEvent | DashboardMembersEvent,
    Field(discriminator="kind"),
]
DashboardClientMessage = Annotated[Resync | Ping, Field(discriminator="type")]
DASHBOARD_CLIENT_MESSAGE = TypeAdapter(DashboardClientMessage)

# What each socket sends, by `type` (an event's models by `kind`): the doc test's index.
SERVER_MESSAGES: tuple[type[BaseModel], ...] = (
    Snapshot,
    Ack,
    Error,
    BoardEvent,
    NoteEvent,
    RoundEvent,
    MembersEvent,
    Pong,
)
DASHBOARD_MESSAGES: tuple[type[BaseModel], ...] = (
    Dashboard,
    Presence,
    DashboardBoardEvent,
    DashboardNoteEvent,
    DashboardRoundEvent,
    DashboardMembersEvent,
    Pong,
    Error,
)
CLIENT_MESSAGES: tuple[type[BaseModel], ...] = (Place, Return, Explain, Name, Note, Resync, Ping)
DASHBOARD_CLIENT_MESSAGES: tuple[type[BaseModel], ...] = (Resync, Ping)
SERVER_MESSAGE = TypeAdapter(Annotated[Snapshot | Ack | Error | Pong, Field(discriminator="type")])
EVENT = TypeAdapter(Event)
DASHBOARD_MESSAGE = TypeAdapter(
    Annotated[Dashboard | Presence | Pong | Error, Field(discriminator="type")]
)
DASHBOARD_EVENT = TypeAdapter(DashboardEvent)


def dump(message: BaseModel) -> str:
    return message.model_dump_json()


def type_name(model: type[BaseModel]) -> str:
    """The `type` a message model sends or accepts."""
    return str(get_args(model.model_fields["type"].annotation)[0])


def example_types() -> dict[str, list[str]]:
    """Message type names by socket and direction (docs/protocol.md must describe each)."""
    return {
        "client": [type_name(m) for m in CLIENT_MESSAGES],
        "server": sorted({type_name(m) for m in SERVER_MESSAGES}),
        "dashboard": sorted({type_name(m) for m in DASHBOARD_MESSAGES}),
    }
