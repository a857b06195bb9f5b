"""The facilitator pages' JSON twins and the share-link and retention API (issue #17 item 12).

Each twin is checked against the page it mirrors, figure by figure, on a played workshop:
the research's 24 interviews replayed (tests/research_replay.py), seats taken by phones.
"""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import text

from app.api_errors import ErrorBody
from tests import research_replay
from tests.conftest import WS_BASE, form, new_phone
from tests.seeding import seed_workshop
from tests.test_privacy import _every_route


@pytest.fixture
def played(client: TestClient) -> tuple[dict, str]:
    boards, notes = research_replay.boards()
    return seed_workshop(client, boards, notes, tables=research_replay.TABLES)


def page(client: TestClient, path: str) -> str:
    response = client.get(path, headers={"accept": "text/html"})
    assert response.status_code == 200, response.text[:300]
    return response.text


def twin(client: TestClient, path: str) -> dict:
    response = client.get(path, headers={"accept": "text/html"})  # a browser opening it
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"] == "application/json"
    data: dict = response.json()
    return data


def esc(text: str) -> str:
    """Text as Jinja writes it into a page."""
    return str(escape(text))


def refused(
    client: TestClient,
    method: str,
    path: str,
    status: int,
    headers: dict[str, str] | None = None,
    **options: object,
) -> str:
    """The refusal's code, after checking it has the API's one error shape, as JSON (also
    when a browser asks for a page)."""
    headers = {"accept": "text/html"} | (headers or {})
    response = client.request(method, path, headers=headers, **options)  # type: ignore[arg-type]
    assert response.status_code == status, (path, response.text[:300])
    assert response.headers["content-type"] == "application/json", path
    return ErrorBody.model_validate(response.json()).error.code


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def _figures_table(summary: str) -> list[tuple[str, tuple[int, ...]]]:
    """The page's figures table (_chart_table.html): factor title, then every printed figure."""
    table = summary.split('<table class="figures">', 1)[1].split("</table>", 1)[0]
    rows = []
    for row in re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</tr>", table, re.S):
        title = html.unescape(re.split(r"<span|</th>", row, maxsplit=1)[0].strip())
        numbers = row.split("</th>", 1)[1]
        rows.append((title, tuple(int(n) for n in re.findall(r"(\d+)%?", numbers))))
    return rows


def _json_rows(figures: dict) -> list[tuple[str, tuple[int, ...]]]:
    rows = []
    for group in figures["groups"]:
        for factor in group["factors"]:
            numbers: list[int] = []
            for side in ("stimulating", "hindering"):
                s = factor[side]
                numbers += [s["limited"]["percent"], s["large"]["percent"]]
                numbers += [s["total"]["percent"], s["total"]["count"]]
            if figures["has_reference"] and factor["research_stimulating"] is not None:
                numbers.append(factor["research_stimulating"])
            rows.append((factor["title"], tuple(numbers)))
    return rows


def _top_lists(summary: str) -> dict[str, list[tuple[int, int, int]]]:
    lists = {}
    for side in ("stimulating", "hindering"):
        block = summary.split(f'class="top-list top-{side}"', 1)[1].split("</ol>", 1)[0]
        found = re.findall(r"<strong>(\d+)%</strong> <span class=\"muted\">\((\d+)/(\d+)\)", block)
        lists[side] = [tuple(map(int, f)) for f in found]
    return lists


def _json_top(items: list[dict]) -> list[tuple[int, int, int]]:
    return [(t["percent"], t["count"], t["n"]) for t in items]


# --- the summary --------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["", "?table=1&table=3&round=2", "?sort=hindering", "?round=1"])
def test_summary_json_carries_the_figures_the_page_prints(
    client: TestClient, played: tuple[dict, str], query: str
) -> None:
    workshop, token = played
    summary = page(client, f"/f/{token}/summary{query}")
    data = twin(client, f"/f/{token}/summary.json{query}")
    figures = data["figures"]
    assert figures["workshops"] == [workshop["id"]]
    assert f"<strong>N = {figures['n']}</strong>" in summary
    assert _json_rows(figures) == _figures_table(summary)
    tops = _top_lists(summary)
    assert _json_top(figures["top_stimulating"]) == tops["stimulating"]
    assert _json_top(figures["top_hindering"]) == tops["hindering"]
    pairs = summary.split('<ol class="pairs">', 1)[1].split("</ol>", 1)[0]
    printed = re.findall(r"<strong>(\d+) borden</strong> <span class=\"muted\">\((\d+)%\)", pairs)
    assert [(c["boards"], c["percent"]) for c in figures["connections"]] == [
        (int(b), int(p)) for b, p in printed
    ]
    assert len(printed) == 10
    assert esc(data["filter_text"]) in summary
    header = r"(\d+) interviews met kaarten"
    assert data["interviews_with_cards"] == int(re.search(header, summary).group(1))  # type: ignore[union-attr]


