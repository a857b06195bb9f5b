"""The create page's own deck: from uploaded files or the editor, checked before anything.

The page carries a checked deck on as JSON (the deck file's keys) in a hidden field, so a
preview is followed by "create" without a second upload; the editor writes the same field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import UploadFile

from app.deck import Deck, DeckError, deck_data
from app.deck_files import MAX_FILE_BYTES, own_decks, problem_text, read_data, read_file
from app.i18n import LANGUAGES, N_


@dataclass(frozen=True)
class OwnDeck:
    data: list[dict[str, Any]] | None  # the decks, checked; None when they cannot be used
    json: str  # what the page carries on (the input as given when it has a problem)
    problem: str = ""  # where and what, in the facilitator's language
    preview: Deck | None = None  # in the workshop's language, as the phones will show it


def read_own_deck(
    files: list[UploadFile], own_json: str, language: str, page_language: str
) -> OwnDeck:
    uploads = [upload for upload in files if upload.filename]
    try:
        if uploads:
            decks = [
                read_file(upload.filename or "", upload.file.read(MAX_FILE_BYTES + 1), language)
                for upload in uploads
            ]
            names = [Path(upload.filename or "").name for upload in uploads]
        else:
            decks, names = _from_json(own_json), []
        found = own_decks(decks, language if language in LANGUAGES else "nl", names)
    except DeckError as error:
        return OwnDeck(None, "" if uploads else own_json, problem_text(error, page_language))
    data = [deck_data(deck) for deck in decks]
    return OwnDeck(data, json.dumps(data, ensure_ascii=False), "", found.get(language))


def _from_json(text: str) -> list[Deck]:
    if not text.strip():
        message = N_("choose a deck file, or edit a deck in the page")
        raise DeckError(Path(""), None, "", message, (message, {}))
    try:
        value = json.loads(text)
    except ValueError:
        message = N_("the edited deck could not be read; start the editor again")
        raise DeckError(Path(""), None, "", message, (message, {})) from None
    items = value if isinstance(value, list) else [value]
    return [read_data(item, i) for i, item in enumerate(items[:2])]
