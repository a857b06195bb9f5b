"""The game's shape is data: a whole workshop played with a format and a deck that exist only
in this test (three rounds, other board questions, other note fields, a deck of one category),
through real websockets and the summary, with no change to the app's code (issue #15).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.deck import DeckError, default_cards_dir, load_library
from app.main import create_app
from app.settings import Settings
from tests.conftest import PUBLIC_URL
from tests.test_live_table import Table, open_table, place, receive

# Every workshop plays the format called "llo" (app/workshops/frozen.py); this one is not
# today's: three respondents, a round of five minutes, questions about working from home.
FORMAT = """
id: llo
kind: format
title: {nl: Thuiswerken in drie rondes, en: Working from home in three rounds}
script: script
max_seats: 7
roles:
  - id: interviewer
    seats: 1
    asks: true
    name: {nl: Gespreksleider, en: Host}
    short: {nl: GL, en: H}
    task: {nl: Stelt de vragen., en: Asks the questions.}
  - id: respondent1
    seats: 1
    name: {nl: Verteller 1, en: Storyteller 1}
    short: {nl: V1, en: S1}
    task: {nl: Vertelt in ronde 1., en: Tells in round 1.}
  - id: respondent2
    seats: 1
    name: {nl: Verteller 2, en: Storyteller 2}
    short: {nl: V2, en: S2}
    task: {nl: Vertelt in ronde 2., en: Tells in round 2.}
  - id: respondent3
    seats: 1
    name: {nl: Verteller 3, en: Storyteller 3}
    short: {nl: V3, en: S3}
    task: {nl: Vertelt in ronde 3., en: Tells in round 3.}
  - id: reporter
    seats: 1
    name: {nl: Schrijver, en: Writer}
    short: {nl: S, en: W}
    task: {nl: Schrijft mee., en: Writes along.}
    record: {nl: Aantekeningen, en: Notes}
  - id: observer
    name: {nl: Toeschouwer, en: Onlooker}
    short: {nl: T, en: O}
    task: {nl: Kijkt mee., en: Looks on.}
steps:
  - leader: respondent1
  - leader: respondent2
  - leader: respondent3
    minutes: 5
board:
  explainers: [reporter]
  sides:
    - id: stimulating
      where: {nl: Links · helpt, en: Left · helps}
      question: {nl: "Wat helpt bij thuiswerken?", en: "What helps when working from home?"}
      zones:
        limited: {nl: "helpt een beetje", en: "helps a little"}
        large: {nl: "helpt veel", en: "helps a lot"}
      tag: {nl: Links, en: Left}
      lies: {nl: Ligt al links, en: Already on the left}
    - id: hindering
      where: {nl: Rechts · hindert, en: Right · hinders}
      question: {nl: "Wat hindert bij thuiswerken?", en: "What hinders working from home?"}
      zones:
        limited: {nl: "hindert een beetje", en: "hinders a little"}
        large: {nl: "hindert veel", en: "hinders a lot"}
      tag: {nl: Rechts, en: Right}
      lies: {nl: Ligt al rechts, en: Already on the right}
  extents:
    - id: limited
      name: {nl: Een beetje, en: A little}
    - id: large
      name: {nl: Veel, en: A lot}
  lies_both: {nl: Ligt al aan beide kanten, en: Already on both sides}
notes:
  - id: story
    writers: [reporter]
    label: {nl: Het verhaal, en: The story}
    cards_after: true
  - id: advice
    writers: [reporter]
    label: {nl: Het advies, en: The advice}
  - id: lesson
    writers: [observer, reporter]
    label: {nl: De les, en: The lesson}
    heading: {nl: Les van de toeschouwer, en: "The onlooker's lesson"}
"""

DECK = """
id: thuis
language: {language}
kind: factors
title: {title}
copies: 2
categories:
  - code: T
    title: {category}
    factors:
      - code: T1
        title: {t1}
        subtitle: {t1}
      - code: T2
        title: {t2}
        subtitle: {t2}
"""

SCRIPT = """
id: script
language: {language}
kind: script
title: {title}
steps:
  - number: 1
    text: {text}
