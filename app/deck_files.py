"""A facilitator's own deck: read from an uploaded file or the editor, checked, explained.

The schema is app.deck's (the one ``cards/`` uses); this module adds what an upload needs:
a CSV reader (``category,code,title,subtitle``, for decks kept in a spreadsheet), limits
(file size, cards, text lengths), the language rule, and every problem worded for the
facilitator in their language, with the line (YAML) or row (CSV) it is on.

The language rule: an own deck is given in one language or both. The workshop's language
must be among them; a phone in the other language then sees the cards in the workshop's
language. Two languages must have the same structure, as in ``cards/``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from app.deck import (
    LANGUAGES,
    Deck,
    DeckError,
    Loc,
    _deck_difference,
    _dotted,
    deck_data,
    parse_text,
    validate,
)
from app.i18n import N_
from app.web import translate

# An uploaded file: the real decks are about 8 KB, so this leaves room for a large one.
MAX_FILE_BYTES = 256 * 1024
# Cards in one deck (factors times copies, the blank card included): a table's hand stays
# something a phone can scroll; the research deck has 56.
MAX_CARDS = 200
MAX_CODE = 8  # Placement.factor's column
MAX_ID = 40  # Workshop.deck_id's column
MAX_TITLE = 80  # a card's title (the longest in cards/ has 42 characters)
MAX_SUBTITLE = 200
MAX_DECK_TITLE = 120

CSV_COLUMNS = ("category", "code", "title", "subtitle")
_PREFIX = re.compile(r"^[A-Z]+")

# Pydantic's kinds of error, worded for a facilitator (its own messages are for developers).
_KIND_MESSAGES = {
    "missing": N_("this is required"),
    "string_too_short": N_("may not be empty"),
    "too_short": N_("needs at least one card"),
    "string_pattern_mismatch": N_(
        "a code is a capital letter followed by capitals or digits, e.g. A1"
    ),
    "greater_than_equal": N_("must be at least %(ge)s"),
    "less_than_equal": N_("must be at most %(le)s"),
    "literal_error": N_("must be one of: %(expected)s"),
    "string_type": N_("must be text"),
    "int_type": N_("must be a whole number"),
    "list_type": N_("must be a list"),
    "model_type": N_("must be a group of keys"),
    "dict_type": N_("must be a group of keys"),
}


def problem_text(error: DeckError, language: str) -> str:
    """One problem as a facilitator reads it: where, then what, in ``language``."""
    template, params = error.problem
    if error.kind in _KIND_MESSAGES:
        template = _KIND_MESSAGES[error.kind]
        if error.kind == "string_pattern_mismatch" and error.location.endswith(".id"):
            template = N_("an id is lower-case letters, digits, - or _")
    where = [error.path.name] if error.path.name else []
    if error.line is not None:
        row = N_("row %(n)s") if error.path.suffix == ".csv" else N_("line %(n)s")
        where.append(translate(language, row, {"n": error.line}))
    if error.location:
        where.append(error.location)
    text = translate(language, template, params)
    return f"{', '.join(where)}: {text}" if where else text


def _fail(name: str, line: int | None, location: str, template: str, **params: Any) -> DeckError:
    message = template % params if params else template
    return DeckError(Path(name), line, location, message, (template, params))


# --- reading files ----------------------------------------------------------------------


def read_file(name: str, content: bytes, language: str, copies: int = 2) -> Deck:
    """An uploaded deck file: the documented YAML (``.yaml``/``.yml``) or a CSV (``.csv``).

    ``language`` and ``copies`` are what a CSV cannot say (a YAML deck says them itself).
    """
    name = Path(name or "deck").name[:100]
    if len(content) > MAX_FILE_BYTES:
        raise _fail(
            name, None, "", N_("the file is larger than %(kb)s KB"), kb=MAX_FILE_BYTES // 1024
        )
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _fail(name, None, "", N_("the file is not UTF-8 text")) from None
    suffix = Path(name).suffix.lower()
    if suffix == ".csv":
        return read_csv(name, text, language, copies)
    if suffix in (".yaml", ".yml"):
        return read_yaml(name, text)
    raise _fail(name, None, "", N_("a deck file ends in .yaml, .yml or .csv"))


def read_yaml(name: str, text: str) -> Deck:
    source = parse_text(Path(name), text, aliases=False)
    if not isinstance(source.data, dict):
        raise _fail(name, None, "", N_("expected keys (id, language, kind, …) at the top level"))
    if source.data.get("kind") != "factors":
        raise _fail(name, source.line(("kind",)), "kind", N_("a workshop's deck has kind: factors"))
    return validate(source.path, source.data, Deck, source.line)


def read_csv(name: str, text: str, language: str, copies: int = 2) -> Deck:
    """``category,code,title,subtitle`` rows (a header first; commas or semicolons).

    A category's code is its cards' leading capitals (A for A1, A2); a row without a
    category is the blank "other" card. The deck is called after the file.
    """
    try:
        dialect: Any = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = [(n, row) for n, row in enumerate(csv.reader(io.StringIO(text), dialect), 1) if row]
    if not rows or [c.strip().lower() for c in rows[0][1]] != list(CSV_COLUMNS):
        raise _fail(
            name, 1, "", N_("the first row must be: %(columns)s"), columns=",".join(CSV_COLUMNS)
        )
    categories: dict[str, dict[str, Any]] = {}
    where: dict[Loc, int] = {}  # a location in the deck -> its row
    blank: dict[str, Any] | None = None
    for number, row in rows[1:]:
        if len(row) != len(CSV_COLUMNS):
            raise _fail(
                name, number, "", N_("expected %(n)s columns, found %(found)s"), n=4, found=len(row)
            )
        category, code, title, subtitle = (cell.strip() for cell in row)
        factor = {"code": code, "title": title, "subtitle": subtitle}
        if not category:
            if blank is not None:
                raise _fail(
                    name, number, "", N_("only one row may have no category (the blank card)")
                )
            blank, where[("blank",)] = factor, number
            continue
        if category not in categories:
            prefix = _PREFIX.match(code)
            categories[category] = {
                "code": prefix.group(0) if prefix else code,
                "title": category,
                "factors": [],
            }
            where[("categories", len(categories) - 1)] = number
        index = list(categories).index(category)
        where[("categories", index, "factors", len(categories[category]["factors"]))] = number
        categories[category]["factors"].append(factor)
    stem = Path(name).stem
    data: dict[str, Any] = {
        "id": re.sub(r"[^a-z0-9_-]+", "-", stem.lower()).strip("-")[:MAX_ID] or "own",
        "language": language,
        "kind": "factors",
        "title": stem or "Deck",
        "copies": copies,
        "categories": list(categories.values()),
    }
    if blank is not None:
        data["blank"] = blank

    def row_of(loc: Loc) -> int | None:
        for length in range(len(loc), 0, -1):
            if loc[:length] in where:
                return where[loc[:length]]
        return None

    return validate(Path(name), data, Deck, row_of)


def read_data(data: Any, index: int = 0) -> Deck:
    """A deck as JSON (the editor's, or the API's): the YAML file's keys."""
    name = f"own_deck[{index}]"
    if not isinstance(data, dict):
        raise _fail(name, None, "", N_("expected keys (id, language, kind, …) at the top level"))
    return validate(Path(name), data, Deck, lambda _loc: None)


