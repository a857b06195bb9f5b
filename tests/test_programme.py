"""The programme view (issue #17 item 13): several workshops in one chart, from their links.

The research's 24 interviews, split over three workshops of four tables, must add up to the
research's printed figures; a deck that differs is combined on the factors both have; only
links that work open anything, and the downloads say whose each row is.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import secrets
import shutil
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session

from app.main import create_app
from app.models import Workshop
from app.settings import ROOT, Settings
from tests.conftest import PUBLIC_URL, form
from tests.research_replay import PUBLISHED, boards
from tests.seeding import Card, seed_workshop

TITLES = ("Gemeente Noord", "Gemeente Midden", "Gemeente Zuid")


def split_research(client: TestClient, **options: object) -> list[tuple[dict, str]]:
    """The research's 12 tables as three workshops of four: (workshop json, token) each."""
    laid, notes = boards()
    made = []
    for w, title in enumerate(TITLES):
        mine = range(4 * w + 1, 4 * w + 5)
        made.append(
            seed_workshop(
                client,
                {(t - 4 * w, r): cards for (t, r), cards in laid.items() if t in mine},
                {(t - 4 * w, r): text for (t, r), text in notes.items() if t in mine},
                tables=4,
                title=title,
                **options,  # type: ignore[arg-type]
            )
        )
    return made


def share(client: TestClient, token: str) -> str:
    made = client.post(f"/f/{token}/shares", data=form(client), follow_redirects=False)
    assert made.status_code == 303, made.text
    found = re.search(r"new_share=([\w-]+)", made.headers["location"])
    assert found
    return found.group(1)


def programme(client: TestClient, links: list[str], path: str = "", **fields: object):
    return client.post(
        f"/programme{path}",
        data=form(client, {"links": "\n".join(links), "reference": "1", **fields}),
        headers={"Accept": "text/html"},
    )


def share_links(client: TestClient, made: list[tuple[dict, str]]) -> list[str]:
    return [f"{PUBLIC_URL}/s/{share(client, token)}/summary" for _, token in made]


def figures(client: TestClient, links: list[str], **fields: object) -> dict:
    response = programme(client, links, "/programme.json", **fields)
    assert response.status_code == 200, response.text
    return json.loads(response.text)


# --- one chart over three workshops -------------------------------------------------------


def test_three_workshops_add_up_to_the_research_figures_to_the_percent(
    client: TestClient,
) -> None:
    made = split_research(client)
    links = share_links(client, made)
    data = figures(client, links)
    assert data["format"] == "kaartspel-programme"
    assert data["n"] == 24
    assert [w["n"] for w in data["workshops"]] == [8, 8, 8]  # N is their sum
    stimulating = {f["code"]: f["stimulating"]["total"]["percent"] for f in data["factors"]}
    assert stimulating == PUBLISHED
    assert data["left_out"] == {}

    page = programme(client, links)
    assert page.status_code == 200
    assert "N = 24" in page.text and "N=24)" in page.text  # the chart, its title
    for title in TITLES:
        assert title in page.text
    assert page.text.count('class="workshop-chart"') == 3  # side by side, one each
    assert "Onderzoek (N=24)" in page.text  # the research layer: its figures in the table
    assert 'id="shared-factors"' not in page.text  # one deck: nothing to say about it


def test_the_view_filters_by_workshop_and_by_round(client: TestClient) -> None:
    links = share_links(client, split_research(client))
    assert figures(client, links, workshop="2")["n"] == 8
    assert "N = 12" in programme(client, links, round="1").text
    # The downloads, like a summary's, cover both rounds of the workshops ticked.
    assert figures(client, links, round="1", workshop="2")["n"] == 8
    one = programme(client, links, workshop=["1", "3"], round="2")
    assert "2 van 3 workshops · ronde 2" in one.text
    assert "N = 8" in one.text
    assert one.text.count('class="workshop-chart"') == 2
    assert programme(client, links, workshop="4").status_code == 422
    assert programme(client, links, round="3").status_code == 422


# --- different decks ----------------------------------------------------------------------


def other_deck(directory: Path) -> Path:
    """cards/ plus a deck "kort": llo without E4 and E5, with a new E6 and C2 renamed."""
    cards = directory / "cards"
    shutil.copytree(ROOT / "cards", cards)
    for language in ("nl", "en"):
        deck = yaml.safe_load((cards / f"llo.{language}.yaml").read_text(encoding="utf-8"))
        deck["id"] = "kort"
        environment = deck["categories"][-1]
        environment["factors"] = [f for f in environment["factors"] if f["code"] < "E4"]
        environment["factors"].append({"code": "E6", "title": "Klimaat", "subtitle": "Weer"})
        deck["categories"][2]["factors"][1]["title"] = "Ontwikkelkansen"
        for kind in deck.get("conversion_types", []):
            kind["factors"] = [c for c in kind["factors"] if c not in ("E4", "E5")]
        deck["conversion_types"][-1]["factors"].append("E6")
        path = cards / f"kort.{language}.yaml"
        path.write_text(yaml.safe_dump(deck, allow_unicode=True), encoding="utf-8")
    return cards


