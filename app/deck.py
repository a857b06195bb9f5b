"""Decks, interviewer's scripts and game formats: the one schema for ``cards/`` and its loader.

Every deck (factor cards, outcome cards) and every interviewer's script is a YAML file in
``cards/`` named ``<id>.<language>.yaml``; its top-level ``kind`` says which it is
(``factors``, ``outcomes`` or ``script``). A game's format (app.game.format: roles, steps,
board words, note fields) is one file for both languages, ``<id>.format.yaml`` with
``kind: format``. The pydantic models below are the schema, and :func:`load_library`
validates the whole directory at once: it raises :class:`DeckError`, naming file, line and
key, on the first problem, so a broken deck or format never reaches a table.

Check the files by hand with ``python -m app.deck [directory]``.
"""

from __future__ import annotations

import argparse
import sys
import types
import typing
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Self, TypeVar

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from app.game import format as game
from app.game.board import Extent, Side
from app.game.roles import MAX_SEATS
from app.i18n import N_

__all__ = [
    "Card",
    "Category",
    "ConversionType",
    "Deck",
    "DeckError",
    "Factor",
    "FormatFile",
    "Library",
    "Script",
    "ScriptStep",
    "deck_data",
    "default_cards_dir",
    "load_library",
]

Language = Literal["nl", "en"]
LANGUAGES: tuple[Language, ...] = ("nl", "en")
# The Dutch files are the source; the English ones are checked against them.
SOURCE_LANGUAGE: Language = "nl"

# Trimmed and non-empty: an empty title would print a blank card.
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
# Card ids join a code and a copy number with "-", so codes stay letters and digits.
Code = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]*$")]
# Ids appear in file names and URLs.
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]*$")]

Loc = tuple[str | int, ...]


class _Schema(BaseModel):
    # Strict: YAML already yields real ints and bools, so copies: "2" is a typo, not a number.
    model_config = ConfigDict(extra="forbid", strict=True)
    # Fields the loader fills in from a value's position; not offered as keys to write.
    _derived_fields: ClassVar[frozenset[str]] = frozenset()


# A problem as an English message id and its parameters: translated where it is shown to a
# facilitator (app.deck_files), printed as it is for whoever edits cards/.
Problem = tuple[str, dict[str, Any]]


def _problem(template: str, **params: Any) -> Problem:
    return template, params


def _text(problem: Problem) -> str:
    template, params = problem
    return template % params if params else template


class _RuleViolation(ValueError):
    """A rule that spans fields, raised from a validator with the exact location.

    Pydantic keeps the exception in the error's ctx, so the loader can still point at the
    offending key's line although the validator runs on the whole model.
    """

    def __init__(self, loc: Loc, problem: Problem | str) -> None:
        self.problem: Problem = (problem, {}) if isinstance(problem, str) else problem
        self.loc = loc
        self.message = _text(self.problem)
        super().__init__(f"{_dotted(loc)}: {self.message}" if loc else self.message)


class Factor(_Schema):
    """One factor (or outcome): what a card shows, plus its research reference."""

    _derived_fields = frozenset({"category", "blank"})

    code: Code
    title: Text
    subtitle: Text
    category: str  # the enclosing category's code ("" for the blank card), set by Deck
    research_stimulating: int | None = Field(default=None, ge=0, le=100)
    blank: bool = False  # True only for the deck's "Anders, namelijk …" card


class Category(_Schema):
    code: Code
    title: Text
    factors: list[Factor] = Field(min_length=1)

    @property
    def codes(self) -> list[str]:
        return [factor.code for factor in self.factors]


class ConversionType(_Schema):
    """One of the research's types of conversion factor, and the factors of that type.

    The research chart groups factors this way (personal, social, work/organisation,
    system) rather than by the deck's categories; a deck may carry that grouping too.
    """

    code: Code
    title: Text
    factors: list[Code] = Field(min_length=1)  # factor codes, in the order the chart lists them

    @property
    def codes(self) -> list[str]:
        return list(self.factors)


# "copy" is the domain's word for which of the identical cards this is; it shadows
# BaseModel.copy, which pydantic 2 deprecates in favour of model_copy anyway.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message='Field name "copy"', category=UserWarning)

    class Card(BaseModel, frozen=True):
        """One physical card: a factor and which of its identical copies (1-based)."""

        id: str
        factor_code: str
        copy: int  # type: ignore[assignment]