# --- what a workshop accepts ------------------------------------------------------------


def own_decks(
    decks: Iterable[Deck], workshop_language: str, names: Iterable[str] = ()
) -> dict[str, Deck]:
    """The decks by language, or the DeckError that says why a workshop cannot use them."""
    decks = list(decks)
    labels = list(names) or [f"own_deck[{i}]" for i in range(len(decks))]
    found: dict[str, Deck] = {}
    for deck, label in zip(decks, labels, strict=True):
        _check_limits(deck, label)
        if deck.language in found:
            raise _fail(
                label, None, "language", N_("two decks in %(language)s"), language=deck.language
            )
        found[deck.language] = deck
    if workshop_language not in found:
        raise _fail(
            labels[0] if labels else "",
            None,
            "language",
            N_("the workshop is in %(language)s: give the deck in that language"),
            language=workshop_language,
        )
    source = found[workshop_language]
    for language in LANGUAGES:
        if language in found and language != workshop_language:
            difference = _deck_difference(source, found[language], labels[decks.index(source)])
            if difference is not None:
                loc, message = difference
                label = labels[decks.index(found[language])]
                raise _fail(label, None, _dotted(loc), message)  # a developer's words
    return found


def _check_limits(deck: Deck, label: str) -> None:
    if deck.kind != "factors":
        raise _fail(label, None, "kind", N_("a workshop's deck has kind: factors"))
    cards = len(deck.cards())
    if cards > MAX_CARDS:
        raise _fail(
            label,
            None,
            "",
            N_("%(n)s cards: a deck may have at most %(max)s"),
            n=cards,
            max=MAX_CARDS,
        )
    if len(deck.id) > MAX_ID:
        raise _fail(label, None, "id", N_("at most %(n)s characters"), n=MAX_ID)
    if len(deck.title) > MAX_DECK_TITLE:
        raise _fail(label, None, "title", N_("at most %(n)s characters"), n=MAX_DECK_TITLE)
    for i, category in enumerate(deck.categories):
        if len(category.title) > MAX_TITLE:
            raise _fail(
                label, None, f"categories[{i}].title", N_("at most %(n)s characters"), n=MAX_TITLE
            )
    for factor in deck.factors():
        for key, limit in (("code", MAX_CODE), ("title", MAX_TITLE), ("subtitle", MAX_SUBTITLE)):
            if len(getattr(factor, key)) > limit:
                raise _fail(
                    label,
                    None,
                    f"{factor.code[:MAX_CODE]}.{key}",
                    N_("at most %(n)s characters"),
                    n=limit,
                )


def deck_yaml(deck: Deck) -> str:
    """The deck as a file to upload again (the documented YAML)."""
    return yaml.safe_dump(deck_data(deck), allow_unicode=True, sort_keys=False, width=100)
