"""The programme view in a real browser (issue #17 item 13): Debian's Chromium under
Playwright, against `python -m app` on 127.0.0.1, as tests/test_browser.py does.

Three workshops hold the research's 24 interviews between them; the programme link carries
their share links in its fragment, and the page posts them itself on opening. At phone and
laptop size: the combined chart says N = 24, each workshop has its chart, the page neither
scrolls sideways nor has serious axe violations, a filter narrows it to one workshop with the
fragment kept in the address, and the CSV download names each row's workshop.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import create_engine
from sqlmodel import Session

from app.models import Workshop
from app.summary.shares import create_share
from tests.browser import (
    AXE_FILE,
    CHROMIUM,
    LAPTOP,
    PHONE,
    STEP_MS,
    AppServer,
    axe_violations,
    horizontal_scroll,
    launched_chromium,
    person,
    screenshot,
)
from tests.conftest import require
from tests.live_server import serving
from tests.research_replay import boards
from tests.seeding import lay_boards

TITLES = ("Gemeente Noord", "Gemeente Midden", "Gemeente Zuid")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    require(CHROMIUM.exists(), f"Chromium is not installed at {CHROMIUM} (Debian: chromium)")
    require(AXE_FILE.exists(), f"axe-core is not vendored at {AXE_FILE}")
    yield from serving(AppServer(tmp_path_factory.mktemp("programme")))


@pytest.fixture(scope="module")
def browser(server: AppServer) -> Iterator[Browser]:
    yield from launched_chromium()


@pytest.fixture(scope="module")
def fragment(server: AppServer) -> str:
    """Three workshops of four tables with the research's boards: their programme fragment."""
    laid, notes = boards()
    engine = create_engine(f"sqlite:///{server.db_path}")
    shares = []
    try:
        for w, title in enumerate(TITLES):
            made = server.create_workshop(title, tables=4)
            mine = range(4 * w + 1, 4 * w + 5)
            lay_boards(
                engine,
                made["id"],
                {(t - 4 * w, r): cards for (t, r), cards in laid.items() if t in mine},
                {(t - 4 * w, r): text for (t, r), text in notes.items() if t in mine},
            )
            with Session(engine) as session:
                workshop = session.get(Workshop, made["id"])
                assert workshop is not None
                share = create_share(session, workshop)
                assert share is not None
                shares.append(share.token)
    finally:
        engine.dispose()
    return "links=" + ",".join(f"s/{token}" for token in shares)


@pytest.mark.parametrize(("size", "viewport"), [("phone", PHONE), ("laptop", LAPTOP)])
def test_the_programme_view_of_three_workshops(
    server: AppServer, browser: Browser, fragment: str, size: str, viewport: dict
) -> None:
    who = person(browser, server.base, size, phone=size == "phone", viewport=viewport)
    page = who.page
    try:
        page.goto(f"/programme#{fragment}")
        expect(page.locator("h1")).to_have_text("3 workshops samen", timeout=STEP_MS)
        assert page.url.endswith(f"/programme#{fragment}")  # kept, to be kept again
        expect(page.locator(".chart-head")).to_contain_text("N = 24")
        expect(page.locator(".workshop-chart")).to_have_count(3)
        for title in TITLES:
            expect(page.locator(".workshop-chart h3", has_text=title)).to_be_visible()
        problems = horizontal_scroll(page, size) + axe_violations(page, size)
        # A phone reads the combined chart as HTML bars (the SVG would be 9-px text).
        phone_bars = page.locator(".chart-phone .bar-row")
        if size == "phone":
            expect(page.locator("#chart")).to_be_hidden()
            expect(phone_bars.first).to_be_visible()
            # And each workshop's chart (the SVG was 7-px text there).
            expect(page.locator(".workshop-chart > .chart").first).to_be_hidden()
            expect(page.locator(".workshop-chart .chart-phone .bars")).to_have_count(3)
            expect(page.locator(".workshop-chart .chart-phone .bars").last).to_be_visible()
        else:
            expect(page.locator("#chart svg")).to_be_visible()
            expect(phone_bars.first).to_be_hidden()
        screenshot(page, f"programme-{size}")
        assert problems == []

        page.locator("#programme-filters .chip", has_text=TITLES[1]).click()
        page.locator("#programme-filters button[type=submit]").click()
        expect(page.locator(".chart-head")).to_contain_text("N = 8", timeout=STEP_MS)
        expect(page.locator(".workshop-chart")).to_have_count(1)
        assert page.url.endswith(f"/programme?lang=nl#{fragment}")

        with page.expect_download(timeout=STEP_MS * 2) as download:
            page.locator("#programme-downloads button", has_text="CSV").click()
        text = download.value.path().read_text(encoding="utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        assert {row["workshop"] for row in rows} == {TITLES[1]}
        assert download.value.suggested_filename.endswith("-placements.csv")

        # The PDF's button says while the PDF is made (held back here, to be seen on any
        # machine), and a second click meanwhile starts nothing more.
        page.evaluate(
            "() => { const fetched = window.fetch; window.fetch = (...args) =>"
            " new Promise((done) => setTimeout(done, 1500)).then(() => fetched(...args)); }"
        )
        pdf = page.locator("#programme-downloads button", has_text="PDF")
        with page.expect_download(timeout=STEP_MS * 3) as made:
            pdf.click()
            expect(pdf).to_have_text("PDF wordt gemaakt…")
            expect(pdf).to_have_attribute("aria-busy", "true")
            pdf.click()
        assert re.fullmatch(
            r"kaartspel-programme-[\d-]+-report\.pdf", made.value.suggested_filename
        )
        assert made.value.path().read_bytes().startswith(b"%PDF")
        expect(pdf).to_have_text("Verslag (PDF)")

        # The language switch keeps the links (in the fragment) and opens them in English.
        page.locator("a.lang-switch").click()
        expect(page.locator("h1")).to_have_text("3 workshops together", timeout=STEP_MS)
        assert page.url.endswith(f"/programme?lang=en#{fragment}")
        assert who.errors == []
    finally:
        who.close()
