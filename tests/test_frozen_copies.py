"""A workshop keeps the deck, format and script it was created with: cards/ may change, it does not.

The cards live in a private copy (settings ``cards_dir``); the test creates a workshop,
changes the files, starts the app again on the same database, and looks at everything.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

from app.db import alembic_config, make_engine, migrate
from app.deck import deck_data, default_cards_dir, load_library
from app.main import create_app
from app.models import Workshop
from app.settings import Settings
from app.workshops import frozen
from tests.conftest import PUBLIC_URL, new_phone
from tests.test_live_table import open_table, place

OLD_TITLE, NEW_TITLE = "Toekomstdromen", "Dromen van morgen"
OLD_STEP = "Beschrijf kort deze ontwikkeling."
OLD_QUESTION, NEW_QUESTION = "Welke factoren stimuleren LLO?", "Wat helpt jou?"


@pytest.fixture
def cards(tmp_path: Path) -> Path:
    directory = tmp_path / "cards"
    shutil.copytree(default_cards_dir(), directory)
    return directory


@pytest.fixture
def cards_settings(settings: Settings, cards: Path) -> Settings:
    return settings.model_copy(update={"cards_dir": cards})


def change_cards(cards: Path) -> None:
    """Rename a factor, add one, reword the script and the board's question."""
    for language in ("nl", "en"):
        deck = cards / f"llo.{language}.yaml"
        text_ = deck.read_text(encoding="utf-8")
        if language == "nl":
            text_ = text_.replace(f"title: {OLD_TITLE}", f"title: {NEW_TITLE}")
        new = "\n      - code: A7\n        title: Nieuw\n        subtitle: Nieuw\n"
        text_ = text_.replace("\n  - code: B\n", new + "\n  - code: B\n", 1)
        text_ = text_.replace("[A1, A2, A3, A4, A5, A6]", "[A1, A2, A3, A4, A5, A6, A7]")
        deck.write_text(text_, encoding="utf-8")
    game = cards / "llo.format.yaml"
    game.write_text(
        game.read_text(encoding="utf-8").replace(OLD_QUESTION, NEW_QUESTION), encoding="utf-8"
    )
    script = cards / "script.nl.yaml"
    script.write_text(
        script.read_text(encoding="utf-8").replace(OLD_STEP, "Iets anders."), encoding="utf-8"
    )


def looks(client: TestClient, workshop: dict, table: int = 0) -> dict[str, object]:
    """What a workshop shows where its deck appears (JSON where there is JSON); an
    interviewer at ``table`` sees the script."""
    token = str(workshop["facilitator_url"]).rsplit("/", 1)[-1]
    code = workshop["tables"][table]["join_code"]
    phone = new_phone(client)
    assert phone.post(f"/api/tables/{code}/seat", json={"role": "interviewer"}).status_code == 201
    pages = {
        "play": phone.get(f"/t/{code}").text,
        "summary": client.get(f"/f/{token}/summary").text,
        "plenary": client.get(f"/f/{token}/plenary").text,
        "report": client.get(f"/f/{token}/report.html").text,
        "workshop": client.get(f"/f/{token}").text,
        "board": client.get(f"/f/{token}/tables/1/board.svg").text,
    }
    return {
        "deck": phone.get(f"/api/tables/{code}/deck").json(),
        "deck_en": phone.get(f"/api/tables/{code}/deck?lang=en").json(),
        "json": client.get(f"/f/{token}/workshop.json").json(),
        "csv": client.get(f"/f/{token}/placements.csv").text,
        "pages": pages,
    }


def test_changing_cards_changes_no_existing_workshop(cards_settings: Settings, cards: Path) -> None:
    with TestClient(create_app(cards_settings), base_url=PUBLIC_URL) as client:
        workshop = client.post("/api/workshops", json={"title": "Bevroren", "tables": 3}).json()
        with open_table(client, workshop, ("interviewer", "respondent1")) as table:
            reply, _ = table.command("respondent1", place("A1-1"))
            assert reply["type"] == "ack"
            table.rounds("end", table=1)  # the kept picture is drawn from the copy as well
        before = looks(client, workshop, 1)
    assert OLD_TITLE in str(before["deck"])
    frozen._kits.forget(workshop["id"])  # a new process: nothing cached

    change_cards(cards)
    with TestClient(create_app(cards_settings), base_url=PUBLIC_URL) as client:
        after = looks(client, workshop, 2)
        assert after["deck"] == before["deck"] and after["deck_en"] == before["deck_en"]
        assert after["json"] == before["json"] and after["csv"] == before["csv"]
        pages: dict[str, str] = after["pages"]  # type: ignore[assignment]
        for name, page in pages.items():
            assert NEW_TITLE not in page, name
        for name in ("summary", "plenary", "report", "board"):
            assert OLD_TITLE in pages[name], name
        assert OLD_STEP in pages["play"]
        assert OLD_QUESTION in pages["play"] and NEW_QUESTION not in pages["play"]
        # A workshop created now plays with today's files.
        workshop2 = client.post("/api/workshops", json={"title": "Nieuw", "tables": 1}).json()
        now = looks(client, workshop2)
        assert NEW_TITLE in str(now["deck"])
        assert NEW_QUESTION in now["pages"]["play"]  # type: ignore[index]