class Deck(_Schema):
    """A deck of cards in one language: factor cards or outcome cards."""

    id: Slug
    language: Language
    kind: Literal["factors", "outcomes"]
    title: Text
    credit: str = ""
    copies: int = Field(ge=1, le=4)
    categories: list[Category] = Field(min_length=1)
    blank: Factor | None = None
    conversion_types: list[ConversionType] = []

    @model_validator(mode="before")
    @classmethod
    def _fill_derived(cls, data: Any) -> Any:
        """Give each factor its category and blank flag from where it sits in the file."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        categories = data.get("categories")
        if isinstance(categories, list):
            data["categories"] = [_fill_category(category) for category in categories]
        if isinstance(data.get("blank"), dict):
            # Explicit values win, so that the rules below can report a contradiction.
            data["blank"] = {"category": "", "blank": True, **data["blank"]}
        return data

    @model_validator(mode="after")
    def _check_rules(self) -> Self:
        for loc, problem in self._problems():
            raise _RuleViolation(loc, problem)
        return self

    def _problems(self) -> Iterator[tuple[Loc, Problem]]:
        category_at: dict[str, int] = {}
        factor_at: dict[str, str] = {}  # code -> where it first appears

        def duplicate(code: str) -> Problem:
            return _problem(
                N_("duplicate factor code %(code)r (also %(where)s)"),
                code=code,
                where=factor_at[code],
            )

        for i, category in enumerate(self.categories):
            if category.code in category_at:
                first = f"categories[{category_at[category.code]}]"
                message = _problem(
                    N_("duplicate category code %(code)r (also %(where)s)"),
                    code=category.code,
                    where=first,
                )
                yield ("categories", i, "code"), message
            category_at.setdefault(category.code, i)
            for j, factor in enumerate(category.factors):
                loc: Loc = ("categories", i, "factors", j)
                if factor.code in factor_at:
                    yield (*loc, "code"), duplicate(factor.code)
                factor_at.setdefault(factor.code, _dotted(loc))
                if not factor.code.startswith(category.code) or factor.code == category.code:
                    message = _problem(
                        N_(
                            "factor code %(code)r must start with its category code "
                            "%(category)r, e.g. %(example)r"
                        ),
                        code=factor.code,
                        category=category.code,
                        example=category.code + "1",
                    )
                    yield (*loc, "code"), message
                if factor.category != category.code:
                    message = _problem(
                        N_(
                            "%(given)r contradicts the enclosing category %(code)r; leave the key out"
                        ),
                        given=factor.category,
                        code=category.code,
                    )
                    yield (*loc, "category"), message
                if factor.blank:
                    yield (
                        (*loc, "blank"),
                        _problem(N_("only the deck's own blank card can be blank")),
                    )
        if self.blank is not None:
            if self.blank.code in factor_at:
                yield ("blank", "code"), duplicate(self.blank.code)
            if self.blank.category:
                message = _problem(N_("the blank card has no category; leave the key out"))
                yield ("blank", "category"), message
            if not self.blank.blank:
                message = _problem(N_("the blank card must be blank; leave the key out"))
                yield ("blank", "blank"), message
        yield from self._type_problems(factor_at)

    def _type_problems(self, factor_at: dict[str, str]) -> Iterator[tuple[Loc, Problem]]:
        """Conversion types, if given, put every factor (not the blank card) in exactly one."""
        if not self.conversion_types:
            return
        typed: dict[str, str] = {}
        for i, kind in enumerate(self.conversion_types):
            for j, code in enumerate(kind.factors):
                loc: Loc = ("conversion_types", i, "factors", j)
                if code not in factor_at:
                    yield loc, _problem(N_("%(code)r is not a factor of this deck"), code=code)
                elif code in typed:
                    yield (
                        loc,
                        _problem(
                            N_("factor %(code)r already has a type (%(type)s)"),
                            code=code,
                            type=typed[code],
                        ),
                    )
                typed.setdefault(code, kind.code)
        untyped = [code for code in factor_at if code not in typed]
        if untyped:
            message = _problem(N_("factors without a type: %(codes)s"), codes=", ".join(untyped))
            yield ("conversion_types",), message

    def factors(self) -> list[Factor]:
        """Every factor in deck order, the blank card last."""
        every = [factor for category in self.categories for factor in category.factors]
        return every + ([self.blank] if self.blank is not None else [])

    def factor(self, code: str) -> Factor:
        for factor in self.factors():
            if factor.code == code:
                return factor
        raise KeyError(code)

    def cards(self) -> list[Card]:
        """Every physical card: each factor (blank included) times ``copies``."""
        return [
            Card(id=f"{factor.code}-{n}", factor_code=factor.code, copy=n)
            for factor in self.factors()
            for n in range(1, self.copies + 1)
        ]

    def card(self, card_id: str) -> Card:
        found = self.card_or_none(card_id)
        if found is None:
            raise KeyError(card_id)
        return found

    def card_or_none(self, card_id: str) -> Card | None:
        return self._cards_by_id.get(card_id)

    @cached_property
    def _cards_by_id(self) -> dict[str, Card]:
        # Looked up for every card a phone lays: built once per (immutable) deck, not per move.
        return {card.id: card for card in self.cards()}


def deck_data(deck: Deck) -> dict[str, Any]:
    """The deck as its file writes it: what ``Deck.model_validate`` reads back unchanged.

    Leaves out what the loader derives (each factor's category, the blank flag) and the
    keys left at their defaults, so that a copy reads like the file it came from.
    """
    data = deck.model_dump(mode="json", exclude_defaults=True)
    for category in data["categories"]:
        for factor in category["factors"]:
            factor.pop("category", None)
    if "blank" in data:
        data["blank"].pop("category", None)
        data["blank"].pop("blank", None)
    return data


def _fill_category(category: Any) -> Any:
    if not isinstance(category, dict) or not isinstance(category.get("factors"), list):
        return category
    code = category.get("code")
    derived = {"category": code if isinstance(code, str) else "", "blank": False}
    factors = [
        {**derived, **factor} if isinstance(factor, dict) else factor
        for factor in category["factors"]
    ]
    return {**category, "factors": factors}


class ScriptStep(_Schema):
    """One numbered question of the interviewer's script."""

    number: int = Field(ge=1)
    text: Text
    substeps: list[Text] = []
    side: Literal["stimulating", "hindering"] | None = None  # the board half it fills
    asks: Literal["respondent", "observer"] = "respondent"
    optional: bool = False


class Script(_Schema):
    """The interviewer's script in one language."""

    id: Slug
    language: Language
    kind: Literal["script"] = "script"  # in the file it tells a script from a deck
    title: Text
    steps: list[ScriptStep] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_numbering(self) -> Self:
        for i, step in enumerate(self.steps):
            if step.number != i + 1:
                raise _RuleViolation(
                    ("steps", i, "number"),
                    f"steps must be numbered 1, 2, 3, … in order: expected {i + 1}, "
                    f"got {step.number}",
                )
        return self


# --- the game's format: one file, both languages ------------------------------------------

# Role and note field ids: stored on seats and notes, sent on the wire, used in CSS classes.
Ident = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=32)]
SideId = Literal["stimulating", "hindering"]
ExtentId = Literal["limited", "large"]