def test_summary_json_has_the_researchs_rounding_and_the_pages_lists(
    client: TestClient, played: tuple[dict, str]
) -> None:
    _, token = played
    data = twin(client, f"/f/{token}/summary.json")
    summary = page(client, f"/f/{token}/summary")
    assert data["figures"]["n"] == research_replay.N == 24
    a1 = next(f for g in data["figures"]["groups"] for f in g["factors"] if f["code"] == "A1")
    # The example: ++13 and +42 against 54 printed as ++12 and +42, adding up.
    stimulating = a1["stimulating"]
    assert (stimulating["large"]["count"], stimulating["limited"]["count"]) == (3, 10)
    assert (stimulating["large"]["percent"], stimulating["limited"]["percent"]) == (12, 42)
    assert stimulating["total"] == {"count": 13, "percent": 54}
    assert a1["research_stimulating"] == 54
    # Every recommendation once, as the page lists it, with the other categories it names.
    items = [i for g in data["recommendations"] for i in g["items"]]
    block = summary.split('id="recommendations"', 1)[1].split("</section>\n\n", 1)[0]
    assert len(items) == len(re.findall(r"<li>", block)) > 0
    for item in items:
        assert esc(item["text"]) in block
    # The downloads as the page links them, under the same link.
    for download in data["downloads"]:
        assert f'href="{download["url"]}' in summary.replace("&amp;", "&")
        assert download["url"].startswith(f"/f/{token}/")
        if download["file_name"]:
            assert f'download="{download["file_name"]}"' in summary
    assert [d["label"] for d in data["downloads"]][0] == "Verslag (PDF)"
    assert data["chart_svg_url"] == f"/f/{token}/chart.svg"
    assert client.get(data["chart_svg_url"]).status_code == 200
    # The facilitator sees share links and retention choices, as on the page.
    assert data["read_only"] is False and data["shares"] == []
    privacy = data["privacy"]
    delete_on = dt.date.fromisoformat(privacy["delete_on"])
    assert delete_on.strftime("%d-%m-%Y") in summary
    assert privacy["retention_days"] == 90 and privacy["choices"] == [7, 30, 90, 180, 365]


def test_a_filtered_summary_json_says_what_it_counts(
    client: TestClient, played: tuple[dict, str]
) -> None:
    _, token = played
    data = twin(client, f"/f/{token}/summary.json?table=2&round=1&sort=stimulating&reference=1")
    assert data["figures"]["filter"] == {"tables": [2], "round": 1}
    assert data["figures"]["n"] == 1 and data["figures"]["sort"] == "stimulating"
    assert data["query"] == "table=2&round=1&sort=stimulating&reference=1"
    assert data["chart_svg_url"].endswith("/chart.svg?table=2&round=1&sort=stimulating&reference=1")
    assert data["interviews_with_cards"] == 24  # the header's N is the whole workshop's
    (flat,) = data["figures"]["groups"]
    totals = [f["stimulating"]["total"]["count"] for f in flat["factors"]]
    assert totals == sorted(totals, reverse=True)


# --- the plenary and the report -------------------------------------------------------------


def test_plenary_json_has_a_slide_per_interview_with_cards(
    client: TestClient, played: tuple[dict, str]
) -> None:
    _, token = played
    plenary = page(client, f"/f/{token}/plenary")
    data = twin(client, f"/f/{token}/plenary.json")
    slides = data["slides"]
    assert len(slides) + 2 == int(re.search(r'data-count="(\d+)"', plenary).group(1))  # type: ignore[union-attr]
    titles = re.findall(r'id="slide-title-\d+">Tafel (\d+) · Ronde (\d+)', plenary)
    assert [(s["table"], s["round"]) for s in slides] == [(int(t), int(r)) for t, r in titles]
    for slide in slides:
        assert slide["picture_svg"].startswith("<svg") and slide["picture_svg"] in plenary
        for card in slide["cards"]:
            assert esc(card["name"]) in plenary
        for note in slide["notes"]:
            assert esc(note["text"]) in plenary
            assert note["label"] in html.unescape(plenary)
    # The story and the observer's reflection of each interview are there.
    fields = {note["field"] for slide in slides for note in slide["notes"]}
    assert {"development", "reflection", "recommendations"} <= fields
    summary = twin(client, f"/f/{token}/summary.json")
    assert data["figures"] == summary["figures"]
    assert data["recommendations"] == summary["recommendations"]
    # A filter narrows the chart, as on the page; the slides stay every table's.
    filtered = twin(client, f"/f/{token}/plenary.json?table=4")
    assert filtered["figures"]["filter"]["tables"] == [4] and filtered["figures"]["n"] == 2
    assert filtered["slides"] == slides