def test_workshops_with_different_decks_share_only_their_common_factors(
    tmp_path: Path,
) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'decks.db'}",
        public_url=PUBLIC_URL,
        secret_key="test-secret",
        host="127.0.0.1",
        redis_url=None,
        cards_dir=other_deck(tmp_path),
    )
    with TestClient(create_app(settings), base_url=PUBLIC_URL) as client:
        board: list[Card] = [
            ("C2-1", "stimulating", "large", "", ""),
            ("E5-1", "stimulating", "limited", "", ""),
            ("E4-2", "hindering", "large", "", ""),
        ]
        _, llo = seed_workshop(client, {(1, 1): board}, title="Met het hele spel")
        short = client.post(
            "/api/workshops", json={"title": "Met het korte spel", "tables": 1, "deck": "kort"}
        ).json()
        short_token = short["facilitator_url"].rsplit("/", 1)[1]
        from tests.seeding import lay_boards

        lay_boards(
            client.app.state.engine,
            short["id"],
            # Only a factor the other deck lacks: this interview still counts towards N.
            {(1, 1): [("E6-1", "hindering", "large", "", "")]},
        )
        links = [f"/s/{share(client, llo)}/summary", f"/s/{share(client, short_token)}"]
        data = figures(client, links)
        assert data["n"] == 2
        assert "E4" not in data["shared_factors"] and "E6" not in data["shared_factors"]
        assert "C2" in data["shared_factors"] and "X" in data["shared_factors"]
        assert data["left_out"] == {
            data["workshops"][0]["id"]: ["E4", "E5"],
            data["workshops"][1]["id"]: ["E6"],
        }
        by_code = {f["code"]: f for f in data["factors"]}
        assert by_code["C2"]["stimulating"]["total"] == {"count": 1, "percent": 50}
        # Every card is still in the data, with its own deck's words.
        placed = {c["factor"] for i in data["interviews"] for c in i["cards"]}
        assert placed == {"C2", "E5", "E4", "E6"}

        page = programme(client, links).text
        assert 'id="shared-factors"' in page
        assert "Deze workshops zijn met verschillende spellen gespeeld." in page
        assert "dezelfde code in dezelfde categorie" in page
        assert "E6 Klimaat" in page and "E5 " in page
        assert "Ontwikkelmogelijkheden op werk" in page  # the first workshop's titles lead


# --- who may see what ---------------------------------------------------------------------


def test_a_revoked_share_link_drops_its_workshop_with_a_note(client: TestClient) -> None:
    made = split_research(client)
    links = share_links(client, made)
    summary = client.get(f"/f/{made[1][1]}/summary").text
    share_id = re.findall(r"/shares/(\d+)/revoke", summary)[0]
    client.post(f"/f/{made[1][1]}/shares/{share_id}/revoke", data=form(client))

    page = programme(client, links)
    assert page.status_code == 200
    assert "1 link werkt niet meer" in page.text
    assert TITLES[1] not in page.text and TITLES[0] in page.text
    assert "N = 16" in page.text
    assert figures(client, links)["n"] == 16
    # The programme link keeps only the links that still work.
    kept = re.search(r"/programme#links=([^\"]+)\"", page.text)
    assert kept and kept.group(1).count("s/") == 2


def test_a_facilitator_link_works_too_and_the_view_warns_about_passing_it_on(
    client: TestClient,
) -> None:
    made = split_research(client)
    links = [*share_links(client, made[:2]), f"{PUBLIC_URL}/f/{made[2][1]}"]
    page = programme(client, links).text
    assert "N = 24" in page and TITLES[2] in page
    assert "bevat een facilitatorlink" in page
    assert figures(client, links)["n"] == 24


def test_garbage_and_foreign_tokens_open_nothing(client: TestClient) -> None:
    (workshop, token), *_ = split_research(client)
    shared = share(client, token)
    made_up = secrets.token_urlsafe(32)
    tries = [
        f"/s/{made_up}/summary",
        f"/f/{made_up}",
        f"/s/{token}/summary",  # a facilitator token is no share token
        f"/f/{shared}",  # and a share token no facilitator token
        "just some text",
    ]
    page = programme(client, tries)
    assert page.status_code == 200
    assert "4 links werken niet meer" in page.text
    assert "1 regel bevat geen workshoplink" in page.text
    assert workshop["title"] not in page.text and "N = " not in page.text
    refused = programme(client, tries, "/placements.csv")
    assert refused.status_code == 404
    assert workshop["title"] not in refused.text
    # The links are read from the posted form only: a query string opens nothing.
    query = client.get(f"/programme?links=/s/{shared}", headers={"Accept": "text/html"})
    assert query.status_code == 200 and workshop["title"] not in query.text
    # A form from another site is refused, as every form is.
    client.cookies.clear()
    assert client.post("/programme", data={"links": f"/s/{shared}"}).status_code == 403


