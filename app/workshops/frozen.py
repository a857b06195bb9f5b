"""What a workshop is played with, kept with it: the one way to read its deck, format and script.

When a workshop is created its decks (each language it has), the game's format and the
interviewer's script (both languages) are copied into ``frozen_copy`` (app.models.FrozenCopy). Every page, the
protocol, the summary, the downloads and the board pictures read them here, never from
``cards/``: changing the files later changes no workshop that exists.

The stored value is a dict, so that later parts of the game can join it under keys of
their own::

    {"version": 1,
     "format": <format>,                          # cards/<id>.format.yaml (app.deck.FormatFile)
     "decks": {"nl": <deck>, "en": <deck>},      # the deck file's keys (app.deck.Deck)
     "scripts": {"nl": <script>, "en": <script>}}  # the same for app.deck.Script

A deck may exist in one language only (a facilitator's own deck): the workshop's language
is then always there, and asking for the other one gives the workshop's.

A workshop's copy never changes once written, so the parsed copy is cached per workshop id
(bounded): a card laid at a table checks its card id against a Deck already built.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from app.deck import LANGUAGES, Deck, FormatFile, Library, Script, deck_data
from app.game.format import Format
from app.game.refusal import Refusal
from app.models import FrozenCopy, Workshop

VERSION = 1
# Every workshop is created with the format in cards/llo.format.yaml, for now.
DEFAULT_FORMAT = "llo"
# Workshops whose parsed copy stays in memory: a day's workshops on one server, and more.
CACHE_SIZE = 64


@dataclass(frozen=True)
class Kit:
    """A workshop's copy, parsed: its decks by language and its scripts by language."""

    language: str  # the workshop's: the one every copy has
    decks: Mapping[str, Deck]
    scripts: Mapping[str, Script]
    format: Format  # the game's shape (both languages in one)

    def deck(self, language: str) -> Deck:
        return self.decks.get(language) or self.decks[self.language]

    def script(self, language: str) -> Script:
        return self.scripts.get(language) or self.scripts[self.language]


def copy_content(
    decks: Mapping[str, Deck], library: Library, format_id: str = DEFAULT_FORMAT
) -> dict[str, Any]:
    """The value to store: these decks, and the format and script of ``cards/`` as they are."""
    return {
        "format": library.format_files[format_id].model_dump(mode="json"),
        "version": VERSION,
        "decks": {language: deck_data(deck) for language, deck in decks.items()},
        "scripts": {
            language: library.script(language).model_dump(mode="json") for language in LANGUAGES
        },
    }


def library_decks(library: Library, deck_id: str) -> dict[str, Deck]:
    """A deck of ``cards/`` in every language it has (both, as the loader checks)."""
    return {
        language: library.decks[(deck_id, language)]
        for language in LANGUAGES
        if (deck_id, language) in library.decks
    }


def parse(content: Mapping[str, Any], language: str) -> Kit:
    return Kit(
        language=language,
        decks={lang: Deck.model_validate(data) for lang, data in content["decks"].items()},
        scripts={lang: Script.model_validate(data) for lang, data in content["scripts"].items()},
        format=FormatFile.model_validate(content["format"]).to_format(),
    )


class _Kits:
    """A bounded, thread-safe cache of parsed copies (pages run on worker threads)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._kits: OrderedDict[str, Kit] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, workshop_id: str) -> Kit | None:
        with self._lock:
            kit = self._kits.get(workshop_id)
            if kit is not None:
                self._kits.move_to_end(workshop_id)
            return kit

    def put(self, workshop_id: str, kit: Kit) -> None:
        with self._lock:
            self._kits[workshop_id] = kit
            self._kits.move_to_end(workshop_id)
            while len(self._kits) > self._size:
                self._kits.popitem(last=False)

    def forget(self, workshop_id: str) -> None:
        with self._lock:
            self._kits.pop(workshop_id, None)

    def __len__(self) -> int:
        return len(self._kits)


_kits = _Kits(CACHE_SIZE)


def workshop_kit(session: Session, workshop: Workshop) -> Kit:
    """The workshop's copy, parsed (from the cache after the first time)."""
    kit = _kits.get(workshop.id)
    if kit is None:
        row = session.get(FrozenCopy, workshop.id)
        if row is None:
            # Every workshop has one (created with it, or back-filled by revision 0006).
            raise Refusal("no_deck", "This workshop's deck is missing.", status=500)
        kit = parse(row.content, workshop.language)
        _kits.put(workshop.id, kit)
    return kit


def workshop_deck(session: Session, workshop: Workshop, language: str | None = None) -> Deck:
    """The workshop's deck in ``language`` (default: the workshop's), as it was created."""
    return workshop_kit(session, workshop).deck(language or workshop.language)


def workshop_script(session: Session, workshop: Workshop, language: str | None = None) -> Script:
    return workshop_kit(session, workshop).script(language or workshop.language)


def workshop_format(session: Session, workshop: Workshop) -> Format:
    """The game's format the workshop was created with: the one place every rule, page,
    socket, picture and summary asks, so editing cards/ changes no existing workshop."""
    return workshop_kit(session, workshop).format


def store_copy(session: Session, workshop: Workshop, content: dict[str, Any]) -> None:
    """Add the copy to the session, with the workshop (the caller commits both at once)."""
    session.add(FrozenCopy(workshop_id=workshop.id, content=content))


def forget(workshop_id: str) -> None:
    """Drop a deleted workshop's copy from memory too."""
    _kits.forget(workshop_id)
