"""Which format a workshop is played with: the one place that answers it.

Every page, socket, rule, picture and summary asks :func:`workshop_format`. The answer is
the workshop's own frozen copy (app.workshops.frozen), written when it was created (or
back-filled by revision 0006): editing ``cards/llo.format.yaml`` later changes no workshop
that exists, just as editing a deck does not.
"""

from __future__ import annotations

from sqlmodel import Session

from app.game.format import Format
from app.models import Workshop
from app.workshops.frozen import workshop_kit


def workshop_format(session: Session, workshop: Workshop) -> Format:
    return workshop_kit(session, workshop).format