def test_report_json_is_the_report_and_its_figures_are_the_downloads(
    client: TestClient, played: tuple[dict, str]
) -> None:
    _, token = played
    report = page(client, f"/f/{token}/report.html")
    data = twin(client, f"/f/{token}/report.json")
    sections = re.findall(r'<section class="interview" id="table-(\d+)-round-(\d+)"', report)
    assert [(i["table"], i["round"]) for i in data["interviews"]] == [
        (int(t), int(r)) for t, r in sections
    ]
    for interview in data["interviews"]:
        assert interview["picture_svg"] is None  # the report draws boards as text
        for card in interview["cards"]:
            assert esc(card["explanation"]) in report
    assert data["deck"]["title"] in report and data["figures"]["has_reference"] is True
    assert data["pdf_file_name"] in report
    # The whole workshop, unfiltered: the very figures of the summary and the JSON download.
    assert data["figures"] == twin(client, f"/f/{token}/summary.json")["figures"]
    download = client.get(f"/f/{token}/workshop.json").json()
    flat = {f["code"]: f for g in data["figures"]["groups"] for f in g["factors"]}
    for factor in download["factors"]:
        for side in ("stimulating", "hindering"):
            for extent in ("limited", "large", "total"):
                assert flat[factor["code"]][side][extent] == factor[side][extent]
    top = re.findall(r"<strong>(\d+)%</strong> <span class=\"muted\">\((\d+)/(\d+)\)", report)
    tops = data["figures"]["top_stimulating"] + data["figures"]["top_hindering"]
    assert [tuple(map(int, t)) for t in top] == _json_top(tops)


# --- the workshop page ---------------------------------------------------------------------


def test_workshop_json_is_the_page_and_the_dashboards_live_state(
    client: TestClient, played: tuple[dict, str]
) -> None:
    workshop, token = played
    code = workshop["tables"][0]["join_code"]
    phone = new_phone(client)
    seat = phone.post(f"/api/tables/{code}/seat", json={"role": "reporter", "name": "Ans"}).json()
    start = client.post(
        f"/api/workshops/{workshop['id']}/rounds/start", headers=bearer(token), json={"table": 2}
    )
    assert start.status_code == 200, start.text
    shown = page(client, f"/f/{token}")
    with phone.websocket_connect(f"{WS_BASE}/ws/tables/{code}") as socket:
        socket.receive_json()  # connected: the dashboard shows this phone as present
        data = twin(client, f"/f/{token}.json")
        with client.websocket_connect(
            f"{WS_BASE}/ws/workshops/{workshop['id']}?key={token}"
        ) as dash:
            live = dash.receive_json()
    assert data["workshop"]["id"] == workshop["id"] and data["workshop"]["status"] == "open"
    assert data["workshop"]["tables"] == workshop["tables"]  # codes, join and QR addresses
    for table in data["workshop"]["tables"]:
        assert table["qr_url"] in shown and table["join_url"] in shown
    # The tests' address is this machine's own: the page warns that phones cannot reach it.
    assert data["phones_join_at"] == "http://127.0.0.1:8765"
    assert data["phone_reach"] == {"ok": False, "reason": "loopback"}
    assert "Telefoons kunnen dit adres niet bereiken." in shown
    assert data["listens_locally"] is False
    assert data["deck_title"] in shown

    # The dashboard's snapshot, but for the clock's own time stamps (a running clock ticks).
    def steady(tables: list[dict]) -> list[dict]:
        return [t | {"round": t["round"] | {"server_time": 0, "remaining_ms": 0}} for t in tables]

    assert steady(data["tables"]) == steady(live["tables"])
    first, second = data["tables"][0], data["tables"][1]
    assert first["members"] == [{"id": seat["id"], "role": "reporter", "name": "Ans"}]
    assert first["online"] == [seat["id"]] and first["recorded"] is True
    assert second["round"]["status"] == "running" and first["round"]["status"] == "waiting"
    assert first["stimulating"] + first["hindering"] > 0


# --- share links and retention over the API ------------------------------------------------


