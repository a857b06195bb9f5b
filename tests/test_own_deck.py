"""A facilitator's own deck: through the API and the create page, any card-sort theme, and
every hostile deck refused clearly (or made safe), with nothing created."""

from __future__ import annotations

import copy
import html
import io
import json
import re
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import text

from app.deck_files import MAX_CARDS, MAX_FILE_BYTES, read_file
from tests.conftest import form, new_phone
from tests.test_live_table import open_table, place

# "What helps and hinders working from home": one theme that is not the research's.
HOME: dict[str, Any] = {
    "id": "thuiswerk",
    "language": "en",
    "kind": "factors",
    "title": "What helps and hinders working from home",
    "copies": 2,
    "categories": [
        {
            "code": "H",
            "title": "The home",
            "factors": [
                {"code": "H1", "title": "A quiet room", "subtitle": "A door that closes"},
                {"code": "H2", "title": "Children at home", "subtitle": "School holidays"},
            ],
        },
        {
            "code": "T",
            "title": "Tools",
            "factors": [{"code": "T1", "title": "Video calls", "subtitle": "Camera, sound"}],
        },
    ],
    "blank": {"code": "X", "title": "Other, namely …", "subtitle": "Name it yourself"},
}
HOME_CSV = (
    "category,code,title,subtitle\n"
    "The home,H1,A quiet room,A door that closes\n"
    "The home,H2,Children at home,School holidays\n"
    'Tools,T1,Video calls,"Camera, sound"\n'
    ',X,"Other, namely …",Name it yourself\n'
)


def create(client: TestClient, **fields: Any) -> Any:
    body = {"title": "Thuiswerken", "tables": 2, "language": "en", **fields}
    return client.post("/api/workshops", json=body, headers={"Accept-Language": "en"})


def count(client: TestClient, table: str) -> int:
    with client.app.state.engine.connect() as connection:  # type: ignore[attr-defined]
        return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar() or 0)


def token_of(workshop: dict) -> str:
    return str(workshop["facilitator_url"]).rsplit("/", 1)[-1]


def test_a_workshop_plays_with_its_own_deck(client: TestClient) -> None:
    response = create(client, own_deck=[HOME])
    assert response.status_code == 201, response.text
    workshop = response.json()
    assert workshop["deck"] == "thuiswerk"
    code = workshop["tables"][0]["join_code"]
    deck = client.get(f"/api/tables/{code}/deck").json()
    assert [c["id"] for c in deck["cards"]] == [
        "H1-1", "H1-2", "H2-1", "H2-2", "T1-1", "T1-2", "X-1", "X-2"
    ]  # fmt: skip
    # One language given: a Dutch phone sees the workshop's (English) cards.
    assert client.get(f"/api/tables/{code}/deck?lang=nl").json()["language"] == "en"
    with open_table(client, workshop, ("interviewer", "respondent1")) as table:
        assert table.command("respondent1", place("H2-1", "hindering"))[0]["type"] == "ack"
        assert table.command("respondent1", place("A1-1"))[0]["code"] == "unknown_card"
    token = token_of(workshop)
    summary = client.get(f"/f/{token}/summary?lang=en").text
    assert "Children at home" in summary and "The home" in summary
    assert "Compare with the research" not in summary  # no reference figures in this deck
    data = client.get(f"/f/{token}/workshop.json").json()
    assert [f["code"] for f in data["factors"]][:3] == ["H1", "H2", "T1"]
    assert data["interviews"][0]["cards"][0]["factor_title"] == "Children at home"
    assert "Children at home" in client.get(f"/f/{token}/placements.csv").text
    assert client.get(f"/f/{token}/workshop.xlsx").status_code == 200
    report = client.get(f"/f/{token}/report.html?lang=en").text
    assert "Children at home" in report and "N=24" not in report  # no research figures


def test_the_deck_downloads_as_a_file_that_creates_the_same_workshop(client: TestClient) -> None:
    workshop = create(client, own_deck=[HOME]).json()
    response = client.get(f"/f/{token_of(workshop)}/deck.en.yaml")
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    again = yaml.safe_load(response.text)
    assert again == HOME
    assert read_file("deck.yaml", response.content, "en").title == HOME["title"]


def test_two_languages_must_match_and_the_workshop_language_must_be_there(
    client: TestClient,
) -> None:
    dutch = copy.deepcopy(HOME) | {"language": "nl", "title": "Thuiswerken"}
    assert create(client, own_deck=[HOME, dutch]).status_code == 201
    refused = create(client, own_deck=[dutch], language="en")
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "invalid_deck"
    assert "en" in refused.json()["error"]["message"]
    dutch["categories"][0]["factors"].pop()
    refused = create(client, own_deck=[HOME, dutch])
    assert refused.status_code == 422 and "factors" in refused.json()["error"]["message"]


