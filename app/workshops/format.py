"""Which format a workshop is played with: the one place that answers it.

Every page, socket, rule, picture and summary asks :func:`workshop_format`, so that when a
workshop keeps its own frozen copy of its format (issue #15, items 2-3, beside its deck in
app.workshops.frozen) only this function changes: it will read the copy through ``session``.

Until then every workshop plays the format ``llo`` of the cards directory the app started with
(``settings.cards_dir``), which create_app registers here once it has validated the files.
"""

from __future__ import annotations

from sqlmodel import Session

from app.deck import Library
from app.game.format import Format
from app.models import Workshop

# Every workshop plays the format in cards/llo.format.yaml, for now.
DEFAULT_FORMAT = "llo"

_formats: dict[str, Format] = {}


def use_formats(library: Library) -> None:
    """The formats workshops play: those of the app's validated cards directory."""
    _formats.clear()
    _formats.update(library.formats)


def workshop_format(session: Session, workshop: Workshop) -> Format:
    return _formats[DEFAULT_FORMAT]
