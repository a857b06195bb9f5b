"""Hostile input at the edges: headers and CSP, CSRF, origins, rate limits, cookies, escaping."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from app.main import create_app
from app.security import CONTENT_SECURITY_POLICY, KeyedLimiter, TokenBucket
from app.settings import Settings
from app.tokens import JOIN_ALPHABET, JOIN_CODE_LENGTH
from tests.conftest import CSRF, PUBLIC_URL, WS_BASE, form, join_code, new_phone
from tests.seeding import seed_workshop


@pytest.fixture
def seeded(client: TestClient) -> tuple[dict, str]:
    boards = {(1, 1): [("X-1", "stimulating", "large", "<img src=x onerror=alert(1)>", "<b>")]}
    notes = {(1, 1): {"development": "<script>alert('story')</script>"}}
    return seed_workshop(client, boards, notes)


def _pages(client: TestClient, workshop: dict, token: str) -> list[str]:
    code = workshop["tables"][0]["join_code"]
    phone = new_phone(client)
    phone.post(f"/api/tables/{code}/seat", json={"role": "respondent1", "name": "<i>Ann</i>"})
    paths = ["/", "/j", f"/j/{code}", f"/f/{token}", f"/f/{token}/cards", f"/f/{token}/summary"]
    paths += [f"/f/{token}/plenary", f"/f/{token}/report.html", f"/f/{token}/tables/1"]
    pages = [client.get(p, headers={"accept": "text/html"}) for p in paths]
    pages.append(phone.get(f"/t/{code}", headers={"accept": "text/html"}))
    for page in pages:
        assert page.status_code == 200, page.url
    return [page.text for page in pages]


def test_every_response_has_the_security_headers(client: TestClient, seeded: tuple) -> None:
    for path in ("/", "/healthz", "/static/css/app.css", "/nope", "/api/tables/XXXX"):
        headers = client.get(path).headers
        assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert headers["x-frame-options"] == "DENY"
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY


def test_no_page_has_inline_script_handlers_or_styles(
    client: TestClient, seeded: tuple[dict, str]
) -> None:
    workshop, token = seeded
    for text in _pages(client, workshop, token):
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "inline script"
        assert not re.search(r"<[^>]+\son[a-z]+\s*=", text), "inline event handler"
        assert not re.search(r"<[^>]+\sstyle\s*=", text), "inline style attribute"


def test_user_text_is_escaped_on_every_page(client: TestClient, seeded: tuple[dict, str]) -> None:
    workshop, token = seeded
    for text in _pages(client, workshop, token):
        assert "<script>alert" not in text
        assert "<img src=x" not in text
        assert "<i>Ann</i>" not in text
    report = client.get(f"/f/{token}/report.html").text
    assert "&lt;script&gt;alert(&#39;story&#39;)&lt;/script&gt;" in report
    assert "&lt;img src=x onerror=alert(1)&gt;" in report


FORMS = [
    ("/workshops", {"title": "Evil", "tables": "2"}),
    ("/j/{code}", {"role": "observer"}),
    ("/t/{code}/leave", {}),
    ("/f/{token}/rounds", {"action": "start"}),
    ("/f/{token}/shares", {}),
]


@pytest.mark.parametrize(("path", "data"), FORMS)
def test_forms_need_the_csrf_token_and_this_site_as_origin(
    client: TestClient, seeded: tuple[dict, str], path: str, data: dict
) -> None:
    workshop, token = seeded
    url = path.format(code=workshop["tables"][0]["join_code"], token=token)
    missing = client.post(url, data=data)
    assert missing.status_code == 403 and missing.json()["error"]["code"] == "bad_csrf"
    client.cookies.set("ks_csrf", CSRF)
    wrong = client.post(url, data={**data, "csrf": "another-token-of-good-length"})
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "bad_csrf"
    foreign = client.post(url, data=form(client, data), headers={"origin": "http://evil.example"})
    assert foreign.status_code == 403 and foreign.json()["error"]["code"] == "bad_origin"
    good = client.post(
        url, data=form(client, data), headers={"origin": PUBLIC_URL}, follow_redirects=False
    )
    assert good.status_code in (200, 303), good.text


def test_pages_hand_out_the_token_in_a_strict_cookie(client: TestClient) -> None:
    page = client.get("/", headers={"accept": "text/html"})
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    cookie = page.headers["set-cookie"]
    assert f"ks_csrf={token}" in cookie
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    again = client.get("/", headers={"accept": "text/html"})
    assert f'value="{token}"' in again.text  # the same browser keeps its token


def test_cookies_are_secure_behind_https(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'k.db'}",
        public_url="https://kaartspel.example.org",
        secret_key="s",
    )
    with TestClient(create_app(settings), base_url="https://kaartspel.example.org") as client:
        workshop = client.post("/api/workshops", json={"title": "T", "tables": 1}).json()
        code = join_code(workshop["tables"][0]["join_url"])
        seat = client.post(f"/api/tables/{code}/seat", json={"role": "observer"})
        device = seat.headers["set-cookie"]
        assert "Secure" in device and "HttpOnly" in device and "SameSite=lax" in device
        page = client.get("/", headers={"accept": "text/html"})
        assert "Secure" in page.headers["set-cookie"]
        assert "max-age=31536000" in page.headers["strict-transport-security"]


def test_websockets_refuse_other_origins(client: TestClient, seeded: tuple[dict, str]) -> None:
    workshop, token = seeded
    code = workshop["tables"][0]["join_code"]
    phone = new_phone(client)
    phone.post(f"/api/tables/{code}/seat", json={"role": "observer"})
    evil = {"origin": "http://evil.example"}
    for socket_client, url in (
        (phone, f"{WS_BASE}/ws/tables/{code}"),
        (client, f"{WS_BASE}/ws/workshops/{workshop['id']}?key={token}"),
    ):
        with (
            pytest.raises(WebSocketDisconnect) as closed,
            socket_client.websocket_connect(url, headers=evil) as socket,
        ):
            socket.receive_json()
        assert closed.value.code == 1008
    with phone.websocket_connect(
        f"{WS_BASE}/ws/tables/{code}", headers={"origin": PUBLIC_URL}
    ) as socket:
        assert socket.receive_json()["type"] == "snapshot"


def test_a_flooding_phone_is_slowed_then_closed(client: TestClient, seeded: tuple) -> None:
    workshop, _ = seeded
    code = workshop["tables"][0]["join_code"]
    phone = new_phone(client)
    phone.post(f"/api/tables/{code}/seat", json={"role": "observer"})
    with phone.websocket_connect(f"{WS_BASE}/ws/tables/{code}") as socket:
        socket.receive_json()
        for _ in range(40):
            socket.send_json({"type": "ping"})
        replies = [socket.receive_json() for _ in range(40)]
        slowed = [r for r in replies if r["type"] == "error"]
        assert slowed and all(r["code"] == "too_fast" and r["retry"] for r in slowed)
        assert sum(r["type"] == "pong" for r in replies) >= 25  # the burst still got through
        with pytest.raises(WebSocketDisconnect) as closed:
            for _ in range(300):
                socket.send_json({"type": "ping"})
            while True:
                socket.receive_json()
        assert closed.value.code == 1008


def made_up_code(n: int) -> str:
    """A well-formed join code that no table has (codes are random; these count up)."""
    return "".join(JOIN_ALPHABET[(n // 27**i + i) % 27] for i in range(JOIN_CODE_LENGTH))


def forget_misses(client: TestClient) -> None:
    client.portal.call(client.app.state.join_guard.limit.forget, "testclient")


def misses_allowed(client: TestClient) -> int:
    return int(client.app.state.join_guard.limit.amount)


def _socket_status(client: TestClient, path: str) -> int:
    """How a websocket to `path` ends: its close code (4404, 4429, ...), or 101 when open."""
    try:
        with client.websocket_connect(f"{WS_BASE}{path}") as socket:
            socket.receive_json()
            return 101
    except WebSocketDisconnect as closed:
        return int(closed.code)


# Every route that takes a join code, and how to ask it about one (a status or a close code).
CODE_ROUTES: dict[tuple[str, str], Callable[[TestClient, str], int]] = {
    ("GET", "/j/{code}"): lambda c, code: c.get(f"/j/{code}").status_code,
    ("POST", "/j/{code}"): lambda c, code: (
        c.post(f"/j/{code}", data=form(c, {"role": "observer"})).status_code
    ),
    ("GET", "/t/{code}"): lambda c, code: c.get(f"/t/{code}").status_code,
    ("POST", "/t/{code}/leave"): lambda c, code: (
        c.post(f"/t/{code}/leave", data=form(c)).status_code
    ),
    ("GET", "/t/{code}/rounds/{round_number}.svg"): lambda c, code: (
        c.get(f"/t/{code}/rounds/1.svg").status_code
    ),
    ("GET", "/api/tables/{code}"): lambda c, code: c.get(f"/api/tables/{code}").status_code,
    ("GET", "/api/tables/{code}/deck"): lambda c, code: (
        c.get(f"/api/tables/{code}/deck").status_code
    ),
    ("POST", "/api/tables/{code}/seat"): lambda c, code: (
        c.post(f"/api/tables/{code}/seat", json={"role": "observer"}).status_code
    ),
    ("GET", "/qr/{code}.svg"): lambda c, code: c.get(f"/qr/{code}.svg").status_code,
    ("GET", "/qr/{code}.png"): lambda c, code: c.get(f"/qr/{code}.png").status_code,
    ("WS", "/ws/tables/{code}"): lambda c, code: _socket_status(c, f"/ws/tables/{code}"),
}


def _every_route(routes: list) -> Iterator:
    """The app's routes, those of included routers too (FastAPI keeps them inside)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        yield from _every_route(inner.routes) if inner is not None else (route,)


