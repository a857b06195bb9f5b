"""The facilitator's JSON API and pages: creating a workshop, its tables, QR codes, access."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from app.main import create_app
from app.settings import Settings
from tests.conftest import PUBLIC_URL, form, join_code

LAST_MONTH = (dt.date.today() - dt.timedelta(days=30)).isoformat()


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] == "ok"


def test_create_minimal_workshop_defaults_everything(client: TestClient) -> None:
    response = client.post("/api/workshops", json={"title": "Buitendienst", "tables": 12})
    assert response.status_code == 201
    data = response.json()
    assert data["id"] and data["round_minutes"] == 15 and data["language"] == "nl"
    assert data["deck"] == "llo"
    assert data["facilitator_url"].startswith(f"{PUBLIC_URL}/f/")
    assert [t["number"] for t in data["tables"]] == list(range(1, 13))
    codes = {join_code(t["join_url"]) for t in data["tables"]}
    assert len(codes) == 12  # every table its own code
    for table in data["tables"]:
        assert table["join_url"].startswith(f"{PUBLIC_URL}/j/")
        assert table["qr_url"] == f"{PUBLIC_URL}/qr/{table['join_code']}.svg"


def test_qr_images_are_served(client: TestClient, workshop: dict) -> None:
    table = workshop["tables"][0]
    svg = client.get(table["qr_url"].removeprefix(PUBLIC_URL))
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert "<svg" in svg.text
    png = client.get(table["qr_png_url"].removeprefix(PUBLIC_URL))
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    assert client.get("/qr/AAAAAAAA.svg").status_code == 404


def test_all_options(client: TestClient) -> None:
    body = {
        "title": "  Workshop   LLO ",
        "tables": 100,
        "date": LAST_MONTH,
        "organisation": "A&O fonds Gemeenten",
        "deck": "llo",
        "round_minutes": 20,
        "language": "en",
    }
    data = client.post("/api/workshops", json=body).json()
    assert data["title"] == "Workshop LLO"
    assert len(data["tables"]) == 100
    assert data["date"] == LAST_MONTH and data["language"] == "en" and data["deck"] == "llo"


def test_invalid_bodies_are_refused_with_a_reason(client: TestClient) -> None:
    cases = [
        {"title": "", "tables": 3},
        {"title": "   ", "tables": 3},
        {"title": "x", "tables": 0},
        {"title": "x", "tables": 101},
        {"title": "x", "tables": "many"},
        {"title": "x" * 201},
        {"title": "x", "language": "de"},
        {"title": "x", "round_minutes": 0},
        {"title": "x", "surprise": True},
        {"tables": 3},
    ]
    for body in cases:
        response = client.post("/api/workshops", json=body)
        assert response.status_code == 422, body
        assert response.json()["error"]["code"] == "invalid"
        assert response.json()["error"]["details"], body
    for deck in ["tarot", "opbrengsten"]:  # outcome cards are no deck to play the board with
        unknown_deck = client.post("/api/workshops", json={"title": "x", "deck": deck})
        assert unknown_deck.status_code == 422
        assert unknown_deck.json()["error"]["code"] == "unknown_deck"
    not_json = client.post(
        "/api/workshops", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 422


def test_admin_token_guards_creation_when_configured(settings: Settings) -> None:
    settings.admin_token = "s3cret-admin"
    with TestClient(create_app(settings), base_url=PUBLIC_URL) as client:
        assert client.post("/api/workshops", json={"title": "x"}).status_code == 401
        wrong = client.post(
            "/api/workshops", json={"title": "x"}, headers={"Authorization": "Bearer nope"}
        )
        assert wrong.status_code == 401
        ok = client.post(
            "/api/workshops", json={"title": "x"}, headers={"Authorization": "Bearer s3cret-admin"}
        )
        assert ok.status_code == 201


def test_facilitator_token_is_needed_to_read_a_workshop(client: TestClient, workshop: dict) -> None:
    token = workshop["facilitator_url"].rsplit("/", 1)[1]
    url = f"/api/workshops/{workshop['id']}"
    assert client.get(url).status_code == 403
    assert client.get(url, headers={"Authorization": "Bearer forged"}).status_code == 403
    ok = client.get(url, headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200 and ok.json()["id"] == workshop["id"]
    assert ok.json()["facilitator_url"] is None  # the secret is only handed out once
    # Another workshop's token does not open this one.
    other = client.post("/api/workshops", json={"title": "other"}).json()
    other_token = other["facilitator_url"].rsplit("/", 1)[1]
    assert client.get(url, headers={"Authorization": f"Bearer {other_token}"}).status_code == 403


def test_facilitator_pages(client: TestClient, workshop: dict) -> None:
    path = workshop["facilitator_url"].removeprefix(PUBLIC_URL)
    page = client.get(path, headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "Leren in de buitendienst" in page.text
    assert page.text.count('class="qr-card"') == 3
    assert "Tafel 1" in page.text  # Dutch by default
    cards = client.get(f"{path}/cards")
    assert cards.status_code == 200 and cards.text.count('class="table-card"') == 3
    for table in workshop["tables"]:
        assert table["join_url"] in cards.text
    assert client.get("/f/not-a-real-token", headers={"accept": "text/html"}).status_code == 404
    english = client.get(f"{path}?lang=en", headers={"accept": "text/html"})
    assert "Table 1" in english.text


def test_form_creates_workshop_and_redirects_to_secret_link(client: TestClient) -> None:
    response = client.post(
        "/workshops",
        data=form(
            client,
            {"title": "Form workshop", "tables": "4", "date": LAST_MONTH, "language": "en"},
        ),
        follow_redirects=False,
    )
    assert response.status_code == 303
    page = client.get(response.headers["location"])
    assert page.status_code == 200 and page.text.count('class="qr-card"') == 4
    bad = client.post("/workshops", data=form(client, {"title": "", "tables": "500"}))
    assert bad.status_code == 422
    assert 'aria-invalid="true"' in bad.text


def test_warns_when_phones_cannot_reach_the_address(settings: Settings) -> None:
    settings.public_url = "http://localhost:8000"
    with TestClient(create_app(settings), base_url=PUBLIC_URL) as client:
        data = client.post("/api/workshops", json={"title": "x", "language": "en"}).json()
        page = client.get(data["facilitator_url"].removeprefix("http://localhost:8000"))
        assert "Phones cannot reach this address" in page.text


def test_start_page_and_openapi(client: TestClient) -> None:
    assert "Start een workshop" in client.get("/").text
    schema = client.get("/openapi.json").json()
    assert "/api/workshops" in schema["paths"]


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
@pytest.mark.parametrize("huge", [2**31, 2**63, 10**20])
def test_numbers_too_large_for_the_database_are_refused_not_failed_on(
    settings: Settings, request: pytest.FixtureRequest, database: str, huge: int
) -> None:
    if database == "postgresql":  # INTEGER is 32 bits there: 2**31 fails where SQLite's does not
        settings = settings.model_copy(
            update={"database_url": request.getfixturevalue("postgres_url")}
        )
    with TestClient(create_app(settings), base_url=PUBLIC_URL) as client:
        made = client.post("/api/workshops", json={"title": "Groot", "tables": 2}).json()
        token = made["facilitator_url"].rsplit("/", 1)[1]
        code = made["tables"][0]["join_code"]
        client.post(f"/api/tables/{code}/seat", json={"role": "observer"})
        for path in (
            f"/f/{token}/tables/{huge}",
            f"/f/{token}/tables/{huge}/board.svg",
            f"/f/{token}/tables/{huge}/rounds/1.svg",
            f"/f/{token}/tables/1/rounds/{huge}.svg",
            f"/t/{code}/rounds/{huge}.svg",
        ):
            assert client.get(path).status_code in (404, 422), path
        for path, fields in (
            (f"/f/{token}/rounds", {"action": "start", "table": str(huge)}),
            (f"/f/{token}/rounds", {"action": "extend", "minutes": str(huge)}),
            (f"/f/{token}/shares/{huge}/revoke", {}),
        ):
            answer = client.post(path, data=form(client, fields), follow_redirects=False)
            assert answer.status_code in (404, 422), (path, fields)
        # Refused, never read as "every table": nothing started.
        with client.app.state.engine.connect() as connection:
            statuses = connection.execute(text("SELECT round_status FROM workshop_table"))
            assert {status for (status,) in statuses} == {"waiting"}


def test_the_api_reads_json_as_its_schema_says(client: TestClient, workshop: dict) -> None:
    """Numbers are numbers and a date is YYYY-MM-DD text: what the schema declares, no more."""
    for wrong in (
        {"date": 0},
        {"date": 1764547200},
        {"date": "1764547200"},
        {"date": "2026-W49-2"},
        {"tables": "12"},
        {"tables": True},
        {"tables": 12.0},
        {"round_minutes": False},
        {"retention_days": "90"},
        {"deck": " llo"},
        {"title": " " * 5 + "x" * 200},  # 205 characters: too long, also before tidying
        {"title": "\x1c"},
    ):
        refused = client.post("/api/workshops", json={"title": "T"} | wrong)
        assert refused.status_code == 422, (wrong, refused.text)
    token = workshop["facilitator_url"].rsplit("/", 1)[1]
    rounds = f"/api/workshops/{workshop['id']}/rounds/extend"
    bearer = {"authorization": f"Bearer {token}"}
    for wrong in ({"minutes": False}, {"minutes": "5"}, {"table": True}, {"table": "1"}):
        assert client.post(rounds, json=wrong, headers=bearer).status_code == 422, wrong
    assert client.post(rounds, json={"minutes": 5, "table": 1}, headers=bearer).status_code == 200
    # The HTML form's fields are all text, and stay so.
    page = client.post("/workshops", data=form(client, {"title": "T", "tables": "2"}))
    assert page.status_code == 200 and page.text.count('class="qr-card"') == 2


def test_the_schema_says_what_each_operation_answers(client: TestClient, workshop: dict) -> None:
    schema = client.get("/openapi.json").json()
    create = schema["paths"]["/api/workshops"]["post"]
    assert "unknown_deck" in create["responses"]["422"]["description"]
    date = schema["components"]["schemas"]["WorkshopCreate"]["properties"]["date"]
    assert date["format"] == "date" and "five years" in date["description"]
    # A method a path does not serve: 405, naming every method it does serve.
    url = f"/api/workshops/{workshop['id']}"
    for method in ("OPTIONS", "PUT", "PATCH"):
        refused = client.request(method, url)
        assert refused.status_code == 405 and refused.headers["allow"] == "GET, DELETE"
    assert client.request("OPTIONS", "/api/workshops").headers["allow"] == "POST"