def broken(change: Any) -> dict:
    deck = copy.deepcopy(HOME)
    change(deck)
    return deck


HOSTILE = {
    "duplicate codes": (
        lambda d: d["categories"][1]["factors"].append(dict(d["categories"][0]["factors"][0])),
        "duplicate factor code 'H1'",
    ),
    "an empty category": (
        lambda d: d["categories"][1].update(factors=[]),
        "categories[1].factors",
    ),
    "a missing title": (
        lambda d: d["categories"][0]["factors"][0].pop("title"),
        "categories[0].factors[0].title",
    ),
    "a code that is no code": (
        lambda d: d["categories"][0]["factors"][0].update(code="h1<b>"),
        "categories[0].factors[0].code",
    ),
    "a code longer than a placement keeps": (
        lambda d: d["categories"][0]["factors"][0].update(code="HABCDEFGHIJ"),
        "at most 8 characters",
    ),
    "500 cards": (
        lambda d: d["categories"][0].update(
            factors=[{"code": f"H{n}", "title": f"t{n}", "subtitle": "s"} for n in range(250)]
        ),
        f"a deck may have at most {MAX_CARDS}",
    ),
    "a title of 10 000 characters": (
        lambda d: d["categories"][0]["factors"][0].update(title="x" * 10_000),
        "at most 80 characters",
    ),
    "outcome cards": (lambda d: d.update(kind="outcomes"), "kind: factors"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_deck_is_refused_and_nothing_is_created(client: TestClient, name: str) -> None:
    change, expected = HOSTILE[name]
    response = create(client, own_deck=[broken(change)])
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_deck"
    assert expected in error["message"], error
    assert error["details"][0]["problem"] == error["message"].split(": ", 1)[1]
    assert count(client, "workshop") == count(client, "frozen_copy") == 0


def test_the_refusal_speaks_dutch_to_a_dutch_facilitator(client: TestClient) -> None:
    deck = broken(lambda d: d["categories"][1].update(factors=[]))
    response = client.post(
        "/api/workshops",
        json={"title": "x", "language": "en", "own_deck": [deck]},
        headers={"Accept-Language": "nl"},
    )
    message = response.json()["error"]["message"]
    assert message.startswith("Dit kaartspel kan niet worden gebruikt")
    assert "heeft minstens één kaart nodig" in message


def test_html_and_formulas_in_titles_are_escaped_and_guarded(client: TestClient) -> None:
    deck = broken(
        lambda d: d["categories"][0]["factors"][0].update(
            title="<script>alert(1)</script>", subtitle='=HYPERLINK("http://x")'
        )
    )
    workshop = create(client, own_deck=[deck]).json()
    code = workshop["tables"][0]["join_code"]
    phone = new_phone(client)
    assert phone.post(f"/api/tables/{code}/seat", json={"role": "observer"}).status_code == 201
    with open_table(client, workshop, ("interviewer", "respondent1")) as table:
        assert table.command("respondent1", place("H1-1"))[0]["type"] == "ack"
    page = phone.get(f"/t/{code}").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    token = token_of(workshop)
    for path in ("summary", "report.html", "plenary", "tables/1/board.svg"):
        assert "<script>alert(1)" not in client.get(f"/f/{token}/{path}").text, path
    csv_text = client.get(f"/f/{token}/placements.csv").text
    assert "\n=HYPERLINK" not in csv_text and ",=HYPERLINK" not in csv_text


# --- files: the documented YAML and a CSV ------------------------------------------------


def test_a_csv_reads_as_the_same_deck_as_its_yaml() -> None:
    from_csv = read_file("What helps and hinders working from home.csv", HOME_CSV.encode(), "en")
    assert [f.code for f in from_csv.factors()] == ["H1", "H2", "T1", "X"]
    assert from_csv.categories[0].title == "The home" and from_csv.blank is not None
    assert from_csv.title == "What helps and hinders working from home"
    semicolons = HOME_CSV.replace(",", ";").replace('"Camera; sound"', '"Camera, sound"')
    assert read_file("x.csv", ("\ufeff" + semicolons).encode(), "en").factors()[2].subtitle


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("a.csv", "category,code,title\n", "row 1"),
        ("a.csv", HOME_CSV.replace("home,H2", "home,T2"), "row 3, categories[0].factors[1].code"),
        ("a.csv", HOME_CSV.replace("Tools,T1", "Tools,H3"), "row 4, categories[1].code"),
        ("a.csv", HOME_CSV + "The home,H1,Again,again\n", "row 6"),
        ("a.csv", HOME_CSV.replace("Video calls", ""), "row 4"),
        (
            "a.yaml",
            "id: x\nkind: factors\nlanguage: en\ntitle: t\ncopies: 2\ncategories: []\n",
            "line 6",
        ),
        ("a.yaml", "a: &a [1]\nb: *a\n", "anchors and aliases"),
        ("a.yaml", "id: [unclosed\n", "line 2"),
        ("a.pdf", "x", ".yaml, .yml or .csv"),
        ("a.csv", "\xff", "UTF-8"),
    ],
)
def test_a_broken_file_says_where(name: str, content: str, expected: str) -> None:
    from app.deck import DeckError
    from app.deck_files import problem_text

    raw = content.encode("latin-1") if content == "\xff" else content.encode()
    with pytest.raises(DeckError) as error:
        read_file(name, raw, "en")
    assert expected in problem_text(error.value, "en")