def test_every_route_that_takes_a_join_code_counts_misses(
    client: TestClient, seeded: tuple
) -> None:
    routes = {
        (method, route.path)
        for route in _every_route(client.app.routes)
        if "{code}" in getattr(route, "path", "")
        for method in (getattr(route, "methods", None) or {"WS"}) - {"HEAD"}
    }
    assert routes == set(CODE_ROUTES)  # a new route with a join code belongs in the table
    real = seeded[0]["tables"][0]["join_code"]
    limit = client.app.state.join_guard.limit
    for (method, path), ask in CODE_ROUTES.items():
        forget_misses(client)
        for _ in range(misses_allowed(client) - 1):  # all but one miss, counted directly
            client.portal.call(limit.hit, "testclient")
        assert ask(client, made_up_code(1)) in (404, 4404), (method, path)  # the last one
        refused = ask(client, made_up_code(2))  # refused only if this route counted its miss
        assert refused in (429, 4429), (method, path, refused)
        assert ask(client, real) in (429, 4429), (method, path)  # no seat here: refused too


def test_guessing_join_codes_is_slowed_down(client: TestClient, seeded: tuple) -> None:
    workshop, _ = seeded
    code = workshop["tables"][0]["join_code"]
    for _ in range(150):  # successful lookups never count
        assert client.get(f"/api/tables/{code}").status_code == 200
    for n in range(misses_allowed(client)):
        assert client.get(f"/api/tables/{made_up_code(n)}").status_code == 404
    blocked = client.get(f"/api/tables/{code}")
    assert blocked.status_code == 429
    assert 1 <= int(blocked.headers["retry-after"]) <= 600
    assert blocked.json()["error"]["code"] == "too_many_tries"
    assert client.get(f"/j/{code}").status_code == 429
    assert _socket_status(client, f"/ws/tables/{code}") == 4429
    assert client.get("/healthz").status_code == 200  # only joining is slowed


