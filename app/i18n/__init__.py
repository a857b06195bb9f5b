"""Dutch and English: gettext catalogues (Babel) and picking the language for a request.

Message ids are English; `nl/LC_MESSAGES/messages.po` is the Dutch catalogue. It is compiled
in memory at start-up, so the .po file is the one source and there is no build step.
"""

from __future__ import annotations

import gettext
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGUAGES: tuple[str, ...] = ("nl", "en")
DEFAULT_LANGUAGE = "nl"
CATALOGUE_DIR = Path(__file__).resolve().parent


def N_(message: str) -> str:  # noqa: N802 (gettext's name for it)
    """Mark a message for extraction where it is translated later (in another language)."""
    return message


def catalogue_path(language: str) -> Path:
    return CATALOGUE_DIR / language / "LC_MESSAGES" / "messages.po"


@lru_cache
def translations(language: str) -> gettext.NullTranslations:
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}")
    path = catalogue_path(language)
    if not path.exists():  # English is the source language: no catalogue needed
        return gettext.NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def gettext_for(language: str) -> gettext.NullTranslations:
    return translations(language if language in LANGUAGES else DEFAULT_LANGUAGE)


def pick_language(*candidates: str | None) -> str:
    """The first supported language among explicit choice, cookie, workshop and browser."""
    for candidate in candidates:
        if not candidate:
            continue
        for part in candidate.split(","):
            code = part.split(";")[0].strip().lower()[:2]
            if code in LANGUAGES:
                return code
    return DEFAULT_LANGUAGE
