"""A workshop with known boards and notes, written straight into the app's database.

The live protocol is tested elsewhere; summary tests need many exact boards quickly.
A board is a list of (card, side, extent, explanation, custom_name); positions follow
the list order within each zone.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.models import Interview, InterviewNote, Placement, WorkshopTable

Card = tuple[str, str, str, str, str]
# A week ago, never a fixed day: from its deletion date on, a workshop is no longer served.
SEED_DATE = dt.date.today() - dt.timedelta(days=7)


def seed_workshop(
    client: TestClient,
    boards: Mapping[tuple[int, int], Sequence[Card]],
    notes: Mapping[tuple[int, int], Mapping[str, str]] | None = None,
    *,
    tables: int = 3,
    title: str = "Leren in de buitendienst",
    language: str = "nl",
) -> tuple[dict, str]:
    """Create a workshop over the API, then lay the given boards: (workshop json, token)."""
    response = client.post(
        "/api/workshops",
        json={
            "title": title,
            "tables": tables,
            "date": SEED_DATE.isoformat(),
            "language": language,
            "organisation": "A&O fonds Gemeenten",
        },
    )
    assert response.status_code == 201, response.text
    workshop = response.json()
    token = workshop["facilitator_url"].rsplit("/", 1)[1]
    lay_boards(client.app.state.engine, workshop["id"], boards, notes)
    return workshop, token


def lay_boards(
    engine: Engine,
    workshop_id: str,
    boards: Mapping[tuple[int, int], Sequence[Card]],
    notes: Mapping[tuple[int, int], Mapping[str, str]] | None = None,
) -> None:
    """Lay the boards and write the notes of a workshop that exists (in any app's database)."""
    notes = notes or {}
    with Session(engine) as session:
        ids = {
            t.number: t.id
            for t in session.exec(
                select(WorkshopTable).where(WorkshopTable.workshop_id == workshop_id)
            )
        }
        for key in sorted(set(boards) | set(notes)):
            table, round_number = key
            interview = session.exec(
                select(Interview).where(
                    Interview.table_id == ids[table], Interview.round_number == round_number
                )
            ).first() or Interview(table_id=ids[table], round_number=round_number)
            session.add(interview)
            session.flush()
            positions: Counter[tuple[str, str]] = Counter()
            for card, side, extent, explanation, custom_name in boards.get(key, ()):
                session.add(
                    Placement(
                        interview_id=interview.id,
                        card=card,
                        factor=card.rsplit("-", 1)[0],
                        side=side,
                        extent=extent,
                        position=positions[(side, extent)],
                        explanation=explanation,
                        custom_name=custom_name,
                    )
                )
                positions[(side, extent)] += 1
            for field, text in notes.get(key, {}).items():
                session.add(InterviewNote(interview_id=interview.id, field=field, text=text))
        session.commit()