class Translated(_Schema):
    """A text in each language. The format's words live in its file, not in the catalogues,
    so that a format (and a workshop's copy of it) brings its own translations."""

    nl: Text
    en: Text

    def words(self) -> game.Words:
        return game.Words(tuple((language, getattr(self, language)) for language in LANGUAGES))


class RoleFile(_Schema):
    id: Ident
    name: Translated
    short: Translated  # a few letters, for the dashboard's seat chips
    task: Translated
    seats: int | None = Field(default=None, ge=1, le=MAX_SEATS)  # left out: everyone else
    asks: bool = False  # reads the interviewer's script
    record: Translated | None = None  # the heading over the notes this role writes


class StepFile(_Schema):
    leader: Ident
    minutes: int | None = Field(default=None, ge=1, le=120)  # left out: the workshop's


class SideFile(_Schema):
    id: SideId
    where: Translated
    question: Translated
    zones: dict[ExtentId, Translated]
    tag: Translated
    lies: Translated


class ExtentFile(_Schema):
    id: ExtentId
    name: Translated


class BoardFile(_Schema):
    sides: list[SideFile]
    extents: list[ExtentFile]
    lies_both: Translated
    explainers: list[Ident] = []


class NoteFile(_Schema):
    id: Ident
    label: Translated
    heading: Translated | None = None  # in the summary and downloads; default: the label
    writers: list[Ident] = Field(min_length=1)
    rows: int = Field(default=3, ge=1, le=20)
    cards_after: bool = False
    summary: bool = True
    gathered: bool = False