"""

ROLES = ("interviewer", "respondent1", "respondent2", "respondent3", "reporter", "observer")


def write_cards(directory: Path) -> Path:
    """A cards directory with this test's format, deck and script."""
    directory.mkdir()
    (directory / "llo.format.yaml").write_text(FORMAT, encoding="utf-8")
    for language, words in {
        "nl": ("Thuiswerken", "Thuis", "Rust", "Kinderen", "Vraag naar thuiswerken."),
        "en": ("Working from home", "Home", "Quiet", "Children", "Ask about home working."),
    }.items():
        title, category, t1, t2, text = words
        (directory / f"thuis.{language}.yaml").write_text(
            DECK.format(language=language, title=title, category=category, t1=t1, t2=t2),
            encoding="utf-8",
        )
        (directory / f"script.{language}.yaml").write_text(
            SCRIPT.format(language=language, title=title, text=text), encoding="utf-8"
        )
    return directory


@pytest.fixture
def cards(tmp_path: Path) -> Path:
    return write_cards(tmp_path / "cards")


@pytest.fixture
def client(tmp_path: Path, cards: Path) -> Iterator[TestClient]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'kaartspel.db'}",
        public_url=PUBLIC_URL,
        secret_key="test-secret",
        host="127.0.0.1",
        redis_url=None,
        cards_dir=cards,
    )
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8765") as test_client:
        yield test_client


def next_round(table: Table, action: str) -> dict:
    """Start or end the round; return the round event every phone got."""
    table.rounds(action, table=1)
    return table.round_event()["round"]


def test_the_format_file_is_checked_like_a_deck(cards: Path) -> None:
    game = load_library(cards).format("llo")
    assert game.rounds == 3 and game.step(3).minutes == 5
    assert game.leaders == ("respondent1", "respondent2", "respondent3")
    path = cards / "llo.format.yaml"
    path.write_text(FORMAT.replace("writers: [observer, reporter]", "writers: [poet]"), "utf-8")
    with pytest.raises(DeckError) as raised:
        load_library(cards)
    assert raised.value.line is not None and raised.value.location == "notes[2].writers[0]"
    assert "'poet' is not a role of this format" in raised.value.message


def test_a_whole_workshop_in_three_rounds_through_sockets_and_summary(client: TestClient) -> None:
    response = client.post(
        "/api/workshops",
        json={"title": "Thuiswerken", "tables": 1, "deck": "thuis", "round_minutes": 12},
    )
    assert response.status_code == 201, response.text
    workshop = response.json()
    token = str(workshop["facilitator_url"]).rsplit("/", 1)[-1]
    fields = {"story", "advice", "lesson"}

    with open_table(client, workshop, ROLES) as table:
        first = table.snapshots["respondent1"]
        assert set(first["notes"]) == fields
        assert first["round"]["respondent"] == "respondent1"
        assert first["round"]["duration_ms"] == 12 * 60_000

        # The page of each role is the format's: its board questions, its note fields.
        page = table.phones["reporter"].get(f"/t/{table.code}").text
        assert "Wat helpt bij thuiswerken?" in page and "Welke factoren" not in page
        assert 'data-note="story"' in page and 'data-note="lesson"' in page
        assert 'data-note="development"' not in page
        assert (
            "Vertelt in ronde 3." in table.phones["observer"].get(f"/j/{table.code}?change=1").text
        )

        # A field of today's game is no field of this one; a role writes only its own.
        reply, _ = table.command("reporter", {"type": "note", "field": "development", "text": "x"})
        assert reply["code"] == "invalid"
        reply, _ = table.command("interviewer", {"type": "note", "field": "lesson", "text": "x"})
        assert reply["code"] == "not_allowed"

        for number, (leader, card) in enumerate(
            (("respondent1", "T1-1"), ("respondent2", "T2-1"), ("respondent3", "T1-2")), start=1
        ):
            # Only this round's leader lays the cards.
            other = next(r for r in ("respondent1", "respondent2", "respondent3") if r != leader)
            reply, _ = table.command(other, place(card))
            assert reply["code"] == "not_your_turn"
            reply, event = table.command(leader, place(card, "hindering", "limited"))
            assert reply["type"] == "ack" and event and event["board"][0]["card"] == card
            table.command(
                "reporter", {"type": "note", "field": "story", "text": f"verhaal {number}"}
            )
            table.command("observer", {"type": "note", "field": "lesson", "text": f"les {number}"})
            ended = next_round(table, "end")
            assert ended["status"] == "ended" and ended["whistle"] is True
            if number < 3:
                started = next_round(table, "start")
                assert (started["number"], started["respondent"]) == (
                    number + 1,
                    f"respondent{number + 1}",
                )
                # A fresh board and every note field of the format emptied.
                resets = [receive(table.sockets["observer"]) for _ in range(1 + len(fields))]
                for socket in (
                    "interviewer",
                    "respondent1",
                    "respondent2",
                    "respondent3",
                    "reporter",
                ):
                    for _ in resets:
                        receive(table.sockets[socket])
                assert resets[0]["kind"] == "board" and resets[0]["board"] == []
                assert {r["field"] for r in resets[1:]} == fields
        # The third round was the format's own five minutes, not the workshop's twelve.
        assert ended["number"] == 3 and ended["duration_ms"] == 5 * 60_000
        # After the last step there is no other.
        assert table.rounds("start", table=1)[0]["code"] == "all_rounds_played"

        picture = table.phones["respondent3"].get(f"/t/{table.code}/rounds/3.svg")
        assert picture.status_code == 200
        assert "Wat hindert bij thuiswerken?" in picture.text and "Verteller 3" in picture.text
        assert table.phones["respondent3"].get(f"/t/{table.code}/rounds/4.svg").status_code == 404

    summary = client.get(f"/f/{token}/summary")
    assert summary.status_code == 200
    assert "Ronde 3 (Verteller 3)" in summary.text
    assert client.get(f"/f/{token}/summary?round=3").status_code == 200
    assert client.get(f"/f/{token}/summary?round=4").status_code == 422

    data = json.loads(client.get(f"/f/{token}/workshop.json").text)
    assert [i["round"] for i in data["interviews"]] == [1, 2, 3]
    assert [i["notes"] for i in data["interviews"]] == [
        {"story": f"verhaal {n}", "advice": "", "lesson": f"les {n}"} for n in (1, 2, 3)
    ]
    assert {f["code"] for f in data["factors"]} == {"T1", "T2"}
    rows = list(csv.DictReader(io.StringIO(client.get(f"/f/{token}/placements.csv").text[1:])))
    assert [(r["round"], r["card"], r["side"]) for r in rows] == [
        ("1", "T1-1", "hindering"),
        ("2", "T2-1", "hindering"),
        ("3", "T1-2", "hindering"),
    ]
    report = client.get(f"/f/{token}/report.html")
    assert report.status_code == 200 and "Verteller 3" in report.text
    # Each interview's record under the format's headings, its zones in the format's words.
    assert "Les van de toeschouwer" in report.text and "les 3" in report.text
    assert "Hindert een beetje" in report.text
    plenary = client.get(f"/f/{token}/plenary")
    assert plenary.status_code == 200 and "verhaal 2" in plenary.text