def test_share_links_are_made_listed_and_revoked_over_the_api(
    client: TestClient, played: tuple[dict, str]
) -> None:
    workshop, token = played
    shares = f"/api/workshops/{workshop['id']}/shares"
    made = client.post(shares, headers=bearer(token))
    assert made.status_code == 201, made.text
    link = made.json()
    assert link["url"] == f"http://127.0.0.1:8765/s/{link['token']}/summary"
    listed = client.get(shares, headers=bearer(token)).json()
    assert listed == [{"id": link["id"], "created_at": link["created_at"]}]
    assert twin(client, f"/f/{token}/summary.json")["shares"] == listed
    assert f"/shares/{link['id']}/revoke" in page(client, f"/f/{token}/summary")  # the page too

    # The share link's twins: the same figures, read-only, no facilitator's secret in them.
    shared = twin(client, link["summary_json_url"].removeprefix("http://127.0.0.1:8765"))
    mine = twin(client, f"/f/{token}/summary.json")
    assert shared["figures"] == mine["figures"] and shared["read_only"] is True
    assert shared["shares"] is None and shared["privacy"]["choices"] is None
    assert all(d["url"].startswith(f"/s/{link['token']}/") for d in shared["downloads"])
    assert token not in str(shared)
    for name in ("plenary.json", "report.json"):
        assert twin(client, f"/s/{link['token']}/{name}")["figures"] == mine["figures"]
    assert client.get(f"/s/{link['token']}.json").status_code == 404  # no dashboard for shares

    # Only the facilitator's token, as bearer, makes and revokes them.
    other, other_token = seed_workshop(client, {}, title="Andere workshop")
    assert refused(client, "POST", shares, 403) == "facilitator_only"
    assert refused(client, "POST", shares, 403, headers=bearer(other_token)) == "facilitator_only"
    assert refused(client, "GET", shares, 403, headers=bearer(link["token"])) == "facilitator_only"
    wrong = f"/api/workshops/{other['id']}/shares/{link['id']}"
    assert refused(client, "DELETE", wrong, 404, headers=bearer(other_token)) == "unknown_share"
    # A browser's cookie and form token open nothing here: the bearer is the protection.
    assert (
        refused(client, "POST", shares, 403, data=form(client), headers={"origin": "http://evil"})
        == "facilitator_only"
    )
    assert twin(client, f"/s/{link['token']}/summary.json")["read_only"]

    gone = client.delete(f"{shares}/{link['id']}", headers=bearer(token))
    assert gone.status_code == 204
    for name in ("summary.json", "plenary.json", "report.json"):
        assert refused(client, "GET", f"/s/{link['token']}/{name}", 404) == "unknown_link"
    assert client.get(f"/s/{link['token']}/summary").status_code == 404  # the page alike
    assert refused(client, "DELETE", f"{shares}/{link['id']}", 404, headers=bearer(token))
    assert client.get(shares, headers=bearer(token)).json() == []


def test_twenty_share_links_at_most(client: TestClient, played: tuple[dict, str]) -> None:
    workshop, token = played
    shares = f"/api/workshops/{workshop['id']}/shares"
    for _ in range(20):
        assert client.post(shares, headers=bearer(token)).status_code == 201
    assert refused(client, "POST", shares, 409, headers=bearer(token)) == "too_many_shares"


def test_retention_is_read_changed_and_ended_over_the_api(
    client: TestClient, played: tuple[dict, str]
) -> None:
    workshop, token = played
    retention = f"/api/workshops/{workshop['id']}/retention"
    now = client.get(retention, headers=bearer(token)).json()
    assert now["delete_on"] == workshop["delete_on"] and now["retention_days"] == 90
    changed = client.put(retention, headers=bearer(token), json={"days": 30})
    assert changed.status_code == 200, changed.text
    delete_on = dt.date.fromisoformat(workshop["date"]) + dt.timedelta(days=30)
    assert changed.json()["delete_on"] == delete_on.isoformat()
    assert delete_on.strftime("%d-%m-%Y") in page(client, f"/f/{token}/summary")
    assert twin(client, f"/f/{token}/summary.json")["privacy"]["retention_days"] == 30
    for body in ({"days": 0}, {"days": 366}, {"days": "30"}, {"days": 30, "x": 1}, {}):
        assert refused(client, "PUT", retention, 422, headers=bearer(token), json=body) == "invalid"
    # The seeded workshop was a week ago: a period of a day has run out, which is "delete now".
    past = refused(client, "PUT", retention, 422, headers=bearer(token), json={"days": 1})
    assert past == "retention_past"
    assert client.get(retention, headers=bearer(token)).json()["retention_days"] == 30
    assert refused(client, "PUT", retention, 403, json={"days": 30}) == "facilitator_only"
    # Delete now: the API's DELETE of the workshop, after which its twins know it no more.
    assert (
        client.delete(f"/api/workshops/{workshop['id']}", headers=bearer(token)).status_code == 204
    )
    assert refused(client, "GET", f"/f/{token}.json", 404) == "unknown_workshop"
    assert refused(client, "GET", f"/f/{token}/summary.json", 404) == "unknown_link"