def test_a_card_only_todays_files_know_is_refused(cards_settings: Settings, cards: Path) -> None:
    with TestClient(create_app(cards_settings), base_url=PUBLIC_URL) as client:
        workshop = client.post("/api/workshops", json={"title": "Bevroren", "tables": 1}).json()
    frozen._kits.forget(workshop["id"])
    change_cards(cards)
    with (
        TestClient(create_app(cards_settings), base_url=PUBLIC_URL) as client,
        open_table(client, workshop, ("interviewer", "respondent1")) as table,
    ):
        reply, _ = table.command("respondent1", place("A7-1"))
        assert reply["code"] == "unknown_card"
        reply, _ = table.command("respondent1", place("A6-1"))
        assert reply["type"] == "ack"


def test_the_parsed_copy_is_cached_per_workshop_and_bounded(
    client: TestClient, workshop: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        found = session.get(Workshop, workshop["id"])
        assert found is not None
        first = frozen.workshop_deck(session, found)
        assert frozen.workshop_deck(session, found) is first  # no second parse, no query
        assert first.card_or_none("A1-1") is not None
        kits = frozen._Kits(2)
        monkeypatch.setattr(frozen, "_kits", kits)
        for n in range(5):
            kits.put(f"w{n}", frozen.workshop_kit(session, found))
        assert len(kits) == 2 and kits.get("w0") is None and kits.get("w4") is not None


def test_the_copy_is_deleted_with_its_workshop(client: TestClient, workshop: dict) -> None:
    token = str(workshop["facilitator_url"]).rsplit("/", 1)[-1]
    engine = client.app.state.engine  # type: ignore[attr-defined]
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM frozen_copy")).scalar() == 1
    response = client.delete(
        f"/api/workshops/{workshop['id']}", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 204
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM frozen_copy")).scalar() == 0
    assert frozen._kits.get(workshop["id"]) is None


# --- revision 0006: existing workshops are back-filled from today's cards ------------------


def _old_workshop(url: str) -> None:
    """A workshop as revision 0005 stored it, before copies existed."""
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO workshop (id, title, date, table_count, deck_id, round_minutes, "
                "language, facilitator_hash, status, retention_days, created_at) VALUES "
                "('old1', 'Oud', CURRENT_DATE, 1, 'llo', 15, 'nl', 'h1', 'open', 90, "
                "CURRENT_TIMESTAMP)"
            )
        )
    engine.dispose()


def _back_fill(url: str, cards: Path) -> None:
    command.upgrade(alembic_config(url), "0005")
    _old_workshop(url)
    migrate(url, cards)
    library = load_library(cards)
    engine = make_engine(url)
    with Session(engine) as session:
        workshop = session.get(Workshop, "old1")
        assert workshop is not None
        kit = frozen.parse(session.get(frozen.FrozenCopy, "old1").content, "nl")  # type: ignore[union-attr]
    engine.dispose()
    for language in ("nl", "en"):
        assert deck_data(kit.deck(language)) == deck_data(library.deck("llo", language))
        assert kit.script(language) == library.script(language)
    assert kit.format == library.format("llo")
    command.downgrade(alembic_config(url), "0005")
    engine = make_engine(url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM workshop")).scalar() == 1
        tables = connection.execute(
            text("SELECT count(*) FROM information_schema.tables WHERE table_name='frozen_copy'")
            if engine.dialect.name == "postgresql"
            else text("SELECT count(*) FROM sqlite_master WHERE name='frozen_copy'")
        ).scalar()
        assert tables == 0
    engine.dispose()


def test_revision_0006_back_fills_existing_workshops_on_sqlite(tmp_path: Path, cards: Path) -> None:
    # A changed copy of cards/: the back-fill reads the cards the app is given, not the repo's.
    (cards / "llo.nl.yaml").write_text(
        (cards / "llo.nl.yaml")
        .read_text(encoding="utf-8")
        .replace(f"title: {OLD_TITLE}", f"title: {NEW_TITLE}"),
        encoding="utf-8",
    )
    _back_fill(f"sqlite:///{tmp_path / 'old.db'}", cards)


def test_revision_0006_back_fills_existing_workshops_on_postgres(
    postgres_url: str, cards: Path
) -> None:
    _back_fill(postgres_url, cards)