class FormatFile(_Schema):
    """A game's format, as written in ``cards/<id>.format.yaml``."""

    id: Slug
    kind: Literal["format"]
    title: Translated
    script: Slug
    max_seats: int = Field(ge=1, le=MAX_SEATS)
    roles: list[RoleFile] = Field(min_length=1)
    steps: list[StepFile] = Field(min_length=1, max_length=12)
    board: BoardFile
    notes: list[NoteFile] = []

    @model_validator(mode="after")
    def _check_rules(self) -> Self:
        for loc, message in self._problems():
            raise _RuleViolation(loc, message)
        return self

    def _problems(self) -> Iterator[tuple[Loc, str]]:
        roles: dict[str, int] = {}
        for i, role in enumerate(self.roles):
            if role.id in roles:
                yield (
                    ("roles", i, "id"),
                    f"duplicate role {role.id!r} (also roles[{roles[role.id]}])",
                )
            roles.setdefault(role.id, i)
        counted = sum(role.seats or 0 for role in self.roles)
        if counted > self.max_seats:
            yield (
                ("max_seats",),
                f"the roles' seats add up to {counted}, more than {self.max_seats}",
            )

        def unknown(loc: Loc, role: str) -> Iterator[tuple[Loc, str]]:
            if role not in roles:
                yield loc, f"{role!r} is not a role of this format ({', '.join(roles)})"

        for i, step in enumerate(self.steps):
            yield from unknown(("steps", i, "leader"), step.leader)
            if step.leader in roles and self.roles[roles[step.leader]].seats != 1:
                yield ("steps", i, "leader"), "a step's leader must be a role of one seat"
        for i, role_id in enumerate(self.board.explainers):
            yield from unknown(("board", "explainers", i), role_id)
        for key, ids, wanted in (
            ("sides", [side.id for side in self.board.sides], [s.value for s in Side]),
            ("extents", [extent.id for extent in self.board.extents], [e.value for e in Extent]),
        ):
            if sorted(ids) != sorted(wanted):
                yield ("board", key), f"must name each of {', '.join(wanted)} once"
        for i, side in enumerate(self.board.sides):
            if sorted(side.zones) != sorted(e.value for e in Extent):
                message = f"must name the zone of each extent: {', '.join(e.value for e in Extent)}"
                yield ("board", "sides", i, "zones"), message
        notes: dict[str, int] = {}
        for i, note in enumerate(self.notes):
            if note.id in notes:
                yield (
                    ("notes", i, "id"),
                    f"duplicate note field {note.id!r} (also notes[{notes[note.id]}])",
                )
            notes.setdefault(note.id, i)
            for j, writer in enumerate(note.writers):
                yield from unknown(("notes", i, "writers", j), writer)

    def to_format(self) -> game.Format:
        """The pure core's value (app.game.format), frozen."""
        return game.Format(
            id=self.id,
            title=self.title.words(),
            script=self.script,
            max_seats=self.max_seats,
            roles=tuple(
                game.RoleSpec(
                    id=role.id,
                    name=role.name.words(),
                    short=role.short.words(),
                    task=role.task.words(),
                    seats=role.seats,
                    asks=role.asks,
                    record=role.record.words() if role.record else None,
                )
                for role in self.roles
            ),
            steps=tuple(
                game.Step(number=i + 1, leader=step.leader, minutes=step.minutes)
                for i, step in enumerate(self.steps)
            ),
            board=game.BoardWords(
                sides=tuple(
                    game.SideWords(
                        id=side.id,
                        where=side.where.words(),
                        question=side.question.words(),
                        # In the board's extent order, whatever order the file wrote them in.
                        zones=tuple(
                            (extent.id, side.zones[extent.id].words())
                            for extent in self.board.extents
                        ),
                        tag=side.tag.words(),
                        lies=side.lies.words(),
                    )
                    for side in self.board.sides
                ),
                extents=tuple(
                    game.ExtentWords(id=extent.id, name=extent.name.words())
                    for extent in self.board.extents
                ),
                lies_both=self.board.lies_both.words(),
                explainers=frozenset(self.board.explainers),
            ),
            notes=tuple(
                game.NoteField(
                    id=note.id,
                    label=note.label.words(),
                    heading=(note.heading or note.label).words(),
                    writers=frozenset(note.writers),
                    rows=note.rows,
                    cards_after=note.cards_after,
                    summary=note.summary,
                    gathered=note.gathered,
                )
                for note in self.notes
            ),
        )


class DeckError(Exception):
    """A problem in ``cards/`` (or an uploaded deck), located as precisely as the file allows.

    ``problem`` is the message as an English message id and its parameters, and ``kind``
    pydantic's error type where pydantic found it: app.deck_files translates from them.
    """

    def __init__(
        self,
        path: Path,
        line: int | None,
        location: str,
        message: str,
        problem: Problem | None = None,
        kind: str = "",
    ) -> None:
        self.path = path
        self.line = line
        self.location = location
        self.message = message
        self.problem: Problem = problem or (message, {})
        self.kind = kind
        super().__init__(str(self))

    def __str__(self) -> str:
        head = str(_display_path(self.path))
        if self.line is not None:
            head += f", line {self.line}"
        if self.location:
            head += f", {self.location}"
        return f"{head}: {self.message}"


