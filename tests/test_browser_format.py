"""In a real browser, a format that exists only in this test (tests/test_custom_format.py's:
three rounds, other board questions and note fields, a deck of one category): the phones draw
what the format says, and the turn passes from respondent to respondent over three rounds.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.browser import (
    AXE_FILE,
    CHROMIUM,
    AppServer,
    Person,
    launched_chromium,
    seated_phones,
    tap_place,
    wait_board,
)
from tests.conftest import require
from tests.live_server import serving
from tests.test_custom_format import ROLES, write_cards


class FormatServer(AppServer):
    """`python -m app` with a cards directory of the test's own."""

    def __init__(self, tmp_path: Path) -> None:
        super().__init__(tmp_path)
        self.env["CARDS_DIR"] = str(write_cards(tmp_path / "cards"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    require(CHROMIUM.exists(), f"Chromium is not installed at {CHROMIUM} (Debian: chromium)")
    require(AXE_FILE.exists(), f"axe-core is not vendored at {AXE_FILE}")
    yield from serving(FormatServer(tmp_path_factory.mktemp("browser-format")))


@pytest.fixture(scope="module")
def browser(server: AppServer) -> Iterator[Browser]:
    yield from launched_chromium()


def board(**zones: list[str]) -> dict[str, list[str]]:
    empty = {
        f"{side}-{extent}": []
        for side in ("stimulating", "hindering")
        for extent in ("limited", "large")
    }
    return empty | {zone.replace("_", "-"): cards for zone, cards in zones.items()}


def test_three_rounds_of_a_format_of_the_tests_own(server: AppServer, browser: Browser) -> None:
    with server.http() as http:
        response = http.post(
            "/api/workshops", json={"title": "Thuiswerken", "tables": 1, "deck": "thuis"}
        )
    assert response.status_code == 201, response.text
    workshop = response.json()
    workshop["token"] = workshop["facilitator_url"].rsplit("/", 1)[-1]
    code = workshop["tables"][0]["join_code"]
    phones: dict[str, Person] = seated_phones(browser, server, code, ROLES)
    try:
        reporter = phones["reporter"].page
        # The format's words: its board question, its note fields, its role names.
        expect(reporter.locator("#half-stimulating")).to_have_text("Wat helpt bij thuiswerken?")
        expect(reporter.locator("textarea[data-note]")).to_have_count(3)
        expect(reporter.locator("#record-title")).to_have_text("Aantekeningen")
        expect(phones["observer"].page.locator("textarea[data-note]")).to_have_count(1)
        expect(phones["interviewer"].page.locator("#script")).to_be_visible()

        for number, card in ((1, "T1"), (2, "T2"), (3, "T1")):
            leader = f"respondent{number}"
            server.round_action(workshop, "start")
            for role, phone in phones.items():
                label = phone.page.locator("#round-label")
                expect(label).to_contain_text(f"Ronde {number}")
                expect(label).to_contain_text(f"Verteller {number}")
                # Only this round's storyteller has the cards in hand.
                expect(phone.page.locator("#hand")).to_be_visible(visible=role == leader)
            later = phones["respondent3"].page.locator("#turn-later")
            if number < 3:
                expect(later).to_be_visible()
                expect(later).to_contain_text("ronde 3")
            if number > 1:
                done = phones["respondent1"].page.locator("#turn-done")
                expect(done).to_be_visible()
                expect(done).to_contain_text("ronde 1")
            tap_place(phones[leader].page, card, "hindering", "large")
            expected = board(hindering_large=[f"{card}-1"])  # each round: a fresh board
            for role, phone in phones.items():
                wait_board(phone.page, expected, role)
            server.round_action(workshop, "end")
            expect(reporter.locator("#locked")).to_be_visible()
        assert all(not phone.errors for phone in phones.values()), [
            error for phone in phones.values() for error in phone.errors
        ]
    finally:
        for phone in phones.values():
            phone.context.close()