def test_a_real_code_of_an_expired_workshop_is_no_guess(client: TestClient, seeded: tuple) -> None:
    """A phone left open on a workshop past its deletion date keeps reconnecting (4404) with a
    real code: that is no guessing, and must not use up its neighbours' allowance."""
    workshop, _ = seeded
    kept = workshop["tables"][0]["join_code"]
    other = client.post("/api/workshops", json={"title": "Verlopen", "tables": 1}).json()
    code = other["tables"][0]["join_code"]
    with client.app.state.engine.begin() as connection:  # as only time can: past the API
        connection.execute(
            sqlalchemy.text("UPDATE workshop SET date = :d WHERE id = :w"),
            {"d": str(dt.date.today() - dt.timedelta(days=90)), "w": other["id"]},
        )
    for _ in range(misses_allowed(client) + 5):
        assert _socket_status(client, f"/ws/tables/{code}") == 4404
        assert client.get(f"/api/tables/{code}").status_code == 410
    assert client.get(f"/api/tables/{kept}").status_code == 200


def test_a_guessing_neighbour_never_locks_out_the_seated_phones(
    client: TestClient, seeded: tuple
) -> None:
    """Behind one NAT every phone has the guesser's address: seats still get their table."""
    workshop, _ = seeded
    mine, other = (t["join_code"] for t in workshop["tables"][:2])
    phone = new_phone(client)
    assert phone.post(f"/api/tables/{mine}/seat", json={"role": "observer"}).status_code == 201
    guesser = new_phone(client)  # the same address, no seat
    assert misses_allowed(client) >= 100  # a room mistyping now and then stays below this
    for n in range(misses_allowed(client)):
        assert guesser.get(f"/j/{made_up_code(n)}").status_code == 404
    assert guesser.get(f"/j/{mine}").status_code == 429
    assert _socket_status(guesser, f"/ws/tables/{mine}") == 4429
    assert phone.get(f"/t/{mine}", headers={"accept": "text/html"}).status_code == 200
    assert phone.get(f"/api/tables/{mine}").status_code == 200
    assert phone.get(f"/qr/{mine}.svg").status_code == 200
    assert _socket_status(phone, f"/ws/tables/{mine}") == 101
    # A seat opens its own table, never a way to keep guessing others.
    assert phone.get(f"/api/tables/{other}").status_code == 429
    assert phone.get(f"/api/tables/{made_up_code(10_000)}").status_code == 429