@dataclass(frozen=True)
class Library:
    """Every deck and script in ``cards/``, validated and paired across languages."""

    decks: dict[tuple[str, str], Deck]  # (deck id, language) -> Deck
    scripts: dict[str, Script]  # language -> Script
    formats: dict[str, game.Format]  # format id -> Format (both languages in one)
    # The validated files behind ``formats``: what a workshop's frozen copy stores.
    format_files: dict[str, FormatFile]

    def deck(self, deck_id: str, language: str) -> Deck:
        return self.decks[(deck_id, language)]

    def deck_ids(self) -> list[str]:
        """Distinct deck ids, factor decks first, then alphabetically."""
        kinds = {deck_id: deck.kind for (deck_id, _), deck in self.decks.items()}
        return sorted(kinds, key=lambda deck_id: (kinds[deck_id] != "factors", deck_id))

    def script(self, language: str) -> Script:
        return self.scripts[language]

    def format(self, format_id: str) -> game.Format:
        return self.formats[format_id]


def default_cards_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "cards"


# --- loading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Source:
    """A parsed file: its data, and its node tree for finding the line of any key."""

    path: Path
    data: Any
    root: yaml.Node | None

    def line(self, loc: Loc) -> int | None:
        """The 1-based line of the value at ``loc``, or of the nearest enclosing one."""
        node = self.root
        if node is None:
            return None
        line: int | None = node.start_mark.line + 1
        for depth, part in enumerate(loc):
            last = depth == len(loc) - 1
            if isinstance(node, yaml.MappingNode) and isinstance(part, str):
                pair = next((kv for kv in node.value if _scalar(kv[0]) == part), None)
                if pair is None:
                    # A missing key: point at its mapping, unless that is the whole file.
                    return None if node is self.root else line
                # A key's own line reads best for scalars and for unknown keys alike.
                line = (pair[0] if last else pair[1]).start_mark.line + 1
                node = pair[1]
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                if not 0 <= part < len(node.value):
                    return line
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                return line
        return line


def load_library(directory: Path) -> Library:
    """Load and validate every deck and script in ``directory``; all or nothing."""
    directory = Path(directory)
    if not directory.is_dir():
        raise DeckError(directory, None, "", "not a directory of decks")
    paths = sorted(
        path
        for path in directory.iterdir()
        if path.is_file() and not path.name.startswith(".") and path.suffix in (".yaml", ".yml")
    )
    if not paths:
        raise DeckError(directory, None, "", "no <id>.<language>.yaml files here")

    decks: dict[tuple[str, str], tuple[Deck, _Source]] = {}
    scripts: dict[str, tuple[Script, _Source]] = {}
    formats: dict[str, tuple[FormatFile, _Source]] = {}
    for path in paths:
        item, source = _load_file(path)
        if isinstance(item, FormatFile):
            formats[item.id] = (item, source)
        elif isinstance(item, Script):
            if item.language in scripts:
                other = scripts[item.language][1].path.name
                raise DeckError(path, None, "", f"a second {item.language} script ({other})")
            scripts[item.language] = (item, source)
        else:
            decks[(item.id, item.language)] = (item, source)

    _check_deck_pairs(decks)
    _check_scripts(scripts, directory)
    if not any(deck.kind == "factors" for deck, _ in decks.values()):
        raise DeckError(directory, None, "", "no factor deck (a file with kind: factors)")
    if not formats:
        raise DeckError(directory, None, "", "no format: add <id>.format.yaml with kind: format")
    script_ids = {script.id for script, _ in scripts.values()}
    for item, source in formats.values():
        if item.script not in script_ids:
            message = f"no script {item.script!r} here (there is {', '.join(sorted(script_ids))})"
            raise DeckError(source.path, source.line(("script",)), "script", message)
    return Library(
        decks={key: deck for key, (deck, _) in decks.items()},
        scripts={language: script for language, (script, _) in scripts.items()},
        formats={format_id: item.to_format() for format_id, (item, _) in formats.items()},
        format_files={format_id: item for format_id, (item, _) in formats.items()},
    )


