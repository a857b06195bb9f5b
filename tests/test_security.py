"""Hostile input at the edges: headers and CSP, CSRF, origins, rate limits, cookies, escaping."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from app.main import create_app
from app.security import CONTENT_SECURITY_POLICY, KeyedLimiter, TokenBucket
from app.settings import Settings
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


def test_guessing_join_codes_is_slowed_down(client: TestClient, seeded: tuple) -> None:
    workshop, _ = seeded
    code = workshop["tables"][0]["join_code"]
    for _ in range(50):  # successful lookups never count
        assert client.get(f"/api/tables/{code}").status_code == 200
    for n in range(20):
        assert client.get(f"/api/tables/ZZZZZZ{n:02d}").status_code == 404
    blocked = client.get(f"/api/tables/{code}")
    assert blocked.status_code == 429 and blocked.headers["retry-after"] == "60"
    assert blocked.json()["error"]["code"] == "too_many_tries"
    assert client.get(f"/j/{code}").status_code == 429
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        client.websocket_connect(f"{WS_BASE}/ws/tables/{code}") as socket,
    ):
        socket.receive_json()
    assert closed.value.code == 4429
    assert client.get("/healthz").status_code == 200  # only joining is slowed


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