# --- hostile requests ----------------------------------------------------------------------

TWINS = ("summary.json", "plenary.json", "report.json")


def test_bad_tokens_and_an_expired_workshop_get_json_errors(
    client: TestClient, played: tuple[dict, str]
) -> None:
    workshop, token = played
    share = client.post(f"/api/workshops/{workshop['id']}/shares", headers=bearer(token)).json()
    for bad in ("x", "A" * 43, "A" * 200, token[:-1], share["token"]):
        assert refused(client, "GET", f"/f/{bad}.json", 404) == "unknown_workshop"
        for name in TWINS:
            assert refused(client, "GET", f"/f/{bad}/{name}", 404) == "unknown_link"
    for name in TWINS:  # a facilitator token is no share token
        assert refused(client, "GET", f"/s/{token}/{name}", 404) == "unknown_link"
    with client.app.state.engine.begin() as connection:
        old = (dt.date.today() - dt.timedelta(days=90)).isoformat()
        connection.execute(text("UPDATE workshop SET date = :d"), {"d": old})
    assert refused(client, "GET", f"/f/{token}.json", 410) == "workshop_expired"
    for base in (f"/f/{token}", f"/s/{share['token']}"):
        for name in TWINS:
            assert refused(client, "GET", f"{base}/{name}", 410) == "workshop_expired"


@pytest.mark.parametrize(
    "query",
    [
        "table=13",
        "table=0",
        "table=abc",
        "table=1&table=-1",
        "table=%C2%B2",  # "²": a digit to str.isdigit, not to int()
        "table=" + "9" * 5000,  # past int()'s limit on digits
        "table=0001",
        "round=3",
        "round=x",
        "sort=random",
    ],
)
def test_bad_filters_are_refused_with_422(
    client: TestClient, played: tuple[dict, str], query: str
) -> None:
    _, token = played
    for name in ("summary.json", "plenary.json"):
        assert refused(client, "GET", f"/f/{token}/{name}?{query}", 422) == "bad_filter"


def test_overlong_filters_are_invalid(client: TestClient, played: tuple[dict, str]) -> None:
    _, token = played
    for query in ("round=123", "sort=" + "x" * 21, "reference=" + "1" * 6):
        assert refused(client, "GET", f"/f/{token}/summary.json?{query}", 422) == "invalid"


# --- the schema --------------------------------------------------------------------------

# Facilitator pages without a twin of their own, and where their data is instead.
NO_TWIN = {
    "/f/{token}/cards": "the table cards print /f/<token>.json's join codes and QR addresses",
    "/f/{token}/tables/{number}": "one table's live view: the picture …/tables/<n>/board.svg",
}


def test_the_schema_lists_a_twin_for_every_facilitator_page(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    pages = {
        route.path
        for route in _every_route(client.app.routes)
        if isinstance(route, APIRoute)
        and "GET" in route.methods
        and route.path.startswith(("/f/", "/s/"))
        and "HTMLResponse" in repr(route.response_class)
    }
    assert "/f/{token}" in pages and "/s/{token}/summary" in pages
    twins = {
        "/f/{token}": ("/f/{token}.json", "WorkshopPage"),
        "summary": ("{base}/summary.json", "SummaryPage"),
        "plenary": ("{base}/plenary.json", "PlenaryPage"),
        "report.html": ("{base}/report.json", "ReportPage"),
    }
    for path in pages - set(NO_TWIN):
        base, _, last = path.rpartition("/")
        twin_path, model = twins[path] if path in twins else twins[last]
        operation = schema["paths"][twin_path.replace("{base}", base)]["get"]
        answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert answer == {"$ref": f"#/components/schemas/{model}"}, path
        for status in ("404", "410", "422"):
            error = operation["responses"][status]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/ErrorBody"}
    api = schema["paths"]
    assert set(api["/api/workshops/{workshop_id}/shares"]) == {"get", "post"}
    assert set(api["/api/workshops/{workshop_id}/shares/{share_id}"]) == {"delete"}
    assert set(api["/api/workshops/{workshop_id}/retention"]) == {"get", "put"}
    figures = schema["components"]["schemas"]["Figures"]["properties"]
    assert {"workshops", "n", "groups", "top_stimulating", "connections"} <= set(figures)