def _load_file(path: Path) -> tuple[Deck | Script | FormatFile, _Source]:
    parts = path.name.split(".")
    if len(parts) == 3 and parts[0] and parts[1:] == ["format", "yaml"]:
        return _load_format(path, parts[0])
    if len(parts) != 3 or parts[2] != "yaml" or not parts[0] or parts[1] not in LANGUAGES:
        raise DeckError(
            path, None, "", "file name must be <id>.<language>.yaml with language nl or en"
        )
    source = _parse(path)
    if not isinstance(source.data, dict):
        raise DeckError(path, None, "", "expected keys (id, language, kind, …) at the top level")

    model: type[Deck] | type[Script]
    kind = source.data.get("kind")
    if kind == "script":
        model = Script
    elif kind in ("factors", "outcomes"):
        model = Deck
    elif "kind" not in source.data:
        raise DeckError(path, None, "kind", "Field required (factors, outcomes or script)")
    else:
        raise DeckError(
            path,
            source.line(("kind",)),
            "kind",
            f"Input should be 'factors', 'outcomes' or 'script', not {kind!r}",
        )
    item = _validate(source, model)

    # The name is how others find a file, so it may not disagree with what is inside.
    for key, expected in (("id", parts[0]), ("language", parts[1])):
        actual = getattr(item, key)
        if actual != expected:
            raise DeckError(
                path,
                source.line((key,)),
                key,
                f"{actual!r} does not match the file name {path.name} (expected {expected!r})",
            )
    return item, source


def _load_format(path: Path, format_id: str) -> tuple[FormatFile, _Source]:
    source = _parse(path)
    if not isinstance(source.data, dict):
        raise DeckError(
            path, None, "", "expected keys (id, kind, roles, steps, …) at the top level"
        )
    if source.data.get("kind") != "format":
        kind = source.data.get("kind")
        message = (
            "Field required (format)"
            if kind is None
            else f"a .format.yaml file has kind: format, not {kind!r}"
        )
        raise DeckError(path, source.line(("kind",)), "kind", message)
    item = _validate(source, FormatFile)
    assert isinstance(item, FormatFile)
    if item.id != format_id:
        message = f"{item.id!r} does not match the file name {path.name} (expected {format_id!r})"
        raise DeckError(path, source.line(("id",)), "id", message)
    return item, source


def _parse(path: Path) -> _Source:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DeckError(path, None, "", f"not UTF-8 text ({exc.reason})") from None
    return parse_text(path, text)


def parse_text(path: Path, text: str, *, aliases: bool = True) -> _Source:
    """Parse one file's text (``path`` names it in messages). ``aliases=False`` refuses
    YAML anchors and aliases, which can make a small upload expand into a huge document."""
    try:
        # compose gives the node tree with line marks; safe_load gives the plain data.
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "syntax error"
        if exc.context and exc.problem:
            # Where the parser noticed is often a line after the mistake; say where it began.
            began = f" that starts on line {exc.context_mark.line + 1}" if exc.context_mark else ""
            problem += f" ({exc.context}{began})"
        line = mark.line + 1 if mark else None
        raise DeckError(path, line, "", f"invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise DeckError(path, None, "", f"invalid YAML: {exc}") from None
    except RecursionError:
        raise DeckError(path, None, "", "invalid YAML: nested too deeply") from None
    if not aliases:
        _refuse_aliases(path, root)
    source = _Source(path=path, data=data, root=root)
    _check_duplicate_keys(source, root, ())
    return source


def _refuse_aliases(path: Path, root: yaml.Node | None) -> None:
    """An alias is the same node reached twice: found in one pass, before anything walks
    the tree as a tree (which an alias bomb would make exponential)."""
    seen: set[int] = set()
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if id(node) in seen:
            line = node.start_mark.line + 1
            message = N_("anchors and aliases (& and *) are not allowed here; write the values out")
            raise DeckError(path, line, "", message, (message, {}))
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            stack.extend(part for pair in node.value for part in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def _check_duplicate_keys(source: _Source, node: yaml.Node | None, loc: Loc) -> None:
    # PyYAML silently keeps the last of two equal keys; an author never means that.
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node)
            if key is not None and key != "<<":
                line = key_node.start_mark.line + 1
                if key in seen:
                    raise DeckError(
                        source.path,
                        line,
                        _dotted((*loc, key)),
                        f"duplicate key (first on line {seen[key]})",
                    )
                seen[key] = line
            _check_duplicate_keys(source, value_node, (*loc, key or "?"))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _check_duplicate_keys(source, item, (*loc, index))


def _validate(
    source: _Source, model: type[Deck] | type[Script] | type[FormatFile]
) -> Deck | Script | FormatFile:
    if model is Deck:
        return validate(source.path, source.data, Deck, source.line)
    if model is FormatFile:
        return validate(source.path, source.data, FormatFile, source.line)
    return validate(source.path, source.data, Script, source.line)


M = TypeVar("M", Deck, Script, FormatFile)


def validate(path: Path, data: Any, model: type[M], line_of: Callable[[Loc], int | None]) -> M:
    """``data`` as a ``model``, or the DeckError of its earliest problem (``line_of`` finds
    the line, or row, of a location in whatever the data was read from)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [_describe(line_of, model, error) for error in exc.errors()]
    # Report the earliest problem in the file; file-wide ones (no line) come first.
    line, loc, message, problem, kind = min(problems, key=lambda p: -1 if p[0] is None else p[0])
    raise DeckError(path, line, _dotted(loc), message, problem, kind)


def _describe(
    line_of: Callable[[Loc], int | None], model: type[BaseModel], error: Any
) -> tuple[int | None, Loc, str, Problem, str]:
    loc: Loc = tuple(error["loc"])
    message: str = error["msg"]
    kind: str = error["type"]
    params: dict[str, Any] = dict(error.get("ctx") or {})
    problem: Problem | None = None
    cause = params.get("error")
    if isinstance(cause, _RuleViolation):
        loc, message, problem, kind = (*loc, *cause.loc), cause.message, cause.problem, ""
    elif error["type"].endswith(("_type", "_parsing", "literal_error")) and not isinstance(
        error.get("input"), dict | list
    ):
        message += f", got {error['input']!r}"
        params["input"] = error["input"]
    elif error["type"] == "extra_forbidden":
        allowed = _allowed_keys(model, loc[:-1])
        template = N_("unknown key %(key)r")
        message = f"unknown key {loc[-1]!r}"
        if allowed:
            template = N_("unknown key %(key)r; expected one of: %(keys)s")
            message += f"; expected one of: {', '.join(allowed)}"
        problem = (template, {"key": loc[-1], "keys": ", ".join(allowed)})
    if problem is None:
        # Pydantic's own message; app.deck_files words the common kinds itself (with params).
        problem = (message, params)
    return line_of(loc), loc, message, problem, kind


def _allowed_keys(model: type[BaseModel], loc: Loc) -> list[str]:
    """The keys an author may write at ``loc``, found by following the model's fields."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not _is_model(current) or part not in current.model_fields:
            return []
        current = _unwrap(current.model_fields[part].annotation)
    if not _is_model(current):
        return []
    derived: frozenset[str] = getattr(current, "_derived_fields", frozenset())
    return [name for name in current.model_fields if name not in derived]


def _unwrap(annotation: Any) -> Any:
    """``list[X]`` and ``X | None`` -> ``X``: the model a nested key belongs to."""
    while True:
        origin = typing.get_origin(annotation)
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if origin in (list, typing.Union, types.UnionType) and len(args) == 1:
            annotation = args[0]
        else:
            return annotation


def _is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)


