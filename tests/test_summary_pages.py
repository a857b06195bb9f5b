"""The summary over HTTP: pages, downloads, share links, the live table view and presence."""

from __future__ import annotations

import csv
import io
import json
import re
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from app.summary.exports import PLACEMENT_COLUMNS
from tests.conftest import WS_BASE, form, new_phone, require
from tests.seeding import SEED_DATE, seed_workshop

BOARDS = {
    (1, 1): [
        ("A2-1", "stimulating", "large", "Ik durf meer <b>nu</b>", ""),
        ("B1-1", "stimulating", "limited", "", ""),
        ("C1-2", "hindering", "large", "Geen tijd, veel werk", ""),
        ("X-1", "stimulating", "limited", "", "Mantelzorg"),
    ],
    (1, 2): [
        ("A2-2", "hindering", "limited", "", ""),
        ("A2-1", "stimulating", "large", "", ""),
    ],
    (2, 1): [("C1-1", "hindering", "limited", "", ""), ("B1-2", "stimulating", "large", "", "")],
    (2, 2): [],
}
NOTES = {
    (1, 1): {
        "development": "Van monteur naar teamleider.",
        "recommendations": "- Geef tijd voor opleiding\n- Meer budget",
        "reflection": "Een open gesprek <script>alert(1)</script>",
    },
    (2, 1): {"recommendations": "=cmd|' /C calc'!A0"},
}


@pytest.fixture
def seeded(client: TestClient) -> tuple[dict, str]:
    return seed_workshop(client, BOARDS, NOTES)


def html(client: TestClient, path: str) -> str:
    response = client.get(path, headers={"accept": "text/html"})
    assert response.status_code == 200, response.text
    return response.text


def test_summary_page_shows_n_chart_top_factors_and_downloads(
    client: TestClient, seeded: tuple[dict, str]
) -> None:
    _, token = seeded
    page = html(client, f"/f/{token}/summary")
    assert "(N=3)" in page  # three boards with cards; the empty one does not count
    assert "<svg" in page and "Mantelzorg" in page
    assert "Ik durf meer &lt;b&gt;nu&lt;/b&gt;" not in page  # explanations are in the report
    for name in ("report.pdf", "report.html", "placements.csv", "workshop.xlsx", "workshop.json"):
        assert f"/f/{token}/{name}" in page
    assert "chart.png" in page and "chart.svg?download=1" in page
    assert "Geef tijd voor opleiding" in page and "Meer budget" in page  # recommendations


def test_chart_filters_follow_the_query_and_reach_the_downloads(
    client: TestClient, seeded: tuple[dict, str]
) -> None:
    _, token = seeded
    page = html(client, f"/f/{token}/summary?table=1&round=1&sort=hindering&reference=1")
    assert "(N=1)" in page
    assert f"/f/{token}/chart.png?table=1&amp;round=1&amp;sort=hindering&amp;reference=1" in page
    svg = client.get(f"/f/{token}/chart.svg?table=2").text
    assert "(N=1)" in svg and svg.startswith("<?xml")
    both = client.get(f"/f/{token}/chart.svg?table=1&table=2&round=1").text
    assert "(N=2)" in both


@pytest.mark.parametrize(
    "query", ["table=9", "table=x", "table=0", "round=3", "sort=random", "round=%00"]
)
def test_bad_chart_options_get_a_clear_error(
    client: TestClient, seeded: tuple[dict, str], query: str
) -> None:
    _, token = seeded
    response = client.get(f"/f/{token}/summary?{query}")
    assert response.status_code == 422
    assert response.json()["error"]["code"] in ("bad_filter", "invalid")


def test_unknown_links_are_refused(client: TestClient, seeded: tuple[dict, str]) -> None:
    for path in ("/f/nope/summary", "/s/nope/summary", "/s/nope/placements.csv", "/f/x/report.pdf"):
        assert client.get(path).status_code == 404


