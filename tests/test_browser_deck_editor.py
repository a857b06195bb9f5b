"""The create page's deck editor in Chromium: edit a deck, create the workshop, and a phone
at its table holds the edited cards. Screenshots at a phone's and a laptop's size."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from tests.browser import (
    CHROMIUM,
    AppServer,
    axe_violations,
    launched_chromium,
    person,
    screenshot,
    seated_phones,
)
from tests.conftest import require
from tests.live_server import serving


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    require(CHROMIUM.exists(), f"Chromium is not installed at {CHROMIUM} (Debian: chromium)")
    yield from serving(AppServer(tmp_path_factory.mktemp("editor")))


@pytest.fixture(scope="module")
def browser(server: AppServer) -> Iterator[Browser]:
    yield from launched_chromium()


def test_an_edited_deck_reaches_the_phones(server: AppServer, browser: Browser) -> None:
    laptop = person(browser, server.base, "laptop", phone=False)
    page = laptop.page
    page.goto("/?lang=en")
    page.fill("#title", "Working from home")
    page.check("input[name=language][value=en]")
    page.click("#deck-edit")
    editor = page.locator("#deck-editor")
    expect(editor).to_be_visible()
    expect(page.locator("#deck-own")).to_be_checked()
    page.fill("#editor-title", "What helps and hinders working from home")
    first = editor.locator(".editor-category").first
    first.get_by_label("Category title").fill("The home")
    first.locator(".editor-cards input[aria-label=Title]").first.fill("A quiet room")
    first.locator(".editor-cards input[aria-label=Subtitle]").first.fill("A door that closes")
    preview = page.locator("#editor-preview")
    expect(preview.locator(".card-title").first).to_have_text("A quiet room")
    expect(preview.locator(".hand-cat").first).to_contain_text("The home")
    screenshot(page, "deck-editor-laptop")
    assert axe_violations(page, "editor") == []
    phone = person(browser, server.base, "phone", phone=True)
    phone.page.goto("/?lang=en")
    phone.page.click("#deck-edit")
    expect(phone.page.locator("#editor-preview .card-title").first).to_be_visible()
    screenshot(phone.page, "deck-editor-phone")
    for who in (laptop, phone):
        wide = who.page.evaluate(
            "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"
        )
        assert not wide, f"the editor is wider than the {who.name}'s screen"
    phone.close()
    page.click("button.primary[type=submit]")
    page.wait_for_url(re.compile(r"/f/[^/]+$"))
    assert laptop.errors == []
    expect(page.locator("body")).to_contain_text("What helps and hinders working from home")
    code = re.search(r"/j/([A-Z0-9]+)", page.content())
    assert code is not None
    phones = seated_phones(browser, server, code.group(1), ("respondent1",))
    hand = phones["respondent1"].page.locator(".hand-card .card-title")
    expect(hand.first).to_have_text("A quiet room")
    expect(phones["respondent1"].page.locator(".hand-cat").first).to_contain_text("The home")
    for who in (laptop, *phones.values()):
        assert who.errors == [], who.errors
        who.close()