def _check_deck_pairs(decks: dict[tuple[str, str], tuple[Deck, _Source]]) -> None:
    """Each deck exists in both languages with the same codes, copies and reference data."""
    for deck_id in sorted({deck_id for deck_id, _ in decks}):
        source_pair = decks.get((deck_id, SOURCE_LANGUAGE))
        for language in LANGUAGES:
            pair = decks.get((deck_id, language))
            if pair is None:
                existing = next(p for (i, _), p in decks.items() if i == deck_id)[1].path
                raise DeckError(
                    existing,
                    None,
                    "",
                    f"no {language} version: add {deck_id}.{language}.yaml with the same codes",
                )
            if source_pair is None or language == SOURCE_LANGUAGE:
                continue
            (source_deck, source), (deck, translation) = source_pair, pair
            difference = _deck_difference(source_deck, deck, source.path.name)
            if difference is not None:
                loc, message = difference
                raise DeckError(translation.path, translation.line(loc), _dotted(loc), message)


def _deck_difference(source: Deck, translation: Deck, source_name: str) -> tuple[Loc, str] | None:
    """The first place where ``translation`` departs from the structure of ``source``."""

    def differs(loc: Loc, theirs: object, ours: object, what: str = "") -> tuple[Loc, str]:
        return loc, f"{ours!r}{what} does not match {theirs!r} in {source_name}"

    for key in ("kind", "copies"):
        if getattr(source, key) != getattr(translation, key):
            return differs((key,), getattr(source, key), getattr(translation, key))
    if len(source.categories) != len(translation.categories):
        return differs(
            ("categories",), len(source.categories), len(translation.categories), " categories"
        )
    for i, (theirs, ours) in enumerate(zip(source.categories, translation.categories, strict=True)):
        if theirs.code != ours.code:
            return differs(("categories", i, "code"), theirs.code, ours.code)
        if len(theirs.factors) != len(ours.factors):
            return differs(
                ("categories", i, "factors"), len(theirs.factors), len(ours.factors), " factors"
            )
        for j, (a, b) in enumerate(zip(theirs.factors, ours.factors, strict=True)):
            for key in ("code", "research_stimulating"):
                if getattr(a, key) != getattr(b, key):
                    return differs(
                        ("categories", i, "factors", j, key), getattr(a, key), getattr(b, key)
                    )
    if [(t.code, t.factors) for t in source.conversion_types] != [
        (t.code, t.factors) for t in translation.conversion_types
    ]:
        return differs(
            ("conversion_types",),
            [t.code for t in source.conversion_types],
            [t.code for t in translation.conversion_types],
            " (codes or factors of the conversion types)",
        )
    if (source.blank is None) != (translation.blank is None):
        has = "has" if translation.blank is not None else "has no"
        return ("blank",), f"{has} blank card, unlike {source_name}"
    if source.blank is not None and translation.blank is not None:
        for key in ("code", "research_stimulating"):
            if getattr(source.blank, key) != getattr(translation.blank, key):
                return differs(
                    ("blank", key), getattr(source.blank, key), getattr(translation.blank, key)
                )
    return None


