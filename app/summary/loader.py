"""Reading a whole workshop out of the database in a few queries (the I/O edge of the summary)."""

from __future__ import annotations

from collections import defaultdict

from sqlmodel import Session, col, select

from app.game.format import Format
from app.models import Interview, InterviewNote, Placement, Workshop, WorkshopTable
from app.summary.records import CardRecord, InterviewRecord, WorkshopRecord
from app.tables.pictures import picture_of
from app.tables.service import board_from_rows, placements_out
from app.workshops.frozen import workshop_deck


def load_workshop(
    session: Session, workshop: Workshop, game: Format, *, pictures: bool = False
) -> WorkshopRecord:
    """Every interview of the workshop with its cards and notes; pictures only when asked.
    ``game`` is the format it was played with (app.workshops.frozen.workshop_format).

    A round still being played has no kept picture yet: it is drawn from the board as it
    lies now, with the same renderer, so the report never has a hole in it.
    """
    tables = {
        t.id: t
        for t in session.exec(select(WorkshopTable).where(WorkshopTable.workshop_id == workshop.id))
    }
    interviews = list(
        session.exec(select(Interview).where(col(Interview.table_id).in_(list(tables))))
    )
    ids = [i.id for i in interviews]
    placements: dict[int, list[Placement]] = defaultdict(list)
    for row in session.exec(select(Placement).where(col(Placement.interview_id).in_(ids))):
        placements[row.interview_id].append(row)
    notes: dict[int, dict[str, str]] = defaultdict(dict)
    for note in session.exec(select(InterviewNote).where(col(InterviewNote.interview_id).in_(ids))):
        notes[note.interview_id][note.field] = note.text
    deck = workshop_deck(session, workshop)

    records = []
    for interview in interviews:
        assert interview.id is not None
        table = tables[interview.table_id]
        board = board_from_rows(placements[interview.id])
        picture = ""
        if pictures:
            picture = interview.picture_svg or picture_of(
                board, deck, game, workshop, table, interview.round_number
            )
        records.append(
            InterviewRecord(
                table=table.number,
                round=interview.round_number,
                # The protocol's flat shape of a placement is the record's shape too.
                cards=tuple(CardRecord(**out.model_dump()) for out in placements_out(board)),
                notes=notes[interview.id],
                ended_at=interview.ended_at,
                picture_svg=picture,
            )
        )
    records.sort(key=lambda r: (r.table, r.round))
    return WorkshopRecord(
        id=workshop.id,
        title=workshop.title,
        date=workshop.date,
        organisation=workshop.organisation,
        language=workshop.language,
        deck_id=workshop.deck_id,
        table_count=workshop.table_count,
        round_minutes=workshop.round_minutes,
        retention_days=workshop.retention_days,
        interviews=tuple(records),
        game=game,
    )