def test_rate_limit_buckets_refill() -> None:
    now = [0.0]
    bucket = TokenBucket(rate=2, burst=3, clock=lambda: now[0])
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    now[0] += 0.5
    assert bucket.take() and not bucket.take()
    limiter = KeyedLimiter(rate=1, burst=1, capacity=2)
    assert limiter.take("a") and limiter.take("b") and limiter.take("c")
    assert list(limiter.buckets) == ["b", "c"]  # the oldest client is forgotten


def test_a_seat_opens_only_its_own_table(client: TestClient, seeded: tuple[dict, str]) -> None:
    workshop, _ = seeded
    mine, other = (t["join_code"] for t in workshop["tables"][:2])
    phone = new_phone(client)
    phone.post(f"/api/tables/{mine}/seat", json={"role": "respondent1"})
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        phone.websocket_connect(f"{WS_BASE}/ws/tables/{other}") as socket,
    ):
        socket.receive_json()
    assert closed.value.code == 4403  # a seat at table 1 is no key to table 2


def test_static_files_and_pages_travel_compressed(client: TestClient) -> None:
    for path in ("/static/js/play/main.js", "/static/css/play.css", "/"):
        response = client.get(path, headers={"accept-encoding": "gzip"})
        assert response.headers.get("content-encoding") == "gzip", path
        assert "content-security-policy" in response.headers


def create_workshop_number(client: TestClient, n: int) -> None:
    """Workshop `n`, made with the start form when n is even, else with the API."""
    if n % 2:
        made = client.post("/api/workshops", json={"title": f"W{n}", "tables": 1})
        assert made.status_code == 201, made.text
    else:
        page = client.post(
            "/workshops",
            data=form(client, {"title": f"W{n}", "tables": "1"}),
            follow_redirects=False,
        )
        assert page.status_code == 303, page.text


def test_creating_workshops_is_limited_per_address(client: TestClient) -> None:
    allowed = int(client.app.state.creation_limit.amount)
    assert 10 <= allowed <= 50  # a room of facilitators trying it out, not hundreds
    for n in range(allowed):  # the start form and the API share one count
        create_workshop_number(client, n)
    refused = client.post("/api/workshops", json={"title": "One more", "tables": 1})
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "too_many_workshops"
    assert 1 <= int(refused.headers["retry-after"]) <= 600
    page = client.post(
        "/workshops",
        data=form(client, {"title": "One more", "tables": "1"}),
        headers={"accept": "text/html", "accept-language": "nl"},
    )
    assert page.status_code == 429 and int(page.headers["retry-after"]) >= 1
    assert "Te veel workshops" in page.text  # a page in the user's language
    assert client.get("/api/tables/ZZZZZZZZ").status_code == 404  # joining is not limited


def test_the_schema_documents_the_429s_and_their_retry_after(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path, method in (("/api/workshops", "post"), ("/api/tables/{code}", "get")):
        too_many = paths[path][method]["responses"]["429"]
        assert too_many["headers"]["Retry-After"]["schema"]["type"] == "integer"
        assert "Retry-After" in too_many["description"]