def _check_scripts(scripts: dict[str, tuple[Script, _Source]], directory: Path) -> None:
    """A script exists in both languages, with the same steps, sides and roles."""
    for language in LANGUAGES:
        if language not in scripts:
            raise DeckError(
                directory,
                None,
                "",
                f"there is no {language} script: add script.{language}.yaml with kind: script",
            )
    source_script, source = scripts[SOURCE_LANGUAGE]
    for language in LANGUAGES:
        if language == SOURCE_LANGUAGE:
            continue
        script, translation = scripts[language]
        loc: Loc
        if len(script.steps) != len(source_script.steps):
            loc = ("steps",)
            message = (
                f"{len(script.steps)} steps do not match {len(source_script.steps)} "
                f"in {source.path.name}"
            )
            raise DeckError(translation.path, translation.line(loc), _dotted(loc), message)
        for i, (theirs, ours) in enumerate(zip(source_script.steps, script.steps, strict=True)):
            for key in ("side", "asks", "optional"):
                if getattr(theirs, key) != getattr(ours, key):
                    loc = ("steps", i, key)
                    message = (
                        f"{getattr(ours, key)!r} does not match {getattr(theirs, key)!r} "
                        f"in {source.path.name}"
                    )
                    raise DeckError(translation.path, translation.line(loc), _dotted(loc), message)
            if len(theirs.substeps) != len(ours.substeps):
                loc = ("steps", i, "substeps")
                message = (
                    f"{len(ours.substeps)} substeps do not match {len(theirs.substeps)} "
                    f"in {source.path.name}"
                )
                raise DeckError(translation.path, translation.line(loc), _dotted(loc), message)


# --- small helpers ------------------------------------------------------------------------


def _scalar(node: yaml.Node) -> str | None:
    return node.value if isinstance(node, yaml.ScalarNode) else None


def _dotted(loc: Loc) -> str:
    """``("categories", 0, "title")`` -> ``categories[0].title``, as an author reads it."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _display_path(path: Path) -> Path:
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path


# --- command line -------------------------------------------------------------------------


def _summary(item: Deck | Script | game.Format) -> str:
    if isinstance(item, game.Format):
        leaders = ", ".join(step.leader for step in item.steps)
        return (
            f"format {item.title('en')!r}: {len(item.roles)} roles, {item.rounds} steps "
            f"(led by {leaders}), {len(item.notes)} note fields"
        )
    if isinstance(item, Script):
        return f"script {item.title!r}: {len(item.steps)} steps"
    factors = sum(len(category.factors) for category in item.categories)
    blank = " + blank" if item.blank is not None else ""
    return (
        f"{item.kind} deck {item.title!r}: {len(item.categories)} categories, "
        f"{factors} factors{blank}, {len(item.cards())} cards ({item.copies} per factor)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m app.deck",
        description="Check the decks, scripts and formats in a cards directory.",
    )
    parser.add_argument(
        "directory", nargs="?", type=Path, default=None, help="default: the repository's cards/"
    )
    directory: Path = parser.parse_args(argv).directory or default_cards_dir()
    try:
        library = load_library(directory)
    except DeckError as exc:
        print(exc, file=sys.stderr)
        return 1
    items: list[Deck | Script] = [*library.decks.values(), *library.scripts.values()]
    for item in sorted(items, key=lambda item: f"{item.id}.{item.language}"):
        print(f"{_display_path(directory / f'{item.id}.{item.language}.yaml')}: {_summary(item)}")
    for format_id, found in sorted(library.formats.items()):
        print(f"{_display_path(directory / f'{format_id}.format.yaml')}: {_summary(found)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
