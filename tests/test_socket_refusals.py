"""A refused socket tells the client why: the close codes of docs/protocol.md, as a real client
reads them from a real uvicorn (a close before the handshake would be an HTTP 403, which a
browser reports as 1006 whatever the reason), and the phone's page acting on them.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import websockets
from playwright.sync_api import Browser, Route, expect
from websockets.exceptions import ConnectionClosed

from tests.browser import CHROMIUM, AppServer, launched_chromium, person
from tests.conftest import require
from tests.live_server import STEP, LiveServer, create_workshop, serving, take_seats


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from serving(LiveServer(tmp_path_factory.mktemp("refusals")))


@pytest.fixture(scope="module")
def workshops(server: LiveServer) -> list[dict[str, Any]]:
    return [create_workshop(server), create_workshop(server)]


def close_code(url: str, **headers: str) -> int:
    """Open a socket and read until the server closes it: the code it closed with."""

    async def attempt() -> int:
        async with websockets.connect(
            url, additional_headers=headers, proxy=None, open_timeout=STEP, close_timeout=1
        ) as socket:  # the handshake is accepted: a refusal at it raises InvalidStatus (403)
            try:
                while True:
                    await asyncio.wait_for(socket.recv(), STEP)
            except ConnectionClosed as closed:
                assert closed.rcvd is not None, "closed without a close frame"
                return closed.rcvd.code

    return asyncio.run(attempt())


def test_a_table_socket_refused_is_closed_with_the_documented_code(
    server: LiveServer, workshops: list[dict[str, Any]]
) -> None:
    code = workshops[0]["tables"][0]["join_code"]
    other_table = workshops[1]["tables"][0]["join_code"]
    cookie = take_seats(server, code)["respondent1"]
    url = f"{server.ws_base}/ws/tables/{code}"
    assert close_code(url) == 4403  # no seat
    assert (
        close_code(f"{server.ws_base}/ws/tables/{other_table}", Cookie=f"ks_device={cookie}")
        == 4403
    )
    assert close_code(f"{server.ws_base}/ws/tables/ZZZZ2345", Cookie=f"ks_device={cookie}") == 4404
    assert close_code(url, Cookie=f"ks_device={cookie}", Origin="https://evil.example") == 1008


def test_a_dashboard_socket_refused_is_closed_with_the_documented_code(
    server: LiveServer, workshops: list[dict[str, Any]]
) -> None:
    mine, theirs = workshops
    key = mine["facilitator_url"].rsplit("/", 1)[-1]
    their_key = theirs["facilitator_url"].rsplit("/", 1)[-1]
    url = f"{server.ws_base}/ws/workshops/{mine['id']}"
    assert close_code(url) == 4403  # no key
    assert close_code(f"{url}?key=wrong") == 4403
    assert close_code(f"{url}?key={their_key}") == 4403  # another workshop's key
    assert close_code(f"{url}?key={key}", Origin="https://evil.example") == 1008


def test_an_address_that_guessed_too_many_codes_is_closed_with_4429(tmp_path: Path) -> None:
    # A server of its own: once blocked, this address is blocked for every other test too.
    for live in serving(LiveServer(tmp_path)):
        with live.http() as http:
            for _ in range(1000):  # the guard's bound is its own business; it is reached
                if http.get("/api/tables/ZZZZ2345").status_code == 429:
                    break
            else:
                pytest.fail("the join guard never answered 429")
        assert close_code(f"{live.ws_base}/ws/tables/ZZZZ2345") == 4429


# --- the phone's page: a reload on 4403 and 4404 ---------------------------------------------


@pytest.fixture(scope="module")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    require(CHROMIUM.exists(), f"Chromium is not installed at {CHROMIUM} (Debian: chromium)")
    yield from serving(AppServer(tmp_path_factory.mktemp("refusals-browser")))


@pytest.fixture(scope="module")
def browser(app_server: AppServer) -> Iterator[Browser]:
    yield from launched_chromium()


@pytest.mark.parametrize("gone", ["seat", "workshop"])
def test_the_phone_reloads_when_its_socket_is_refused(
    app_server: AppServer, browser: Browser, gone: str
) -> None:
    """The table page is served while the seat (or the whole workshop) still exists; it is gone
    when the page's socket connects. The page must reload: to the join page (4403), or to the
    page saying there is no such table (4404), instead of retrying for ever."""
    workshop = app_server.create_workshop("Weigeren")
    code = workshop["tables"][0]["join_code"]
    with app_server.http() as http:
        seat = http.post(f"/api/tables/{code}/seat", json={"role": "reporter"})
    assert seat.status_code == 201, seat.text
    phone = person(browser, app_server.base, "phone", phone=True)
    try:
        phone.context.add_cookies(
            [{"name": "ks_device", "value": seat.cookies["ks_device"], "url": app_server.base}]
        )
        held: list[Route] = []
        # The page's scripts open the socket: hold them until the seat (or workshop) is gone.
        scripts = re.compile(r"/static/build/[^/]*\.js")

        holding = True

        def hold(route: Route) -> None:
            if holding:
                held.append(route)
            else:
                route.continue_()

        phone.page.route(scripts, hold)
        phone.page.goto(f"/t/{code}", wait_until="commit")
        leave = phone.page.locator('form[action$="/leave"] input[name="csrf"]')
        csrf = leave.get_attribute("value")  # waits for the page's HTML, not for its scripts
        assert csrf
        if gone == "seat":
            response = phone.page.request.post(f"/t/{code}/leave", form={"csrf": csrf})
        else:
            response = phone.page.request.delete(
                f"/api/workshops/{workshop['id']}",
                headers={"Authorization": f"Bearer {workshop['token']}"},
            )
        assert response.ok, response.text()
        assert held, "the page loads no script"
        holding = False
        for route in held:
            route.continue_()
        if gone == "seat":
            expect(phone.page).to_have_url(re.compile(rf"/j/{code}$"))
        else:
            expect(phone.page.locator("body")).to_contain_text("Er is geen tafel met deze code")
        assert not phone.errors, phone.errors
    finally:
        phone.close()
