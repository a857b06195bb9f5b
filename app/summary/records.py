"""What a workshop produced, as plain values: the input of the chart, the report and the data.

Loaded from the database in one go (app.summary.loader); everything after that is pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from app.game.format import Format

__all__ = ["CardRecord", "InterviewRecord", "WorkshopRecord"]


@dataclass(frozen=True)
class CardRecord:
    card: str  # "A1-2": factor A1, second copy
    factor: str  # "A1", or "X" for the blank "Anders, namelijk …" card
    side: str  # "stimulating" | "hindering"
    extent: str  # "limited" | "large"
    position: int  # order within its zone, 0-based
    explanation: str
    custom_name: str  # the name a respondent gave a blank card


@dataclass(frozen=True)
class InterviewRecord:
    table: int  # the table's number, 1-based
    round: int  # which step of the format: 1, 2, …
    cards: tuple[CardRecord, ...]
    notes: Mapping[str, str]
    ended_at: datetime | None  # when the whistle blew; None while the round is on
    picture_svg: str  # the kept picture, or the board as it lies now

    def note(self, field: str) -> str:
        return self.notes.get(field, "")

    @property
    def counted(self) -> bool:
        """An interview counts towards N once at least one card lies on its board."""
        return bool(self.cards)


@dataclass(frozen=True)
class WorkshopRecord:
    id: str
    title: str
    date: date
    organisation: str | None
    language: str
    deck_id: str
    table_count: int
    round_minutes: int
    retention_days: int
    interviews: tuple[InterviewRecord, ...]
    game: Format  # what it was played with: its steps, its roles, its note fields

    def note_headings(self) -> dict[str, str]:
        """Each note field's heading in the workshop's language, by field id."""
        return {note.id: note.heading(self.language) for note in self.game.notes}