def test_todays_game_is_the_llo_format_file() -> None:
    """The shape the whole test suite plays, as data (cards/llo.format.yaml)."""
    game = load_library(default_cards_dir()).format("llo")
    assert game.role_ids == ("interviewer", "respondent1", "respondent2", "reporter", "observer")
    assert [r.seats for r in game.roles] == [1, 1, 1, 1, None] and game.max_seats == 7
    assert [(s.leader, s.minutes) for s in game.steps] == [
        ("respondent1", None),
        ("respondent2", None),
    ]
    assert {n.id: sorted(n.writers) for n in game.notes} == {
        "development": ["reporter"],
        "stands_out": ["reporter"],
        "recommendations": ["reporter"],
        "connections": ["reporter"],
        "reflection": ["observer"],
    }
    assert game.board.side("stimulating").question("nl") == "Welke factoren stimuleren LLO?"


@pytest.mark.parametrize(
    ("old", "new", "location", "message"),
    [
        (
            "label: {nl: Het advies, en: The advice}",
            "label: {nl: Het advies}",
            "notes[1].label.en",
            "Field required",
        ),
        ("  - leader: respondent3\n", "  - leader: observer\n", "steps[2].leader", "one seat"),
        ("  - id: advice\n", "  - id: story\n", "notes[1].id", "duplicate note field 'story'"),
        ("    - id: hindering\n", "    - id: stimulating\n", "board.sides", "once"),
        ("max_seats: 7", "max_seats: 4", "max_seats", "add up to 5"),
        ("script: script", "script: elders", "script", "no script 'elders'"),
    ],
)
def test_a_broken_format_is_refused_with_its_line(
    cards: Path, old: str, new: str, location: str, message: str
) -> None:
    path = cards / "llo.format.yaml"
    assert old in FORMAT
    path.write_text(FORMAT.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(DeckError) as raised:
        load_library(cards)
    assert raised.value.location == location
    assert message in raised.value.message
    assert raised.value.line is not None