def test_a_5_mb_upload_is_refused_before_it_is_read() -> None:
    from app.deck import DeckError

    with pytest.raises(DeckError) as error:
        read_file("big.yaml", b"#" * (5 * 1024 * 1024), "en")
    assert f"{MAX_FILE_BYTES // 1024} KB" in error.value.message


# --- the create page ---------------------------------------------------------------------


def post_form(client: TestClient, fields: dict[str, str], files: list | None = None) -> Any:
    values = {"title": "Thuiswerken", "tables": "2", "language": "en", "deck": "own", **fields}
    return client.post(
        "/workshops?lang=en", data=form(client, values), files=files, follow_redirects=False
    )


def test_the_page_previews_an_uploaded_csv_and_then_creates_from_it(client: TestClient) -> None:
    upload = [("deck_file", ("home.csv", io.BytesIO(HOME_CSV.encode()), "text/csv"))]
    preview = post_form(client, {"action": "preview"}, upload)
    assert preview.status_code == 200 and count(client, "workshop") == 0
    assert "Children at home" in preview.text and 'class="hand-card' in preview.text
    # The checked deck travels on in the page, so creating needs no second upload.
    carried = re.search(r'name="own_deck" id="own_deck" value="([^"]*)"', preview.text)
    assert carried is not None
    own = json.loads(html.unescape(carried.group(1)))
    created = post_form(client, {"action": "create", "own_deck": json.dumps(own)})
    assert created.status_code == 303, created.text
    assert count(client, "workshop") == 1


def test_the_page_creates_straight_from_an_upload(client: TestClient) -> None:
    upload = [("deck_file", ("home.yaml", io.BytesIO(yaml.safe_dump(HOME).encode()), "x"))]
    assert post_form(client, {}, upload).status_code == 303


def test_the_page_shows_a_broken_file_s_problem_in_the_facilitator_s_language(
    client: TestClient,
) -> None:
    upload = [
        (
            "deck_file",
            ("home.csv", io.BytesIO(HOME_CSV.replace("home,H2", "home,T2").encode()), "x"),
        )
    ]
    client.cookies.set("ks_lang", "nl")
    response = client.post(
        "/workshops?lang=nl",
        data=form(client, {"title": "T", "tables": "2", "language": "en", "deck": "own"}),
        files=upload,
    )
    assert response.status_code == 422
    assert "home.csv, rij 3" in response.text and "moet beginnen met" in response.text
    assert count(client, "workshop") == 0


def test_a_5_mb_upload_on_the_page_is_refused_and_nothing_is_created(client: TestClient) -> None:
    big = io.BytesIO(b"category,code,title,subtitle\n" + b"A,A1,x,y\n" * 600_000)
    response = post_form(client, {}, [("deck_file", ("big.csv", big, "text/csv"))])
    assert response.status_code == 422
    assert f"larger than {MAX_FILE_BYTES // 1024} KB" in response.text
    assert count(client, "workshop") == 0


def test_a_5_mb_deck_through_the_api_is_refused(client: TestClient) -> None:
    deck = broken(lambda d: d["categories"][0]["factors"][0].update(subtitle="x" * 5_000_000))
    response = create(client, own_deck=[deck])
    assert response.status_code == 422
    assert "at most 200 characters" in response.json()["error"]["message"]
    assert count(client, "workshop") == 0