def test_too_many_links_are_refused(client: TestClient) -> None:
    links = [f"/s/{secrets.token_urlsafe(32)}" for _ in range(31)]
    assert programme(client, links).status_code == 422


# --- downloads ----------------------------------------------------------------------------


def test_the_downloads_carry_a_workshop_column(client: TestClient) -> None:
    made = split_research(client)
    links = share_links(client, made)
    ids = {w["id"] for w, _ in made}

    placements = programme(client, links, "/placements.csv")
    assert placements.status_code == 200
    assert re.search(
        r'filename="kaartspel-programme-[\d-]+-placements\.csv"',
        placements.headers["content-disposition"],
    )
    rows = list(csv.DictReader(io.StringIO(placements.text.lstrip("\ufeff"), newline="")))
    assert {row["workshop_id"] for row in rows} == ids
    assert {row["workshop"] for row in rows} == set(TITLES)
    # The same rows and columns as the three workshops' own CSVs, one after the other.
    singles = [client.get(f"/f/{t}/placements.csv").text[1:].splitlines() for _, t in made]
    assert placements.text[1:].splitlines() == [singles[0][0], *(r for s in singles for r in s[1:])]

    book = load_workbook(io.BytesIO(programme(client, links, "/programme.xlsx").content))
    interviews = list(book["Interviews"].iter_rows(values_only=True))
    assert interviews[0][:3] == ("Workshop-ID", "Workshop", "Tafel")
    assert {row[0] for row in interviews[1:]} == ids and len(interviews) == 25
    notes = list(book["Verslag"].iter_rows(values_only=True))
    assert notes[0][:2] == ("Workshop-ID", "Workshop")
    factors = list(book["Factoren"].iter_rows(values_only=True))
    assert factors[0][:3] == ("Workshop-ID", "Workshop", "Code")
    everyone = [row for row in factors[1:] if row[1] == "Alle workshops"]
    column = factors[0].index("Stimulerend, totaal (%)")
    assert {row[2]: row[column] for row in everyone}["C2"] == 96
    assert len(factors) == 1 + 4 * 25  # all together, then each workshop

    data = figures(client, links)
    assert {i["workshop_id"] for i in data["interviews"]} == ids
    assert len(data["interviews"]) == 24

    pdf = programme(client, links, "/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    from pypdf import PdfReader

    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    for title in TITLES:
        assert title in text
    assert "(N=24)" in text and "96%" in text


@pytest.mark.parametrize("language", ["en"])
def test_the_view_speaks_english_too(client: TestClient, language: str) -> None:
    links = share_links(client, split_research(client, language=language))
    page = programme(client, links).text
    assert "3 workshops together" in page and "All workshops together" in page
    assert "Download" in page
    # A Dutch view of the same links stays Dutch through its filters and downloads.
    dutch = programme(client, links, "?lang=nl").text
    assert "3 workshops samen" in dutch
    assert 'action="/programme?lang=nl#links=' in dutch
    assert 'formaction="/programme/programme.json?lang=nl"' in dutch
    assert '"Stimulerend"' in programme(client, links, "/placements.csv?lang=nl").text
    assert '"Stimulating"' in programme(client, links, "/placements.csv").text


def test_hostile_titles_and_links_are_escaped(client: TestClient) -> None:
    evil = "<script>alert(1)</script>"
    _, token = seed_workshop(
        client, {(1, 1): [("X-1", "stimulating", "large", evil, evil)]}, title=evil
    )
    link = f"/s/{share(client, token)}"
    page = programme(client, [link, f'"><img src=x onerror=alert(1)> {link}']).text
    assert evil not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    form_page = programme(client, ['"><img src=x onerror=alert(1)>']).text
    assert "<img src=x" not in form_page


def test_a_deleted_or_expired_workshop_drops_out(client: TestClient) -> None:
    made = split_research(client)
    links = share_links(client, made)
    deleted = client.post(
        f"/f/{made[0][1]}/delete", data=form(client, {"confirm": "yes"}), follow_redirects=False
    )
    assert deleted.status_code in (200, 303), deleted.text
    with Session(client.app.state.engine) as session:
        workshop = session.get(Workshop, made[1][0]["id"])
        assert workshop is not None
        workshop.date = dt.date.today() - dt.timedelta(days=workshop.retention_days + 1)
        session.add(workshop)
        session.commit()
    page = programme(client, links).text
    assert "2 links werken niet meer" in page
    assert TITLES[0] not in page and TITLES[1] not in page and TITLES[2] in page
    assert "N = 8" in page
