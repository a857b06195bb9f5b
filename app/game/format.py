"""The game's shape as one value: its roles, its steps, its board and its notes.

A format says who sits at a table (the roles and their seats), what a workshop's steps are
(one interview each, with who leads it and lays the cards, and how long it lasts), the words of
the board's sides and extents, the note fields and who writes each, and which interviewer's
script goes with it. The rules (app.game.clock, app.game.permissions, app.game.roles) and every
page, message and summary read it, so that a new step or note field is a change to the format's
file, ``cards/<id>.format.yaml`` (validated by app.deck), not to the code.

Every text a person reads is a :class:`Words`, in each language the file gives: the format's
words travel with it (to a workshop's frozen copy, say) instead of living in the catalogues.

The board's geometry stays code (app.game.board): two sides, stimulating and hindering, of two
extents each; a format names and asks them, it does not add a third side.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BoardWords",
    "ExtentWords",
    "Format",
    "NoteField",
    "RoleSpec",
    "SideWords",
    "Step",
    "Words",
]


@dataclass(frozen=True)
class Words:
    """One text in each language, e.g. ``Words((("nl", "Rapporteur"), ("en", "Reporter")))``."""

    texts: tuple[tuple[str, str], ...]

    def __call__(self, language: str) -> str:
        """The text in ``language``; the first language's when the format lacks it."""
        for code, text in self.texts:
            if code == language:
                return text
        return self.texts[0][1]


@dataclass(frozen=True)
class RoleSpec:
    """A role at the table: how many hold it and what it sees."""

    id: str  # stored on each seat and sent on the wire, e.g. "respondent1"
    name: Words
    short: Words  # a few letters: the dashboard's seat chips
    task: Words  # one line on the join page: what this role does
    seats: int | None  # None: everyone else at the table (the observers)
    asks: bool = False  # reads the interviewer's script to the others
    record: Words | None = None  # the heading over the note fields this role writes


@dataclass(frozen=True)
class Step:
    """One step of the workshop: an interview led by one role, who lays the cards."""

    number: int  # 1-based; the table's round number indexes the format's steps
    leader: str  # the role whose story it is and who lays the cards
    minutes: int | None  # None: the workshop's round length


@dataclass(frozen=True)
class SideWords:
    id: str  # app.game.board.Side's value
    where: Words  # "Left · stimulating"
    question: Words  # the half's question, e.g. "Which factors stimulate lifelong learning?"
    zones: tuple[tuple[str, Words], ...]  # extent id -> the zone's full name
    tag: Words  # the script's mark for a question about this half
    lies: Words  # a card in the hand whose factor already lies on this side

    def zone(self, extent: str) -> Words:
        return dict(self.zones)[extent]


@dataclass(frozen=True)
class ExtentWords:
    id: str  # app.game.board.Extent's value
    name: Words


@dataclass(frozen=True)
class BoardWords:
    sides: tuple[SideWords, ...]
    extents: tuple[ExtentWords, ...]
    lies_both: Words  # a card whose factor lies on both sides
    explainers: frozenset[str]  # roles that may write a card's explanation, beside the leader

    def side(self, side_id: str) -> SideWords:
        return next(side for side in self.sides if side.id == side_id)

    def extent(self, extent_id: str) -> ExtentWords:
        return next(extent for extent in self.extents if extent.id == extent_id)


@dataclass(frozen=True)
class NoteField:
    """One text of an interview's record, and who writes it."""

    id: str  # e.g. "recommendations": the `note` command's `field`
    label: Words  # over the field on the writer's phone
    heading: Words  # in the summary and the downloads
    writers: frozenset[str]
    rows: int = 3
    cards_after: bool = False  # the card explanations follow this field in the record
    summary: bool = True  # counts as "recorded" on the dashboard (the reporter has written)
    gathered: bool = False  # one recommendation a line, brought together by factor in the summary


@dataclass(frozen=True)
class Format:
    """The whole shape of one game. Built by app.deck from a validated file."""

    id: str
    title: Words
    script: str  # the id of the interviewer's script (cards/<script>.<language>.yaml)
    max_seats: int
    roles: tuple[RoleSpec, ...]
    steps: tuple[Step, ...]
    board: BoardWords
    notes: tuple[NoteField, ...]

    # --- roles ---

    def role(self, role_id: str) -> RoleSpec:
        for role in self.roles:
            if role.id == role_id:
                return role
        raise KeyError(role_id)

    @property
    def role_ids(self) -> tuple[str, ...]:
        return tuple(role.id for role in self.roles)

    @property
    def single_roles(self) -> tuple[str, ...]:
        """Roles one phone holds at a time (every role with a number of seats)."""
        return tuple(role.id for role in self.roles if role.seats is not None)

    @property
    def leaders(self) -> tuple[str, ...]:
        """The roles that lead a step (and lay the cards in it), in step order, once each."""
        return tuple(dict.fromkeys(step.leader for step in self.steps))

    def steps_led_by(self, role_id: str) -> tuple[int, ...]:
        return tuple(step.number for step in self.steps if step.leader == role_id)

    # --- steps ---

    @property
    def rounds(self) -> int:
        return len(self.steps)

    def step(self, number: int) -> Step:
        """The step a round number names; out of range is a programming error."""
        return self.steps[number - 1]

    def plan(self) -> tuple[int | None, ...]:
        """Each step's minutes (None: the workshop's round length), as the clock keeps them."""
        return tuple(step.minutes for step in self.steps)

    # --- notes ---

    @property
    def note_ids(self) -> tuple[str, ...]:
        return tuple(note.id for note in self.notes)

    def note(self, field_id: str) -> NoteField:
        for note in self.notes:
            if note.id == field_id:
                return note
        raise KeyError(field_id)

    def notes_of(self, role_id: str) -> tuple[NoteField, ...]:
        """The fields ``role_id`` writes, in the record's order."""
        return tuple(note for note in self.notes if role_id in note.writers)

    def may_explain(self, role_id: str) -> bool:
        """Writes card explanations although it does not lay cards (the reporter)."""
        return role_id in self.board.explainers