def test_csv_download_is_tidy_and_guarded(client: TestClient, seeded: tuple[dict, str]) -> None:
    _, token = seeded
    response = client.get(f"/f/{token}/placements.csv")
    assert response.headers["content-type"].startswith("text/csv")
    assert (
        f'filename="kaartspel-leren-in-de-buitendienst-{SEED_DATE}-placements.csv"'
        in response.headers["content-disposition"]
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 8  # every placement, no more
    first = rows[0]
    assert (first["table"], first["round"], first["factor_code"], first["side"]) == (
        "1",
        "1",
        "B1",
        "stimulating",
    )
    anders = next(r for r in rows if r["factor_code"] == "X")
    assert anders["custom_name"] == "Mantelzorg"
    assert {r["card"] for r in rows if r["table"] == "1" and r["round"] == "2"} == {"A2-1", "A2-2"}


def test_xlsx_and_json_downloads(client: TestClient, seeded: tuple[dict, str]) -> None:
    from openpyxl import load_workbook

    _, token = seeded
    response = client.get(f"/f/{token}/workshop.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert len(book.worksheets) == 5
    placements = book.worksheets[0]
    assert placements.max_row == 1 + 8
    data = json.loads(client.get(f"/f/{token}/workshop.json").text)
    assert data["n"] == 3
    # Every table has its round-1 interview from the start (table 3 never laid a card).
    assert len(data["interviews"]) == 5
    text = json.dumps(data)
    assert "device" not in text and "seat" not in text


def test_report_pdf_and_html(client: TestClient, seeded: tuple[dict, str]) -> None:
    from app.summary import converters

    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        require(False, "WeasyPrint needs Pango (Debian: libpango-1.0-0 libpangoft2-1.0-0)")
    _, token = seeded
    page = html(client, f"/f/{token}/report.html")
    assert "Van monteur naar teamleider." in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert page.count('class="interview"') == 3  # the interviews with cards or notes
    response = client.get(f"/f/{token}/report.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert response.headers["content-disposition"].endswith(f'-{SEED_DATE}-report.pdf"')
    from pypdf import PdfReader

    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    text = re.sub(r"\s+", " ", text)
    for expected in ("Leren in de buitendienst", "Van monteur naar teamleider", "Zelfvertrouwen"):
        assert expected in text
    assert converters.REPORT_CSS.exists()


def test_chart_png(client: TestClient, seeded: tuple[dict, str]) -> None:
    try:
        import cairosvg  # noqa: F401
    except (ImportError, OSError):
        require(False, "CairoSVG needs Cairo (Debian: libcairo2)")
    _, token = seeded
    response = client.get(f"/f/{token}/chart.png?round=2")
    assert response.status_code == 200
    assert response.content.startswith(b"\x89PNG\r\n\x1a\n")
    width = int.from_bytes(response.content[16:20], "big")
    assert width == 2000  # drawn at twice the SVG's 1000 units: sharp on a projector


def test_share_links_are_read_only_and_revocable(
    client: TestClient, seeded: tuple[dict, str]
) -> None:
    _, token = seeded
    made = client.post(f"/f/{token}/shares", data=form(client), follow_redirects=False)
    assert made.status_code == 303
    share = re.search(r"new_share=([\w-]+)", made.headers["location"]).group(1)
    shown = html(client, made.headers["location"])
    assert f"/s/{share}/summary" in shown

    page = html(client, f"/s/{share}/summary")
    assert "(N=3)" in page
    assert f"/f/{token}" not in page  # the facilitator's secret never leaks to a share
    assert "/shares" not in page and "data-key" not in page
    assert client.get(f"/s/{share}/placements.csv").status_code == 200
    plenary = html(client, f"/s/{share}/plenary")
    assert "data-key" not in plenary
    assert client.get(f"/s/{share}/tables/1").status_code == 404  # no live tables for shares
    assert client.post(f"/s/{share}/shares", data=form(client)).status_code in (404, 405)

    listed = html(client, f"/f/{token}/summary")
    share_id = re.search(r"/shares/(\d+)/revoke", listed).group(1)
    other, other_token = seed_workshop(client, {}, title="Andere workshop")
    assert (
        client.post(f"/f/{other_token}/shares/{share_id}/revoke", data=form(client)).status_code
        == 404
    )
    assert client.get(f"/s/{share}/summary").status_code == 200
    revoked = client.post(
        f"/f/{token}/shares/{share_id}/revoke", data=form(client), follow_redirects=False
    )
    assert revoked.status_code == 303
    assert client.get(f"/s/{share}/summary").status_code == 404
    assert client.get(f"/s/{share}/workshop.json").status_code == 404


def test_plenary_has_a_slide_per_interview_with_cards(
    client: TestClient, seeded: tuple[dict, str]
) -> None:
    _, token = seeded
    page = html(client, f"/f/{token}/plenary")
    assert len(re.findall(r'class="slide slide-', page)) == 1 + 3 + 1
    assert "Van monteur naar teamleider." in page
    assert "Een open gesprek &lt;script&gt;" in page
    assert 'src="/static/js/plenary.js?v=' in page


def test_table_view_and_its_live_board(client: TestClient, seeded: tuple[dict, str]) -> None:
    _, token = seeded
    page = html(client, f"/f/{token}/tables/1")
    assert f"/f/{token}/tables/1/board.svg" in page
    board = client.get(f"/f/{token}/tables/1/board.svg")
    assert board.headers["content-type"].startswith("image/svg+xml")
    assert client.get(f"/f/{token}/tables/7").status_code == 404


def test_report_follows_the_workshop_language(client: TestClient) -> None:
    _, token = seed_workshop(client, BOARDS, NOTES, language="en")
    page = html(client, f"/f/{token}/report.html?lang=nl")
    assert 'lang="en"' in page and "Self-confidence" in page


def test_dashboard_sees_who_is_connected(client: TestClient, seeded: tuple[dict, str]) -> None:
    workshop, token = seeded
    code = workshop["tables"][0]["join_code"]
    phone = new_phone(client)
    seat = phone.post(f"/api/tables/{code}/seat", json={"role": "reporter"}).json()
    with client.websocket_connect(f"{WS_BASE}/ws/workshops/{workshop['id']}?key={token}") as dash:
        first = dash.receive_json()
        table = first["tables"][0]
        # Nobody connected yet; the reporter's story of round 1 is written (seeded).
        assert table["online"] == [] and table["recorded"] is True
        assert first["tables"][2]["recorded"] is False  # table 3: nothing written
    with client.websocket_connect(f"{WS_BASE}/ws/workshops/{workshop['id']}?key={token}") as dash:
        dash.receive_json()
        with phone.websocket_connect(f"{WS_BASE}/ws/tables/{code}") as socket:
            socket.receive_json()  # the phone's snapshot
            online = dash.receive_json()
            assert online == {
                "type": "presence",
                "table_id": table["table_id"],
                "online": [seat["id"]],
            }
        gone = dash.receive_json()
        assert gone["type"] == "presence" and gone["online"] == []


def test_without_pango_or_cairo_the_downloads_say_so(
    client: TestClient, seeded: tuple[dict, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import fails as without Pango
    monkeypatch.setitem(sys.modules, "cairosvg", None)
    _, token = seeded
    for path in ("report.pdf", "chart.png"):
        response = client.get(f"/f/{token}/{path}")
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "export_unavailable"
    assert client.get(f"/f/{token}/placements.csv").status_code == 200


def test_the_pdf_is_made_once_per_state_of_the_tables(
    client: TestClient, seeded: tuple[dict, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.summary import router

    made: list[int] = []
    monkeypatch.setattr(router, "pdf_from_html", lambda html: made.append(1) or b"%PDF-fake")
    workshop, token = seeded
    first = client.get(f"/f/{token}/report.pdf")
    assert client.get(f"/f/{token}/report.pdf").content == first.content and len(made) == 1
    client.post(
        f"/api/workshops/{workshop['id']}/rounds/start",
        json={"table": 2},
        headers={"authorization": f"Bearer {token}"},
    )
    client.get(f"/f/{token}/report.pdf")
    assert len(made) == 2  # a table moved: a new report


def test_the_summary_offers_the_researchs_grouping(
    client: TestClient, seeded: tuple[dict, str]
) -> None:
    _, token = seeded
    page = html(client, f"/f/{token}/summary?sort=type")
    assert '<option value="type" selected>' in page
    assert "Persoonlijke conversiefactoren" in page and "Systeemconversiefactoren" in page
    svg = client.get(f"/f/{token}/chart.svg?sort=type").text
    assert "Werk/organisatie conversiefactoren" in svg
    assert f"/f/{token}/chart.png?sort=type" in page  # the downloads follow the choice


def test_recommendations_are_listed_once_with_the_other_categories_named(
    client: TestClient,
) -> None:
    notes = {(1, 1): {"recommendations": "Leidinggevenden moeten zelfvertrouwen geven"}}
    _, token = seed_workshop(client, {(1, 1): [("A2-1", "stimulating", "large", "", "")]}, notes)
    page = html(client, f"/f/{token}/summary")
    panel = page.split('id="recommendations"', 1)[1].split("</section>", 1)[0]
    assert panel.count("Leidinggevenden moeten zelfvertrouwen geven") == 1
    assert "gaat ook over: Persoonlijke factoren" in panel


WORDS = {
    "nl": ("Kantcode", "Kant", "Matecode", "Mate", "Stimulerend", "Belemmerend")
    + ("In beperkte mate", "In grote mate"),
    "en": ("Side code", "Side", "Extent code", "Extent", "Stimulating", "Hindering")
    + ("To a limited extent", "To a large extent"),
}


@pytest.mark.parametrize("language", ["nl", "en"])
def test_downloads_give_the_workshops_words_beside_stable_codes(
    client: TestClient, language: str
) -> None:
    from openpyxl import load_workbook

    _, token = seed_workshop(client, BOARDS, NOTES, language=language)
    side_code, side, extent_code, extent, stimulating, hindering, limited, large = WORDS[language]
    words = {"stimulating": stimulating, "hindering": hindering, "limited": limited, "large": large}
    pairs = {("stimulating", stimulating), ("hindering", hindering)}
    extents = {("limited", limited), ("large", large)}

    # CSV: machine names in the header row whatever the language; words in *_label columns.
    text = client.get(f"/f/{token}/placements.csv").content.decode("utf-8-sig")
    assert text.split("\r\n", 1)[0] == ",".join(PLACEMENT_COLUMNS)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {(r["side"], r["side_label"]) for r in rows} == pairs
    assert {(r["extent"], r["extent_label"]) for r in rows} == extents

    # XLSX: headers in the workshop's language, the code column beside the word column.
    sheet = load_workbook(io.BytesIO(client.get(f"/f/{token}/workshop.xlsx").content)).worksheets[0]
    table = [list(r) for r in sheet.iter_rows(values_only=True)]
    at = {key: i for i, key in enumerate(PLACEMENT_COLUMNS)}
    assert [table[0][at[k]] for k in ("side", "side_label", "extent", "extent_label")] == [
        side_code,
        side,
        extent_code,
        extent,
    ]
    assert {(r[at["side"]], r[at["side_label"]]) for r in table[1:]} == pairs
    assert {(r[at["extent"]], r[at["extent_label"]]) for r in table[1:]} == extents

    # JSON: codes stay the keys and values; the words come along.
    data = json.loads(client.get(f"/f/{token}/workshop.json").text)
    cards = [c for i in data["interviews"] for c in i["cards"]]
    assert len(cards) == 8
    for c in cards:
        assert (c["side_label"], c["extent_label"]) == (words[c["side"]], words[c["extent"]])


# The game's words are "rapporteur" and "observant" (GAME.md); these drifted in before.
OTHER_ROLE_WORDS = re.compile(r"observator|verslaglegger|notulist|waarnemer", re.IGNORECASE)


def test_pages_and_downloads_name_each_role_as_the_game_does(
    client: TestClient, seeded: tuple[dict, str]
) -> None:
    from openpyxl import load_workbook

    workshop, token = seeded
    texts = {
        path: html(client, f"/f/{token}/{path}")
        for path in ("summary", "plenary", "report.html", "tables/1")
    }
    texts["dashboard"] = html(client, f"/f/{token}")
    texts["join"] = html(client, urlsplit(workshop["tables"][0]["join_url"]).path)
    book = load_workbook(io.BytesIO(client.get(f"/f/{token}/workshop.xlsx").content))
    texts["xlsx"] = " ".join(
        str(cell) for ws in book.worksheets for r in ws.iter_rows(values_only=True) for cell in r
    )
    texts["json"] = client.get(f"/f/{token}/workshop.json").text
    texts["csv"] = client.get(f"/f/{token}/placements.csv").text
    for name, text in texts.items():
        assert not OTHER_ROLE_WORDS.search(text), (name, OTHER_ROLE_WORDS.search(text))
    for name in ("plenary", "report.html", "xlsx"):
        assert "Reflectie van de observant" in texts[name], name
    for word in ("Rapporteur", "Observant"):
        assert word in texts["join"] and word in texts["dashboard"]
    assert "wat de rapporteur en de observant schrijven" in texts["join"]  # the privacy text


def test_the_bar_charts_name_the_blank_cards_names_by_side_in_words(
    client: TestClient, seeded: tuple[dict, str]
) -> None:
    """The plenary's bars (and the phone's, on the summary page) printed the names as Python
    saw them: "(Named(name='Mantelzorg', side='stimulating'),)"."""
    _, token = seeded
    for path in ("plenary", "summary"):
        page = html(client, f"/f/{token}/{path}")
        bars = page.split('class="bars"', 1)[1].split("</figure>", 1)[0]
        assert "(Stimulerend: Mantelzorg)" in bars, path
        assert "Named(" not in page, path
